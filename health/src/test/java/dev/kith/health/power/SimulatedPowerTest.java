package dev.kith.health.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("A simulated power source")
class SimulatedPowerTest {

  /** A clock that moves only when the test says, so a simulated hour takes no time. */
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  private void advance(Duration duration) {
    nanos.addAndGet(duration.toNanos());
  }

  private SimulatedPower parse(String spec) {
    return SimulatedPower.parse(spec, nanos::get);
  }

  private double level(SimulatedPower power) {
    return power.read().batteryLevel();
  }

  @Test
  @DisplayName("reads 'mains' as mains at full level, forever")
  void mains() {
    SimulatedPower power = parse("mains");
    advance(Duration.ofDays(3));

    assertThat(power.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(power.toSpec()).isEqualTo("mains");
  }

  @Test
  @DisplayName("reads a battery spec's level, direction and rate")
  void batterySpec() {
    SimulatedPower power = parse("battery:0.80:discharging:0.5");

    assertThat(power.read()).isEqualTo(PowerStatus.battery(0.80, false));
    assertThat(power.toSpec()).isEqualTo("battery:0.80:discharging:0.5");
  }

  @Test
  @DisplayName("takes a missing direction as discharging and a missing rate as holding still")
  void shortSpecs() {
    SimulatedPower levelOnly = parse("battery:0.6");
    SimulatedPower noRate = parse("battery:0.3:charging");
    advance(Duration.ofHours(1));

    assertThat(levelOnly.read()).isEqualTo(PowerStatus.battery(0.6, false));
    assertThat(noRate.read()).isEqualTo(PowerStatus.battery(0.3, true));
    assertThat(levelOnly.toSpec()).isEqualTo("battery:0.60:discharging:0");
  }

  @Test
  @DisplayName("accepts capitals and spaces as an environment variable might hold them")
  void lenientSpelling() {
    assertThat(parse(" Mains\n").read()).isEqualTo(PowerStatus.MAINS);
    assertThat(parse("Battery: .5 :Charging: 2 ").read()).isEqualTo(PowerStatus.battery(0.5, true));
  }

  @ParameterizedTest(name = "''{0}'' is refused, naming ''{1}''")
  @CsvSource(
      delimiter = '|',
      value = {
        "solar|solar",
        "mains:1|takes nothing",
        "battery|level",
        "battery:|level",
        "battery:1.5|1.5",
        "battery:-0.1|-0.1",
        "battery:80%|80%",
        "battery:NaN|NaN",
        "battery:0.5:idle|idle",
        "battery:0.5:charging:fast|fast",
        "battery:0.5:charging:-2|-2",
        "battery:0.5:charging:2:extra|extra",
      })
  @DisplayName("refuses a bad spec with one line that quotes it and names the bad part")
  void invalidSpecs(String spec, String badPart) {
    String quoted = "power: '" + spec + "'";

    assertThatThrownBy(() -> parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(quoted)
        .satisfies(
            e ->
                assertThat(e.getMessage().substring(quoted.length()))
                    .contains(badPart)
                    .doesNotContain("\n"));
  }

  @Test
  @DisplayName("refuses an empty spec and says what it expected")
  void emptySpec() {
    assertThatThrownBy(() -> parse(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty")
        .hasMessageContaining("battery:LEVEL");
  }

  @Test
  @DisplayName("keeps an error about a long or multi-line spec short and on one line")
  void hostileSpec() {
    String spec = "battery:0.5:" + "x".repeat(10_000) + "\nmore";

    assertThatThrownBy(() -> parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").hasSizeLessThan(400));
  }

  @Test
  @DisplayName("drains half a percentage point a minute: 80% becomes 50% after an hour")
  void drains() {
    SimulatedPower power = parse("battery:0.80:discharging:0.5");

    advance(Duration.ofMinutes(10));
    assertThat(level(power)).isCloseTo(0.75, within(1e-9));

    advance(Duration.ofMinutes(50));
    assertThat(level(power)).isCloseTo(0.50, within(1e-9));
    assertThat(power.read().charging()).isFalse();
    assertThat(power.toSpec()).isEqualTo("battery:0.50:discharging:0.5");
  }

  @Test
  @DisplayName("stops draining at empty")
  void drainsToZero() {
    SimulatedPower power = parse("battery:0.10:discharging:1");

    advance(Duration.ofHours(5));

    assertThat(power.read()).isEqualTo(PowerStatus.battery(0.0, false));
  }

  @Test
  @DisplayName("charges at 2% a minute from 30% and stops at full")
  void chargesToFull() {
    SimulatedPower power = parse("battery:0.30:charging:2");

    advance(Duration.ofMinutes(15));
    assertThat(level(power)).isCloseTo(0.60, within(1e-9));

    advance(Duration.ofMinutes(60));
    assertThat(power.read()).isEqualTo(PowerStatus.battery(1.0, true));
  }

  @Test
  @DisplayName("set() changes the level and direction from now on and keeps the rate")
  void setAtRunTime() {
    SimulatedPower power = parse("battery:0.80:discharging:0.5");
    advance(Duration.ofMinutes(20));

    power.set(0.1, false);

    assertThat(power.read()).isEqualTo(PowerStatus.battery(0.1, false));
    advance(Duration.ofMinutes(10));
    assertThat(level(power)).isCloseTo(0.05, within(1e-9));

    power.set(0.2, true);
    advance(Duration.ofMinutes(10));

    assertThat(level(power)).isCloseTo(0.25, within(1e-9));
    assertThat(power.read().charging()).isTrue();
    assertThat(power.toSpec()).isEqualTo("battery:0.25:charging:0.5");
  }

  @Test
  @DisplayName("set() on a mains source makes it a battery source whose level holds still")
  void setOnMains() {
    SimulatedPower power = parse("mains");

    power.set(0.1, false);
    advance(Duration.ofHours(1));

    assertThat(power.read()).isEqualTo(PowerStatus.battery(0.1, false));
    assertThat(power.toSpec()).isEqualTo("battery:0.10:discharging:0");
  }

  @Test
  @DisplayName("set() with a rate replaces the rate, and setMains() plugs the device back in")
  void setRateAndMains() {
    SimulatedPower power = parse("mains");

    power.set(0.5, false, 1);
    advance(Duration.ofMinutes(10));
    assertThat(level(power)).isCloseTo(0.40, within(1e-9));

    power.setMains();

    assertThat(power.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(power.toSpec()).isEqualTo("mains");
  }

  @Test
  @DisplayName("set() refuses a level outside 0..1 or a negative rate and keeps its state")
  void setRefusesBadValues() {
    SimulatedPower power = parse("battery:0.50:discharging:1");

    assertThatThrownBy(() -> power.set(1.2, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.2");
    assertThatThrownBy(() -> power.set(0.5, false, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> power.set(Double.NaN, false))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(power.toSpec()).isEqualTo("battery:0.50:discharging:1");
  }

  @Test
  @DisplayName("writes a spec that parses back to the same state, even with a fractional level")
  void specRoundTrip() {
    SimulatedPower power = parse("battery:0.9:discharging:0.7");
    advance(Duration.ofSeconds(100));

    SimulatedPower copy = parse(power.toSpec());

    assertThat(power.toSpec()).isEqualTo("battery:0.8883:discharging:0.7");
    assertThat(level(copy)).isCloseTo(level(power), within(1e-4));
    assertThat(copy.toSpec()).isEqualTo(power.toSpec());
  }
}
