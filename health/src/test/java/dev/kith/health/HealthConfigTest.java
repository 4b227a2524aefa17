package dev.kith.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.config.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The health section of a device's configuration")
class HealthConfigTest {

  @TempDir Path tmp;

  private final Map<String, String> env = new HashMap<>();

  /** Loads as a device does, with every section on the class path (health's among them). */
  private HealthConfig load(String... args) {
    List<String> all = new ArrayList<>(List.of("--home", tmp.resolve("home").toString()));
    all.addAll(List.of(args));
    return DeviceConfig.load(all, env, unknown -> {}).section(HealthConfig.class);
  }

  @Test
  @DisplayName("reads the health settings, with defaults that detect a silent device in 3-5 s")
  void healthSettings() {
    HealthConfig defaults = load();
    assertThat(defaults.power()).isEqualTo("auto");
    assertThat(defaults.gossipPeriodMillis()).isEqualTo(1000);
    assertThat(defaults.deadAfterMillis()).isBetween(3000, 5000);
    assertThat(defaults.lowBatteryRatio()).isEqualTo(0.20);
    assertThat(defaults.takeoverOwners()).isEmpty();

    env.put("KITH_POWER", "battery:0.80:discharging:0.5");
    HealthConfig set =
        load(
            "--takeover", "alice,bob", "--low-battery-ratio", "0.3", "--dead-after-millis", "6000");
    assertThat(set.power()).isEqualTo("battery:0.80:discharging:0.5");
    assertThat(set.takeoverOwners()).containsExactlyInAnyOrder("alice", "bob");
    assertThat(set.lowBatteryRatio()).isEqualTo(0.3);
    assertThat(set.deadAfterMillis()).isEqualTo(6000);
  }

  @Test
  @DisplayName("refuses health deadlines that do not exceed what they wait on")
  void healthDeadlines() {
    assertThatThrownBy(() -> load("--suspect-after-millis", "1500"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("suspect-after-millis");
    assertThatThrownBy(() -> load("--dead-after-millis", "2000"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("dead-after-millis");
    assertThatThrownBy(() -> load("--low-battery-ratio", "1.5"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("low-battery-ratio");
    assertThatThrownBy(() -> load("--takeover", "Alice"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("takeover");
  }
}
