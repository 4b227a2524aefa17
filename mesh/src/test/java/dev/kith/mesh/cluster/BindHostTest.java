package dev.kith.mesh.cluster;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import dev.kith.mesh.testing.ProcSockets;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Which addresses a device's ports listen on, read from the kernel's socket tables ({@link
 * ProcSockets}). Before issue 15's third bug was fixed, Hazelcast's port and the event bus listened
 * on every interface ({@code *:5701}), whatever {@code --public-host} said.
 */
@DisplayName("Bind addresses")
@ExtendWith(DeviceLogs.class)
class BindHostTest {

  private static final Duration START = LocalMesh.START_TIMEOUT;

  @Test
  @DisplayName(
      "the cluster and event-bus ports listen only on the public host, on loopback for a mesh of"
          + " one, and on --bind-host when it is given; HTTP on every interface unless"
          + " --http-bind-host says otherwise")
  void portsListenWhereTheyShould() throws Exception {
    // Two devices of one mesh: one with the harness's --public-host 127.0.0.1, one that listens on
    // 127.0.0.2 (a loopback address too, but not the one the other uses) for the cluster and the
    // bus, and on 127.0.0.1 only for HTTP. A third device is alone, with neither setting.
    try (LocalMesh mesh =
            LocalMesh.options()
                .names("a.alice", "b.alice")
                .each(
                    builder -> {
                      if (builder.name().equals("b.alice")) {
                        builder
                            .withoutFlag("public-host")
                            .flag("bind-host", "127.0.0.2")
                            .flag("http-bind-host", "127.0.0.1");
                      }
                    })
                .start();
        DeviceProcess alone = DeviceProcess.builder("c.alice").withoutFlag("public-host").start()) {
      DeviceProcess a = mesh.device(0).awaitReady(START);
      DeviceProcess b = mesh.device(1).awaitReady(START);
      alone.awaitReady(START);

      // --bind-host works: the two devices form one mesh.
      eventually(
          START,
          () -> {
            for (DeviceProcess d : List.of(a, b)) {
              assertThat(MeshApi.deviceStates(d.httpUrl()))
                  .containsEntry("a.alice", MeshApi.ALIVE)
                  .containsEntry("b.alice", MeshApi.ALIVE);
            }
          });

      assertListening(a, "127.0.0.1", "0.0.0.0");
      assertListening(b, "127.0.0.2", "127.0.0.1");
      assertListening(alone, "127.0.0.1", "0.0.0.0");

      // Each binding is in the start-up log, with the reason for it.
      assertThat(a.stdout()).contains("cluster port 127.0.0.1:" + a.clusterPort(), "(public-host)");
      assertThat(b.stdout()).contains("cluster port 127.0.0.2:" + b.clusterPort(), "(bind-host)");
      assertThat(alone.stdout())
          .contains("cluster port 127.0.0.1:" + alone.clusterPort(), "a mesh of one");
    }
  }

  /**
   * Every listening TCP socket of {@code device}: the HTTP port on {@code httpAddress} ({@code
   * 0.0.0.0} meaning every interface), every other port (the cluster's and the bus's) on {@code
   * clusterAddress} only.
   */
  private static void assertListening(
      DeviceProcess device, String clusterAddress, String httpAddress) throws Exception {
    Map<Integer, Set<String>> listening = new TreeMap<>();
    for (ProcSockets.Socket s : ProcSockets.socketsOf(device.pid())) {
      if (s.protocol().startsWith("tcp") && s.state().equals("LISTEN")) {
        InetAddress address = s.local().getAddress();
        listening
            .computeIfAbsent(s.local().getPort(), p -> new TreeSet<>())
            .add(address.isAnyLocalAddress() ? "0.0.0.0" : address.getHostAddress());
      }
    }
    System.out.printf("[kith-test] %s listens on %s%n", device.name(), listening);
    assertThat(listening).as(device.name()).containsKeys(device.httpPort(), device.clusterPort());
    // The cluster port, the event bus's, and nothing else besides HTTP.
    assertThat(listening).as(device.name()).hasSize(3);
    listening.forEach(
        (port, addresses) ->
            assertThat(addresses)
                .as("%s port %d", device.name(), port)
                .containsExactly(port == device.httpPort() ? httpAddress : clusterAddress));
  }
}
