package dev.kith.health.probe;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.Device;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The beacon on one real device, a mesh of one, in this JVM: the controller places the one
 * instance, and {@code GET /api/beacon} answers from it; until then it answers 503 with {@code
 * Retry-After}, never anything else. The beacon takes no input, so there is nothing to validate.
 */
class BeaconServiceTest {

  private static final String NAME =
      "solo" + UUID.randomUUID().toString().substring(0, 6) + ".alice";

  @TempDir static Path home;

  private static Device device;
  private static String url;

  @BeforeAll
  static void startDevice() throws Exception {
    int httpPort = FreePorts.next();
    DeviceConfig config =
        DeviceConfig.load(
            List.of(
                "--name",
                NAME,
                "--home",
                home.toString(),
                "--http-port",
                String.valueOf(httpPort),
                "--cluster-port",
                String.valueOf(FreePorts.next()),
                "--mesh",
                "test-" + UUID.randomUUID(),
                "--public-host",
                "127.0.0.1",
                "--power",
                "mains"),
            Map.of(),
            unknown -> {});
    device =
        Device.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Credentials.register("http://127.0.0.1:" + httpPort, home);
    url = "http://127.0.0.1:" + httpPort + "/api/beacon";
  }

  @AfterAll
  static void stopDevice() throws Exception {
    if (device != null) {
      device.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName(
      "GET /api/beacon answers 503 with Retry-After until the beacon is placed, then its device"
          + " and epoch")
  void answersFromTheOneInstance() {
    // The controller places new instances a few seconds after it becomes active: poll from the
    // start, and check every answer on the way, not just the last.
    List<Http.Response> seen = new ArrayList<>();
    JsonObject answer =
        eventually(
            Duration.ofSeconds(20),
            () -> {
              Http.Response response = Http.get(url);
              seen.add(response);
              assertThat(response.status()).isEqualTo(200);
              return response.json();
            });

    assertThat(answer.getString("device")).isEqualTo(NAME);
    assertThat(answer.getLong("epoch")).isPositive();
    assertThat(answer.fieldNames()).containsExactlyInAnyOrder("device", "epoch");
    for (Http.Response response : seen.subList(0, seen.size() - 1)) {
      assertThat(response.status()).as("an answer before the beacon ran").isEqualTo(503);
      assertThat(response.json().getString("error")).isEqualTo("unavailable");
    }
  }

  @Test
  @DisplayName("GET /api/beacon/anything is 404: the beacon has one route")
  void oneRoute() {
    assertThat(Http.get(url + "/elsewhere").status()).isEqualTo(404);
  }
}
