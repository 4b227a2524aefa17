package dev.kith.health.placement;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.health.placement.PowerSimulation.Outcome;
import java.util.Locale;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The power simulation")
class PowerSimulationTest {

  @Test
  @DisplayName("gives the same numbers on every run")
  void deterministic() {
    Outcome first = PowerSimulation.compare(PowerSimulation.defaultMesh());
    Outcome second = PowerSimulation.compare(PowerSimulation.defaultMesh());

    assertThat(second).isEqualTo(first);
    assertThat(PowerSimulation.summary(PowerSimulation.defaultMesh(), second))
        .isEqualTo(PowerSimulation.summary(PowerSimulation.defaultMesh(), first));
  }

  @Test
  @DisplayName(
      "keeps every battery device alive at least as long as hash placement when owners"
          + " turn takeover on, and prints the table and the ratio")
  void takeoverOutlivesHash() {
    Outcome outcome = PowerSimulation.compare(PowerSimulation.defaultMesh());
    System.out.println(PowerSimulation.summary(PowerSimulation.defaultMesh(), outcome));

    assertThat(PowerSimulation.shorterLived(outcome.takeover(), outcome.hash())).isEmpty();
    assertThat(outcome.takeover().availability())
        .isGreaterThanOrEqualTo(outcome.hash().availability());
    System.out.printf(
        Locale.ROOT,
        "time to the first empty battery, kith + takeover / hash = %.2fx (goal 1.5x);"
            + " kith with defaults / hash = %.2fx%n",
        outcome.takeoverRatio(),
        outcome.ratio());
  }

  @Test
  @DisplayName("keeps alice's battery devices from ever running empty, with default settings")
  void defaultsSpareAlicesBatteries() {
    Outcome outcome = PowerSimulation.compare(PowerSimulation.defaultMesh());

    assertThat(outcome.kith().firstExhaustedMinute())
        .containsEntry("laptop.alice", PowerSimulation.NEVER)
        .containsEntry("phone.alice", PowerSimulation.NEVER);
    assertThat(outcome.kith().forced()).isLessThan(outcome.hash().forced());
  }

  @Test
  @DisplayName(
      "keeps every battery device alive at least as long as hash placement, with default"
          + " settings, and the first empty battery at least 1.5 times as late")
  void defaultsOutliveHash() {
    Outcome outcome = PowerSimulation.compare(PowerSimulation.defaultMesh());

    assertThat(PowerSimulation.shorterLived(outcome.kith(), outcome.hash())).isEmpty();
    assertThat(outcome.ratio()).isGreaterThanOrEqualTo(1.5);
    assertThat(outcome.kith().availability()).isGreaterThanOrEqualTo(outcome.hash().availability());
  }
}
