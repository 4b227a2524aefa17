package dev.kith.health.gossip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.health.HealthConfig;
import dev.kith.health.power.PowerStatus;
import dev.kith.health.sampling.LoadStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The device gauges")
class DeviceMetricsTest {

  private static final HealthConfig HEALTH =
      new HealthConfig("mains", 1000, 1500, 2000, 4000, 0.2, Set.of());
  private static final String PI_MEMBER = "00000000-0000-0000-0000-00000000000b";

  private final PrometheusMeterRegistry prometheus =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MeshView view =
      new MeshView("laptop.alice", HEALTH, prometheus, () -> 0L, () -> 0L);

  private static DeviceStatus pi(long sequence, PowerStatus power) {
    return new DeviceStatus(
        "pi.alice", "alice", PI_MEMBER, 7, sequence, 1500, power, LoadStatus.UNKNOWN, false, 0);
  }

  @Test
  @DisplayName("appear for a device when it is first heard, and follow its state and power")
  void followTheView() {
    new DeviceMetrics(prometheus, view);
    assertThat(prometheus.scrape()).doesNotContain("device=\"pi.alice\"");

    view.receive(pi(0, PowerStatus.battery(0.3, false)));
    assertThat(prometheus.scrape())
        .contains("kith_device_up{device=\"pi.alice\"} 1")
        .contains("kith_device_battery_ratio{device=\"pi.alice\"} 0.3")
        .contains("kith_device_on_mains{device=\"pi.alice\"} 0");

    view.receive(pi(1, PowerStatus.MAINS));
    view.memberRemoved(PI_MEMBER);
    assertThat(prometheus.scrape())
        .contains("kith_device_up{device=\"pi.alice\"} 0")
        .contains("kith_device_battery_ratio{device=\"pi.alice\"} 1")
        .contains("kith_device_on_mains{device=\"pi.alice\"} 1")
        .contains("kith_detection_seconds_count 1")
        .contains("kith_detection_seconds_bucket{le=");
  }
}
