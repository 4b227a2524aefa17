package dev.kith.health.power;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A switchable power source")
class SwitchablePowerTest {

  @Test
  @DisplayName("reads the configured source until a request replaces it with a simulated one")
  void replacesRealReading() {
    PowerSource hardware = () -> PowerStatus.battery(0.9, true);
    SwitchablePower power = new SwitchablePower(hardware);
    assertThat(power.read()).isEqualTo(PowerStatus.battery(0.9, true));
    assertThat(power.generation()).isZero();

    PowerStatus now = power.apply(PowerRequest.battery(0.1, false));

    assertThat(now).isEqualTo(PowerStatus.battery(0.1, false));
    assertThat(power.read()).isEqualTo(now);
    assertThat(power.current()).isInstanceOf(SimulatedPower.class);
    assertThat(power.generation()).isOne();
    assertThat(power.apply(PowerRequest.onMains())).isEqualTo(PowerStatus.MAINS);
    assertThat(power.generation()).isEqualTo(2);
  }

  @Test
  @DisplayName("changes a simulated source in place, keeping its rate")
  void keepsRate() {
    long[] nanos = {0};
    SimulatedPower simulated = SimulatedPower.parse("battery:0.80:discharging:60", () -> nanos[0]);
    SwitchablePower power = new SwitchablePower(simulated);

    power.apply(PowerRequest.battery(0.5, false));
    nanos[0] += 10_000_000_000L; // 10 s at 60 %/min: 10 points

    assertThat(power.current()).isSameAs(simulated);
    assertThat(power.read().batteryLevel())
        .isCloseTo(0.4, org.assertj.core.api.Assertions.within(1e-9));
  }
}
