package dev.kith.health.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Choosing a power source from config")
class PowerSourcesTest {

  @Test
  @DisplayName("reads the hardware when the spec is absent, empty or 'auto'")
  void auto() {
    for (String spec : new String[] {null, "", "  ", "auto", "AUTO"}) {
      assertThat(PowerSources.fromConfig(spec))
          .isInstanceOfSatisfying(
              LinuxPowerSupply.class,
              supply -> assertThat(supply.directory()).isEqualTo(LinuxPowerSupply.SYSFS));
    }
  }

  @Test
  @DisplayName("simulates power for 'mains' and for a battery spec")
  void simulated() {
    assertThat(PowerSources.fromConfig("mains").read()).isEqualTo(PowerStatus.MAINS);
    assertThat(PowerSources.fromConfig("battery:0.80:discharging:0.5"))
        .isInstanceOfSatisfying(
            SimulatedPower.class,
            power -> assertThat(power.toSpec()).isEqualTo("battery:0.80:discharging:0.5"));
  }

  @Test
  @DisplayName("refuses a bad spec with the simulated source's message")
  void invalid() {
    assertThatThrownBy(() -> PowerSources.fromConfig("battery:1.5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("power: 'battery:1.5'");
  }
}
