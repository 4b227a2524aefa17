package dev.kith.health;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The placement controller end to end, on real device processes: alice's probe runs on one of
 * alice's devices in her failover order, a drain moves it, and a {@code kill -9} of its device
 * moves it to a survivor, while bob's device keeps answering for it.
 */
@ExtendWith(DeviceLogs.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(180)
class PlacementMeshTest {

  private static LocalMesh mesh;

  @BeforeAll
  static void start() {
    // Start: alice's failover order is pi, then laptop; bob's desktop is a third device.
    mesh =
        LocalMesh.options()
            .names("laptop.alice", "pi.alice", "desktop.bob")
            .each(
                device -> {
                  device.flag("power", "mains");
                  // A failover list names the device's own owner's devices; bob's has none.
                  if (device.name().endsWith(".alice")) {
                    device.flag("failover", "pi.alice,laptop.alice");
                  }
                })
            .start();
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static JsonObject probe(DeviceProcess through) {
    Http.Response response = Http.get(through.httpUrl() + "/api/probe/alice");
    assertThat(response.status())
        .as("probe through %s: %s", through.name(), response.body())
        .isEqualTo(200);
    return new JsonObject(response.body());
  }

  @Test
  @Order(1)
  @DisplayName(
      "places alice's probe on pi.alice, first in her failover order, and any device answers")
  void placesByFailoverOrder() {
    DeviceProcess bob = mesh.device("desktop.bob");
    eventually(
        Duration.ofSeconds(20),
        () -> assertThat(probe(bob).getString("device")).isEqualTo("pi.alice"));
    assertThat(probe(mesh.device("laptop.alice")).getString("device")).isEqualTo("pi.alice");

    JsonArray services = Http.getJsonArray(bob.httpUrl() + "/api/mesh/services");
    assertThat(services.stream().map(JsonObject.class::cast))
        .anySatisfy(
            s -> {
              assertThat(s.getString("service")).isEqualTo("probe");
              assertThat(s.getString("owner")).isEqualTo("alice");
              assertThat(s.getString("device")).isEqualTo("pi.alice");
              assertThat(s.getString("state")).isEqualTo("running");
            });
  }

  @Test
  @Order(2)
  @DisplayName("a drain moves the probe off its device, and undrain lets it be placed there again")
  void drainMovesIt() {
    DeviceProcess bob = mesh.device("desktop.bob");
    Http.Response drained =
        MeshTesting.post(bob.httpUrl() + "/api/mesh/devices/pi.alice/drain", "");
    assertThat(drained.status()).isEqualTo(200);
    try {
      eventually(
          Duration.ofSeconds(10),
          () -> assertThat(probe(bob).getString("device")).isEqualTo("laptop.alice"));
      eventually(
          Duration.ofSeconds(5),
          () ->
              assertThat(Http.getJsonArray(bob.httpUrl() + "/api/mesh/events").encode())
                  .contains("\"reason\":\"drain\""));
    } finally {
      assertThat(
              MeshTesting.post(bob.httpUrl() + "/api/mesh/devices/pi.alice/undrain", "").status())
          .isEqualTo(200);
    }
    assertThat(
            MeshTesting.post(bob.httpUrl() + "/api/mesh/devices/nobody.alice/drain", "").status())
        .isEqualTo(404);
  }

  @Test
  @Order(3)
  @DisplayName("kill -9 of the probe's device moves it to alice's other device")
  void crashMovesIt() {
    DeviceProcess bob = mesh.device("desktop.bob");
    String host = probe(bob).getString("device");
    long epochBefore = probe(bob).getLong("epoch");

    // Fault: a real SIGKILL of the device that runs alice's probe.
    long killedAt = System.nanoTime();
    mesh.device(host).kill9();

    // Recovery: the probe answers again, through bob's device, from the survivor.
    String survivor = host.equals("laptop.alice") ? "pi.alice" : "laptop.alice";
    eventually(
        Duration.ofSeconds(15),
        () -> {
          JsonObject answer = probe(bob);
          assertThat(answer.getString("device")).isEqualTo(survivor);
          assertThat(answer.getLong("epoch")).isGreaterThan(epochBefore);
        });
    System.out.printf(
        "after kill -9 of %s the probe answered from %s in %d ms%n",
        host, survivor, (System.nanoTime() - killedAt) / 1_000_000);

    eventually(
        Duration.ofSeconds(5),
        () ->
            assertThat(Http.getJsonArray(bob.httpUrl() + "/api/mesh/events").encode())
                .contains("\"reason\":\"failed\""));
    assertThat(Http.get(bob.httpUrl() + "/metrics").body())
        .contains(
            "kith_service_placement{device=\""
                + survivor
                + "\",owner=\"alice\",service=\"probe\"} 1.0");
  }
}
