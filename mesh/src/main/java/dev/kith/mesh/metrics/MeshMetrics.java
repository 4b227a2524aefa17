package dev.kith.mesh.metrics;

import dev.kith.mesh.registry.DeviceState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
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
