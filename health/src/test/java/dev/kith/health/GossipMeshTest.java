package dev.kith.health;

import static dev.kith.health.MeshTesting.awaitAllAlive;
import static dev.kith.health.MeshTesting.entry;
import static dev.kith.health.MeshTesting.metric;
import static dev.kith.health.MeshTesting.put;
import static dev.kith.health.MeshTesting.signal;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gossip and failure detection across three device processes on loopback. One mesh serves the whole
 * class, because a JVM takes seconds to start on two cores: the API tests come first, then the
 * faults, each of which starts by waiting for the devices it needs to be alive. A hang (SIGSTOP)
 * and its recovery leave the mesh whole; the crash and the clean stop come last, as they end a
 * device each.
 */
@ExtendWith(DeviceLogs.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
@DisplayName("Gossip across three devices")
class GossipMeshTest {

  /** Generous for two busy cores; the target is 3-5 s. */
  private static final Duration DETECTION_BOUND = Duration.ofSeconds(8);

  private LocalMesh mesh;
  private DeviceProcess d1;
  private DeviceProcess d2;
  private DeviceProcess d3;

  @BeforeAll
  void startMesh() {
    mesh = LocalMesh.options().devices(3).each(device -> device.flag("power", "mains")).start();
    d1 = mesh.device("d1.alice");
    d2 = mesh.device("d2.alice");
    d3 = mesh.device("d3.alice");
    Duration formed = awaitAllAlive(mesh.devices(), Duration.ofSeconds(60));
    System.out.printf(
        "[kith-test] three devices saw each other %d ms after start%n", formed.toMillis());
  }

  @BeforeEach
  void showLogsOnFailure() {
    // DeviceLogs forgets logs before each test; the devices were started before all of them.
    for (DeviceProcess device : mesh.devices()) {
      DeviceLogs.register(device.name() + " stdout", device.logFile());
      DeviceLogs.register(device.name() + " stderr", device.errFile());
    }
  }

  @AfterAll
  void closeMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("Every device lists all three alive, with power, load and incarnation")
  void everyoneSeesEveryone() {
    eventually(
        Duration.ofSeconds(10),
        () -> {
          for (DeviceProcess viewer : mesh.devices()) {
            for (Object item : MeshApi.devices(viewer.httpUrl())) {
              JsonObject device = (JsonObject) item;
              String what = viewer.name() + "'s entry for " + device.getString("name");
              assertThat(device.getString("state")).as(what).isEqualTo("alive");
              assertThat(device.getJsonObject("power"))
                  .as(what)
                  .isEqualTo(
                      new JsonObject()
                          .put("onMains", true)
                          .put("level", 1.0)
                          .put("charging", false));
              JsonObject load = device.getJsonObject("load");
              assertThat(load.getLong("heapMaxBytes")).as(what).isPositive();
              assertThat(load.getLong("heapUsedBytes")).as(what).isPositive();
              assertThat(load.getLong("freeDiskBytes")).as(what).isPositive();
              assertThat(device.getLong("incarnation")).as(what).isPositive();
              assertThat(device.getLong("lastHeardMillisAgo")).as(what).isBetween(0L, 2000L);
            }
          }
        });

    // One device by name answers the same, and the gauges cover every device.
    assertThat(entry(d1, "d2.alice").getString("state")).isEqualTo("alive");
    eventually(
        Duration.ofSeconds(5),
        () -> {
          for (DeviceProcess device : mesh.devices()) {
            assertThat(metric(d1, "kith_device_up{device=\"" + device.name() + "\"}"))
                .isEqualTo(1.0);
          }
          assertThat(metric(d1, "kith_gossip_sent_bytes_total")).isPositive();
        });
  }

  @Test
  @Order(2)
  @DisplayName(
      "A power change sent through one device for another reaches every device and the metrics")
  void powerChangeSpreads() {
    // A battery reading for d2, through d1.
    Http.Response response =
        put(
            d1.httpUrl() + "/api/mesh/devices/d2.alice/power",
            "{\"level\":0.1,\"charging\":false}");
    assertThat(response.status()).as("%s", response).isEqualTo(200);
    assertThat(response.json())
        .isEqualTo(
            new JsonObject()
                .put("device", "d2.alice")
                .put(
                    "power",
                    new JsonObject()
                        .put("onMains", false)
                        .put("level", 0.1)
                        .put("charging", false)));

    Duration spread =
        eventually(
            Duration.ofSeconds(10),
            () -> {
              for (DeviceProcess viewer : mesh.devices()) {
                JsonObject power = entry(viewer, "d2.alice").getJsonObject("power");
                assertThat(power.getDouble("level")).as("%s's view", viewer.name()).isEqualTo(0.1);
                assertThat(power.getBoolean("onMains")).as("%s's view", viewer.name()).isFalse();
              }
              assertThat(metric(d1, "kith_device_battery_ratio{device=\"d2.alice\"}"))
                  .isEqualTo(0.1);
              assertThat(metric(d1, "kith_device_on_mains{device=\"d2.alice\"}")).isZero();
            });
    System.out.printf(
        "[kith-test] d2's new power reached every device in %d ms%n", spread.toMillis());

    // A device's own power, set through itself; then both back on mains for the tests after.
    assertThat(
            put(
                    d3.httpUrl() + "/api/mesh/devices/d3.alice/power",
                    "{\"level\":0.5,\"charging\":true}")
                .json()
                .getJsonObject("power"))
        .isEqualTo(new JsonObject().put("onMains", false).put("level", 0.5).put("charging", true));
    for (DeviceProcess device : List.of(d2, d3)) {
      assertThat(
              put(
                      d1.httpUrl() + "/api/mesh/devices/" + device.name() + "/power",
                      "{\"mains\":true}")
                  .status())
          .isEqualTo(200);
    }
    eventually(
        Duration.ofSeconds(10),
        () -> {
          for (DeviceProcess viewer : mesh.devices()) {
            for (DeviceProcess device : List.of(d2, d3)) {
              assertThat(entry(viewer, device.name()).getJsonObject("power").getBoolean("onMains"))
                  .isTrue();
            }
          }
        });
  }

  @Test
  @Order(3)
  @DisplayName("Bad power requests get 400 and an unknown device 404, both as JSON")
  void badRequests() {
    String url = d1.httpUrl() + "/api/mesh/devices/d2.alice/power";
    for (String body :
        List.of(
            "",
            "not json",
            "[0.5]",
            "{\"level\":2,\"charging\":false}",
            "{\"level\":-0.1,\"charging\":false}",
            "{\"level\":\"low\",\"charging\":false}",
            "{\"level\":0.5}",
            "{\"level\":0.5,\"charging\":\"no\"}",
            "{\"mains\":\"yes\"}",
            "{\"mains\":true,\"level\":0.3}",
            "{\"volts\":5}")) {
      Http.Response response = put(url, body);
      assertThat(response.status()).as("PUT %s -> %s", body, response).isEqualTo(400);
      assertThat(response.json().getString("error")).isEqualTo("bad-request");
      assertThat(response.json().getString("message")).as("PUT %s", body).startsWith("power: ");
    }

    Http.Response tooLarge = put(url, "{\"level\":0.5,\"charging\":false" + " ".repeat(5000) + "}");
    assertThat(tooLarge.status()).as("%s", tooLarge).isEqualTo(413);
    assertThat(tooLarge.json().getString("error")).isEqualTo("too-large");

    Http.Response unknownPut =
        put(d1.httpUrl() + "/api/mesh/devices/nobody.alice/power", "{\"mains\":true}");
    assertThat(unknownPut.status()).isEqualTo(404);
    assertThat(unknownPut.json())
        .isEqualTo(
            new JsonObject()
                .put("error", "not-found")
                .put("message", "no device named nobody.alice"));
    Http.Response unknownGet = Http.get(d1.httpUrl() + "/api/mesh/devices/nobody.alice");
    assertThat(unknownGet.status()).isEqualTo(404);
    assertThat(unknownGet.json().getString("error")).isEqualTo("not-found");

    // The device is unharmed and its power unchanged.
    assertThat(entry(d1, "d2.alice").getJsonObject("power").getBoolean("onMains")).isTrue();
  }

  @Test
  @Order(4)
  @DisplayName(
      "A hung device is reported suspect, then dead, by both survivors, and alive once it resumes")
  void hangAndResume() {
    // Start: all three alive.
    awaitAllAlive(List.of(d1, d2, d3), Duration.ofSeconds(30));
    List<DeviceProcess> survivors = List.of(d1, d2);

    // Fault: SIGSTOP freezes d3 without closing a socket, as a hung process or a paused VM.
    long stoppedAt = System.nanoTime();
    signal(d3, "STOP");
    try {
      Map<String, Long> suspectAfter = new LinkedHashMap<>();
      Map<String, Long> deadAfter = new LinkedHashMap<>();
      eventually(
          DETECTION_BOUND,
          () -> {
            for (DeviceProcess survivor : survivors) {
              String state = MeshApi.deviceStates(survivor.httpUrl()).get("d3.alice");
              long millis = (System.nanoTime() - stoppedAt) / 1_000_000;
              if ("suspect".equals(state)) {
                suspectAfter.putIfAbsent(survivor.name(), millis);
              } else if ("dead".equals(state)) {
                deadAfter.putIfAbsent(survivor.name(), millis);
              }
            }
            assertThat(deadAfter).containsOnlyKeys("d1.alice", "d2.alice");
          });
      System.out.printf(
          "[kith-test] hang of d3: suspect after %s ms, dead after %s ms (survivor: ms since"
              + " SIGSTOP)%n",
          suspectAfter, deadAfter);

      // Verdict: each survivor suspected it before it declared it dead (the suspect window is 1 s,
      // shorter than a poll of a loaded machine may take, so the logs are the witness), neither
      // declared it dead before 2 s of silence, and both still see each other alive.
      for (DeviceProcess survivor : survivors) {
        String log = survivor.logText();
        int suspected = log.indexOf(survivor.name() + " suspects d3.alice");
        int declared = log.indexOf(survivor.name() + " declares d3.alice dead");
        assertThat(suspected).as("%s logged a suspicion of d3.alice", survivor.name()).isPositive();
        assertThat(suspected)
            .as("%s suspected d3.alice before it declared it dead", survivor.name())
            .isLessThan(declared);
      }
      assertThat(deadAfter.values()).allSatisfy(millis -> assertThat(millis).isGreaterThan(2000));
      for (DeviceProcess survivor : survivors) {
        assertThat(MeshApi.deviceStates(survivor.httpUrl()))
            .containsEntry("d1.alice", "alive")
            .containsEntry("d2.alice", "alive");
      }

      // Hold the hang until the cluster has dropped d3 as well (health reports it to the cluster
      // once gossip declares it dead), so the recovery below is a real rejoin.
      eventually(
          Duration.ofSeconds(20),
          () -> assertThat(metric(d1, "kith_devices{state=\"dead\"}")).isEqualTo(1.0));
    } finally {
      // Recovery: SIGCONT, whatever happened above.
      signal(d3, "CONT");
    }
    long resumedAt = System.nanoTime();

    // Verdict: every device, d3 included, sees all three alive again.
    awaitAllAlive(List.of(d1, d2, d3), Duration.ofSeconds(60));
    System.out.printf(
        "[kith-test] d3 was alive again everywhere %d ms after SIGCONT%n",
        (System.nanoTime() - resumedAt) / 1_000_000);
  }

  @Test
  @Order(5)
  @DisplayName("A device killed with kill -9 is reported dead by both survivors within seconds")
  void crash() {
    // Start: all three alive.
    awaitAllAlive(List.of(d1, d2, d3), Duration.ofSeconds(60));

    // Fault: SIGKILL; the kernel closes its sockets, so the cluster sees it at once.
    long killedAt = System.nanoTime();
    d3.kill9();

    // Verdict: both survivors say dead.
    Duration detected =
        eventually(
            DETECTION_BOUND,
            () -> {
              for (DeviceProcess survivor : List.of(d1, d2)) {
                assertThat(MeshApi.deviceStates(survivor.httpUrl()))
                    .as("%s's view", survivor.name())
                    .containsEntry("d3.alice", "dead")
                    .containsEntry("d1.alice", "alive")
                    .containsEntry("d2.alice", "alive");
              }
            });
    System.out.printf(
        "[kith-test] kill -9 of d3: both survivors reported it dead %d ms after the kill%n",
        (System.nanoTime() - killedAt) / 1_000_000);
    assertThat(detected).isLessThanOrEqualTo(DETECTION_BOUND);
    assertThat(metric(d1, "kith_device_up{device=\"d3.alice\"}")).isZero();

    // A power request for the dead device: it is known, so not 404, but nobody answers.
    Http.Response unanswered =
        put(d1.httpUrl() + "/api/mesh/devices/d3.alice/power", "{\"mains\":true}");
    assertThat(unanswered.status()).as("%s", unanswered).isEqualTo(503);
    assertThat(unanswered.json().getString("error")).isEqualTo("unavailable");
    assertThat(unanswered.json().getString("message")).contains("d3.alice did not answer");
  }

  @Test
  @Order(6)
  @DisplayName("A device stopped cleanly with SIGTERM is reported left, not dead")
  void cleanStop() {
    // Start: d1 and d2 alive.
    awaitAllAlive(List.of(d1, d2), Duration.ofSeconds(30));

    // A clean stop: SIGTERM, exit 0.
    assertThat(d2.stop()).isZero();

    // Verdict: d1 reports it left, and its view heard the goodbye on the gossip address.
    Duration seen =
        eventually(
            Duration.ofSeconds(10),
            () -> {
              assertThat(MeshApi.deviceStates(d1.httpUrl())).containsEntry("d2.alice", "left");
              assertThat(MeshTesting.logLines(d1, "d1.alice sees d2.alice leave")).isPositive();
            });
    System.out.printf("[kith-test] d1 reported d2 left %d ms after it exited%n", seen.toMillis());
  }
}
