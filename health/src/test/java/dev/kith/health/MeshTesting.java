package dev.kith.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Helpers shared by the multi-device tests of this module. */
final class MeshTesting {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private MeshTesting() {}

  /** Sends {@code PUT url} with a JSON body and returns whatever status it gets. */
  static Http.Response put(String url, String body) {
    return send("PUT", url, body);
  }

  /** Sends {@code POST url} with a JSON body and returns whatever status it gets. */
  static Http.Response post(String url, String body) {
    return send("POST", url, body);
  }

  private static Http.Response send(String method, String url, String body) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body));
    // Power and drains are for administrators: the device's operator token, as the harness holds.
    Credentials.authorization(URI.create(url)).ifPresent(v -> builder.header("Authorization", v));
    HttpRequest request = builder.build();
    try {
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Http.Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during " + method + " " + url, e);
    }
  }

  /** One device's entry as {@code viewer} reports it. */
  static JsonObject entry(DeviceProcess viewer, String name) {
    return Http.getJson(viewer.httpUrl() + "/api/mesh/devices/" + name);
  }

  /** Waits until every device reports every device alive. */
  static Duration awaitAllAlive(List<DeviceProcess> devices, Duration deadline) {
    Map<String, String> allAlive = new TreeMap<>();
    devices.forEach(device -> allAlive.put(device.name(), MeshApi.ALIVE));
    return Eventually.eventually(
        deadline,
        () -> {
          for (DeviceProcess device : devices) {
            assertThat(MeshApi.deviceStates(device.httpUrl()))
                .as("devices as %s sees them", device.name())
                .containsAllEntriesOf(allAlive);
          }
        });
  }

  /** Sends SIGSTOP or SIGCONT to a device's process. */
  static void signal(DeviceProcess device, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(device.pid())).start();
      assertThat(kill.waitFor()).as("kill -%s %d", signal, device.pid()).isZero();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The value of one Prometheus sample line on a device's {@code /metrics}, or NaN. */
  static double metric(DeviceProcess device, String series) {
    for (String line : Http.get(device.httpUrl() + "/metrics").body().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  /** How many lines of the device's log contain {@code text}. */
  static long logLines(DeviceProcess device, String text) {
    return device.stdout().lines().filter(line -> line.contains(text)).count();
  }
}
