package dev.kith.mesh.cluster;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.KithCli;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A mesh that starts as one device, the way the README's first command starts it (no {@code
 * --join}, no {@code --public-host}), and grows one device at a time with join tokens only, without
 * restarting anything. Before the fix of issue 15's first bug, the second device spent its token
 * and then exited with Hazelcast's {@code Incompatible joiners! expected: , found: tcp-ip}.
 */
@DisplayName("A mesh grows from one device")
@ExtendWith(DeviceLogs.class)
class GrowTest {

  private static final Duration START = LocalMesh.START_TIMEOUT;

  @Test
  @DisplayName(
      "a device started alone grows into a mesh of five, each added with kith invite and --token"
          + " (some with --join, some without), nothing restarted; restarted without --join, the"
          + " first device finds the others again")
  void growsFromOneDevice() {
    String mesh = "test-" + UUID.randomUUID().toString().substring(0, 8);
    List<DeviceProcess> devices = new ArrayList<>();
    try {
      // Start: the first device alone, with the defaults of the README's first command.
      DeviceProcess first =
          DeviceProcess.builder("d1.alice")
              .mesh(mesh)
              .withoutFlag("public-host")
              .start()
              .awaitReady(START);
      devices.add(first);

      // Growth: four devices, one by one, each with a join token from the first device. The
      // second and fourth also name a device that exists with --join; the others have only the
      // token, which says where the mesh is.
      for (int i = 2; i <= 5; i++) {
        KithCli.Result invite =
            KithCli.classpath()
                .run("invite", "--url", first.httpUrl(), "--home", first.home().toString());
        assertThat(invite.code()).as(invite.output()).isZero();
        // Every device listens for others on loopback only: the token works on this machine only,
        // and kith invite says so, with what to do for another machine.
        assertThat(invite.stderr()).contains("works only for a device on this machine");
        String token = invite.stdout().trim();
        DeviceProcess.Builder next =
            DeviceProcess.builder("d" + i + ".alice")
                .mesh(mesh)
                .withoutFlag("public-host")
                .flag("token", token);
        if (i % 2 == 0) {
          next.join(List.of(devices.get(devices.size() - 1).clusterAddress()));
        }
        DeviceProcess added = next.start().awaitReady(START);
        devices.add(added);
        Duration took = eventually(START, () -> assertAllAlive(devices));
        System.out.printf(
            "[kith-test] %d devices list each other alive %d ms after %s was ready%n",
            devices.size(), took.toMillis(), added.name());
      }

      // Restart: the first device leaves cleanly and comes back with the same flags, still no
      // --join; the peers it learned while running bring it back into the mesh.
      assertThat(first.stop()).isZero();
      DeviceProcess again =
          DeviceProcess.builder("d1.alice")
              .mesh(mesh)
              .withoutFlag("public-host")
              .flag("home", first.home().toString())
              .httpPort(first.httpPort())
              .clusterPort(first.clusterPort())
              .start()
              .awaitReady(START);
      devices.set(0, again);
      Duration took = eventually(START, () -> assertAllAlive(devices));
      System.out.printf(
          "[kith-test] the restarted first device and the others list all five alive after %d"
              + " ms%n",
          took.toMillis());
    } finally {
      devices.forEach(DeviceProcess::close);
    }
  }

  /** Every device lists exactly the devices of the list, all alive. */
  private static void assertAllAlive(List<DeviceProcess> devices) {
    List<String> names = devices.stream().map(DeviceProcess::name).toList();
    for (DeviceProcess d : devices) {
      assertThat(d.isAlive()).as(d.name() + " runs" + d.describe()).isTrue();
      assertThat(MeshApi.deviceStates(d.httpUrl()))
          .as("the devices %s lists", d.name())
          .containsOnlyKeys(names)
          .allSatisfy((name, state) -> assertThat(state).as(name).isEqualTo(MeshApi.ALIVE));
    }
  }
}
