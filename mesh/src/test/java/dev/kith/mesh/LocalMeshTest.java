package dev.kith.mesh;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import dev.kith.mesh.testing.ProcSockets;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Devices as real JVM processes on loopback: forming a mesh, crashing with {@code kill -9},
 * refusing a duplicate name and bad configuration, and staying off the network beyond loopback.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(180)
class LocalMeshTest {

  /** Hazelcast's multicast discovery port; nothing may bind it unless --multicast is given. */
  private static final int HAZELCAST_MULTICAST_PORT = 54327;

  @TempDir Path tmp;

  @Test
  @DisplayName("Three processes started with --join form one mesh within 30 s of the last start")
  void threeProcessesFormOneMesh() {
    // Start: three JVMs at once, each joining all three cluster ports; launch() returns as soon
    // as the last process has been started, which is when the 30 s begin. (About 10 s on two
    // idle cores; the bound is generous because another test class runs beside this one.)
    try (LocalMesh mesh = LocalMesh.options().devices(3).launch()) {

      // Verdict: every device lists the same three names, all alive.
      Duration formed =
          eventually(
              Duration.ofSeconds(30),
              () -> {
                for (DeviceProcess device : mesh.devices()) {
                  assertThat(MeshApi.deviceStates(device.httpUrl()))
                      .as("devices as %s sees them", device.name())
                      .isEqualTo(allAlive(mesh.devices()));
                }
              });
      System.out.printf(
          "three processes formed one mesh %d ms after the last start%n", formed.toMillis());
    }
  }

  @Test
  @DisplayName(
      "After kill -9 of one of three devices, both survivors report it not alive within 10 s")
  void killNineIsDetected() {
    // Start: a mesh of three that all agree on who is alive.
    try (LocalMesh mesh = LocalMesh.start(3)) {
      awaitAllSeeEachOther(mesh.devices());
      DeviceProcess victim = mesh.device("d2.alice");
      List<DeviceProcess> survivors = mesh.others(victim);

      // Fault: SIGKILL, so the device leaves nothing behind: no goodbye, no clean leave.
      long killedAt = System.nanoTime();
      victim.kill9();

      // Verdict: both survivors stop reporting the victim as alive, and still see each other.
      eventually(
          Duration.ofSeconds(10).minusNanos(System.nanoTime() - killedAt),
          () -> {
            for (DeviceProcess survivor : survivors) {
              Map<String, String> states = MeshApi.deviceStates(survivor.httpUrl());
              assertThat(states.get(victim.name()))
                  .as("%s's view of %s: %s", survivor.name(), victim.name(), states)
                  .isNotEqualTo(MeshApi.ALIVE);
              for (DeviceProcess other : survivors) {
                assertThat(states).containsEntry(other.name(), MeshApi.ALIVE);
              }
            }
          });
      System.out.printf(
          "detected kill -9 of %s in %d ms%n",
          victim.name(), Duration.ofNanos(System.nanoTime() - killedAt).toMillis());
    }
  }

  @Test
  @DisplayName("A second device with a name already in use exits with code 2 and says so")
  void duplicateNameExitsTwo() {
    // Start: a mesh of two, and a record of how each sees d1.alice.
    try (LocalMesh mesh = LocalMesh.start(2)) {
      awaitAllSeeEachOther(mesh.devices());
      Map<String, JsonObject> before = identityOf("d1.alice", mesh.devices());

      // Fault: a third process claims the name d1.alice and joins the same mesh.
      DeviceProcess intruder = mesh.startExtra(mesh.newDevice("d1.alice"));

      // Verdict: it exits 2 with a line that names the name, ...
      int code = intruder.awaitExit(Duration.ofSeconds(60));
      assertThat(code).as("exit code" + intruder.describe()).isEqualTo(2);
      assertThat(intruder.stderr())
          .contains("d1.alice")
          .containsIgnoringCase("in use")
          .hasLineCount(1);

      // ... and the real d1.alice keeps its name: same address, same start time, still alive.
      allTheTime(
          Duration.ofSeconds(3),
          () -> assertThat(identityOf("d1.alice", mesh.devices())).isEqualTo(before));
    }
  }

  /** One way to misconfigure a device; {@code mentions} must all appear in its one error line. */
  interface Misconfiguration {
    /** Changes the device's settings; the returned resource is held while the device starts. */
    AutoCloseable apply(DeviceProcess.Builder device, Path tmp) throws IOException;
  }

  static Stream<Arguments> badConfigurations() {
    return Stream.of(
        Arguments.of(
            "an unknown key in the config file",
            (Misconfiguration)
                (device, tmp) -> {
                  Path file = tmp.resolve("kith.yaml");
                  Files.writeString(file, "mesh: tests\nfavourite-colour: blue\n");
                  device.flag("config", file.toString());
                  return () -> {};
                },
            List.of("favourite-colour")),
        Arguments.of(
            "an HTTP port out of range",
            (Misconfiguration)
                (device, tmp) -> {
                  device.flag("http-port", "70000");
                  return () -> {};
                },
            List.of("http-port", "70000")),
        Arguments.of(
            "a home directory that cannot be created",
            (Misconfiguration)
                (device, tmp) -> {
                  // Tests run as root, who may write anywhere that permissions guard; nobody can
                  // create a folder inside a regular file.
                  Path file = Files.writeString(tmp.resolve("a-file"), "not a folder");
                  device.flag("home", file.resolve("home").toString());
                  return () -> {};
                },
            List.of("home")),
        Arguments.of(
            "an HTTP port already in use",
            (Misconfiguration)
                (device, tmp) -> {
                  int port = FreePorts.next();
                  ServerSocket taken = new ServerSocket();
                  taken.bind(new InetSocketAddress(port));
                  device.httpPort(port);
                  return taken;
                },
            List.of("http-port", "in use")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConfigurations")
  @DisplayName("Bad configuration exits with code 2 and one line on stderr naming the problem")
  void badConfigurationExitsTwo(
      String problem, Misconfiguration misconfiguration, List<String> mentions) throws Exception {
    // Start: a lone device with one thing wrong.
    DeviceProcess.Builder builder = DeviceProcess.builder("bad.alice");
    try (AutoCloseable held = misconfiguration.apply(builder, tmp);
        DeviceProcess device = builder.start()) {

      // Verdict: exit code 2, and exactly one line on stderr that names the problem.
      int code = device.awaitExit(Duration.ofSeconds(60));
      assertThat(code).as(problem + ": exit code" + device.describe()).isEqualTo(2);
      String stderr = device.stderr();
      assertThat(stderr).as(problem + ": stderr").hasLineCount(1).startsWith("kith: ");
      for (String mention : mentions) {
        assertThat(stderr).as(problem + ": stderr").containsIgnoringCase(mention);
      }
    }
  }

  @Test
  @DisplayName("Joined devices open no connection beyond loopback and no multicast socket")
  void noConnectionBeyondLoopback() {
    // Start: two devices that have joined each other.
    try (LocalMesh mesh = LocalMesh.start(2)) {
      awaitAllSeeEachOther(mesh.devices());

      // Verdict: for five seconds, every socket either process holds talks to loopback only,
      // and none is Hazelcast's multicast socket.
      allTheTime(
          Duration.ofSeconds(5),
          () -> {
            List<String> offenders = new ArrayList<>();
            for (DeviceProcess device : mesh.devices()) {
              List<ProcSockets.Socket> sockets = ProcSockets.socketsOf(device.pid());
              // The inspection must see the device's own sockets, or it would prove nothing.
              assertThat(sockets)
                  .as("%s's sockets", device.name())
                  .anyMatch(
                      s -> s.state().equals("LISTEN") && s.local().getPort() == device.httpPort())
                  .anyMatch(
                      s ->
                          s.state().equals("LISTEN")
                              && s.local().getPort() == device.clusterPort());
              for (ProcSockets.Socket socket : sockets) {
                if (socket.hasRemote() && !socket.remoteIsLoopback()
                    || socket.protocol().startsWith("udp")
                        && socket.local().getPort() == HAZELCAST_MULTICAST_PORT
                    || socket.local().getAddress().isMulticastAddress()
                    || socket.remote().getAddress().isMulticastAddress()) {
                  offenders.add(device.name() + ": " + socket);
                }
              }
            }
            assertThat(offenders).as("sockets beyond loopback or multicast").isEmpty();
          });
    }
  }

  @Test
  @DisplayName(
      "A lone device is healthy within 10 s, counts itself alive, and SIGTERM exits 0 within 5 s")
  void loneDeviceStartsAndStopsCleanly() {
    // Start: one device, no --join.
    try (DeviceProcess device = DeviceProcess.builder("solo.alice").start()) {
      device.awaitHealthy(Duration.ofSeconds(10));
      eventually(
          Duration.ofSeconds(10),
          () ->
              assertThat(Http.get(device.httpUrl() + "/metrics").body())
                  .contains("kith_devices{state=\"alive\"} 1.0"));

      // Verdict: the clean stop is quick and exits 0.
      assertThat(device.stop(Duration.ofSeconds(5))).isZero();
    }
  }

  private static void awaitAllSeeEachOther(List<DeviceProcess> devices) {
    eventually(
        Duration.ofSeconds(30),
        () -> {
          for (DeviceProcess device : devices) {
            assertThat(MeshApi.deviceStates(device.httpUrl()))
                .as("devices as %s sees them", device.name())
                .containsAllEntriesOf(allAlive(devices));
          }
        });
  }

  private static Map<String, String> allAlive(List<DeviceProcess> devices) {
    Map<String, String> states = new TreeMap<>();
    devices.forEach(device -> states.put(device.name(), MeshApi.ALIVE));
    return states;
  }

  /** How each device sees {@code name}: the fields that a second claimant must not change. */
  private static Map<String, JsonObject> identityOf(String name, List<DeviceProcess> devices) {
    Map<String, JsonObject> views = new TreeMap<>();
    for (DeviceProcess device : devices) {
      JsonObject entry = Http.getJson(device.httpUrl() + "/api/mesh/devices/" + name);
      JsonObject identity = new JsonObject();
      for (String field : List.of("name", "state", "httpUrl", "startedAt", "clusterAddress")) {
        identity.put(field, entry.getValue(field));
      }
      views.put(device.name(), identity);
    }
    return views;
  }
}
