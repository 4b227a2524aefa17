package dev.kith.mesh.trust;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The edge over HTTPS with the device's mesh certificate: a client that trusts the mesh CA gets in,
 * one that does not is refused, and a join token made there enrolls a device over HTTPS.
 */
@DisplayName("HTTPS at the edge")
@ExtendWith(DeviceLogs.class)
class HttpsTest {

  private static final Duration START = LocalMesh.START_TIMEOUT;

  @Test
  @DisplayName("serves HTTPS with a mesh CA certificate, and enrolls a device over it")
  void httpsEdge() throws Exception {
    try (LocalMesh mesh =
        LocalMesh.options().names("d1.alice").each(b -> b.args("--https")).launch()) {
      DeviceProcess d1 = mesh.device(0);
      String base = "https://127.0.0.1:" + d1.httpPort();
      HttpClient trusting = client(d1);
      HttpResponse<String> health =
          eventually(
              START,
              () -> {
                HttpResponse<String> r =
                    trusting.send(get(base + "/ready", null), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                return r;
              });
      assertThat(new JsonObject(health.body()).getString("device")).isEqualTo("d1.alice");

      // A client that trusts only the usual public CAs is refused in the handshake.
      HttpClient ordinary = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      try {
        ordinary.send(get(base + "/health", null), HttpResponse.BodyHandlers.ofString());
        throw new AssertionError("a client without the mesh CA got in");
      } catch (SSLHandshakeException expected) {
        // refused, as it should be
      }

      // The device lists itself with its HTTPS address, and a join token points there.
      String operator = Credentials.operatorToken(d1.home()).orElseThrow();
      JsonArray devices =
          new JsonArray(
              trusting
                  .send(
                      get(base + "/api/mesh/devices", operator),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      assertThat(devices.getJsonObject(0).getString("httpUrl")).startsWith("https://");
      HttpResponse<String> invite =
          trusting.send(
              HttpRequest.newBuilder(URI.create(base + "/api/mesh/invites"))
                  .header("Authorization", "Bearer " + operator)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(invite.statusCode()).as(invite.body()).isEqualTo(201);
      String token = new JsonObject(invite.body()).getString("token");
      assertThat(Invites.claims(token).getString("url")).startsWith("https://");

      DeviceProcess d2 =
          mesh.startExtra(mesh.newDevice("d2.alice").flag("token", token)).awaitReady(START);
      eventually(
          START,
          () -> assertThat(MeshApi.deviceStates(d2.httpUrl())).containsEntry("d1.alice", "alive"));
    }
  }

  private static HttpRequest get(String url, String bearer) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return b.build();
  }

  /** A client that trusts the mesh CA of {@code device}'s home. */
  private static HttpClient client(DeviceProcess device) throws Exception {
    var ca = Pem.certificates(Files.readString(device.home().resolve("trust/ca.pem"))).get(0);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("mesh-ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(store);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .sslContext(ssl)
        .build();
  }
}
