package dev.kith.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.deploy.bench.ContainerTestbed;
import dev.kith.deploy.bench.FailoverRun;
import dev.kith.deploy.bench.SystemUnderTest;
import dev.kith.deploy.bench.Testbed.Fault;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The failover benchmark's smoke test: Kith only, one run of each container fault, with generous
 * bounds. The benchmark itself ({@code FailoverBenchmark}) measures; this keeps it working in CI.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(240)
class FailoverBenchmarkIT {

  private static final Duration BOUND = Duration.ofSeconds(15);

  @BeforeEach
  void requireDocker() {
    Docker.assumeDockerOrFail();
  }

  @Test
  @DisplayName(
      "After docker kill, docker pause and network disconnect of the device hosting alice's probe,"
          + " another device answers the probe within 15 s, and the mesh heals each time")
  void kithServesAgainAfterEachFault() {
    long start = System.nanoTime();
    // Start: three devices in containers; the mesh is whole and alice's probe runs on one.
    try (ContainerTestbed bed = ContainerTestbed.start(SystemUnderTest.KITH, 3)) {
      FailoverRun runner =
          new FailoverRun(bed, SystemUnderTest.KITH, BOUND.multipliedBy(2), Duration.ofSeconds(60));
      runner.awaitWholeAndStable();
      for (Fault fault : Fault.values()) {
        // Fault, recovery and restore are the run's; here, the verdict.
        FailoverRun.Result result = runner.run(fault, 1);
        System.out.println("[bench-smoke] " + result);
        assertThat(result.servingAgainMillis())
            .as("%s: serving again", result)
            .isNotNull()
            .isLessThan(BOUND.toMillis());
        assertThat(result.to()).as("%s: answered by", result).isNotEqualTo(result.from());
        assertThat(result.detectionMillis())
            .as("%s: the move event's detection time", result)
            .isNotNull()
            .isLessThan(BOUND.toMillis());
      }
    }
    System.out.printf(
        "[bench-smoke] three faults in %d s%n",
        Duration.ofNanos(System.nanoTime() - start).toSeconds());
  }
}
