package dev.kith.mesh.metrics;

import dev.kith.mesh.registry.DeviceState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The mesh's own gauges: {@code kith_devices{state}} counts devices by state and {@code
 * kith_device_info{device,owner,version}} is 1 for this device. Gauges read a snapshot that the
 * device refreshes off the event loop, so a scrape never waits on the cluster.
 */
public final class MeshMetrics {

  /** The Vert.x timer of HTTP responses: {@code vertx_http_server_response_time_seconds}. */
  static final String HTTP_RESPONSE_TIME = "vertx.http.server.response.time";

  /** Histogram buckets for HTTP response times, from 1 ms to 10 s. */
  static final List<Duration> HTTP_RESPONSE_TIME_BUCKETS =
      List.of(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000).stream()
          .map(Duration::ofMillis)
          .toList();

  private final AtomicReference<Map<DeviceState, Integer>> counts =
      new AtomicReference<>(new EnumMap<>(DeviceState.class));

  public MeshMetrics(MeterRegistry registry, String device, String owner, String version) {
    for (DeviceState state : DeviceState.values()) {
      Gauge.builder("kith.devices", counts, c -> c.get().getOrDefault(state, 0))
          .description("Devices in the mesh, by state")
          .tag("state", state.wireName())
          .register(registry);
    }
    Gauge.builder("kith.device.info", () -> 1)
        .description("This device: its name, owner and Kith version")
        .tags("device", device, "owner", owner, "version", version)
        .register(registry);
  }

  /**
   * Gives Vert.x's HTTP response timer histogram buckets, so that Prometheus can compute latency
   * percentiles across devices ({@code histogram_quantile} over {@code _bucket}); Vert.x exports
   * only a count, a sum and a max. Thirteen fixed buckets rather than Micrometer's 70-odd
   * percentile buckets keep the series few. Add it before Vert.x registers its meters.
   */
  public static MeterFilter httpResponseTimeBuckets() {
    double[] nanos =
        HTTP_RESPONSE_TIME_BUCKETS.stream().mapToDouble(d -> (double) d.toNanos()).toArray();
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals(HTTP_RESPONSE_TIME)) {
          return config;
        }
        return DistributionStatisticConfig.builder()
            .serviceLevelObjectives(nanos)
            .build()
            .merge(config);
      }
    };
  }

  /** Replaces the snapshot with the devices as {@code /api/mesh/devices} lists them. */
  public void update(List<JsonObject> devices) {
    Map<DeviceState, Integer> next = new EnumMap<>(DeviceState.class);
    for (JsonObject d : devices) {
      for (DeviceState state : DeviceState.values()) {
        if (state.wireName().equals(d.getString("state"))) {
          next.merge(state, 1, Integer::sum);
        }
      }
    }
    counts.set(next);
  }
}
