package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import dev.kith.mesh.testing.MeshApi;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Devices as containers from the project's own image, {@code kith:dev}, on a network the test
 * creates: the mesh forms across containers, and a {@code docker kill} is noticed by the survivors.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class ContainerMeshIT {

  @BeforeEach
  void requireDocker() {
    Docker.assumeDockerOrFail();
  }

  @Test
  @DisplayName(
      "After docker kill of one of three containers, both survivors report it not alive within 10 s")
  void dockerKillIsDetected() {
    // Start: three containers, each healthy, that all list the same three devices alive.
    try (ContainerMesh mesh = ContainerMesh.start(3)) {
      Duration formed =
          eventually(
              Duration.ofSeconds(30),
              () -> {
                for (int i = 0; i < mesh.size(); i++) {
                  assertThat(MeshApi.deviceStates(mesh.httpUrl(i)))
                      .as("devices as %s sees them", mesh.name(i))
                      .isEqualTo(allAlive(mesh));
                }
              });
      System.out.printf(
          "three containers agreed on the mesh %d ms after all were healthy%n", formed.toMillis());

      // Fault: docker kill sends SIGKILL to the device's JVM, PID 1 of its container.
      int victim = 1;
      List<Integer> survivors = mesh.others(victim);
      long killedAt = System.nanoTime();
      mesh.dockerKill(victim);

      // Verdict: both survivors stop reporting the victim as alive, and still see each other.
      eventually(
          Duration.ofSeconds(10).minusNanos(System.nanoTime() - killedAt),
          () -> {
            for (int survivor : survivors) {
              Map<String, String> states = MeshApi.deviceStates(mesh.httpUrl(survivor));
              assertThat(states.get(mesh.name(victim)))
                  .as("%s's view of %s: %s", mesh.name(survivor), mesh.name(victim), states)
                  .isNotEqualTo(MeshApi.ALIVE);
              for (int other : survivors) {
                assertThat(states).containsEntry(mesh.name(other), MeshApi.ALIVE);
              }
            }
          });
      System.out.printf(
          "detected docker kill of %s in %d ms%n",
          mesh.name(victim), Duration.ofNanos(System.nanoTime() - killedAt).toMillis());
    }
  }

  private static Map<String, String> allAlive(ContainerMesh mesh) {
    Map<String, String> states = new TreeMap<>();
    for (int i = 0; i < mesh.size(); i++) {
      states.put(mesh.name(i), MeshApi.ALIVE);
    }
    return states;
  }
}
