package dev.kith.mesh.auth;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * A device that checks an access token signed by another device reads the signer's key from the
 * accounts vault. While that vault cannot answer (too few replicas: a device hung, or the moments
 * after a restart or a merge), the token is neither valid nor invalid: the answer must be 503 with
 * {@code Retry-After}, never 401, which tells the user's client to log in again. As soon as the
 * vault answers, the same token works.
 */
@Isolated("times the answer to a hang")
@ExtendWith(DeviceLogs.class)
@Timeout(180)
class TokenCheckTest {

  private static final Duration START = LocalMesh.START_TIMEOUT;

  /** Longer than the vault's calls to a replica (15 s), which a hung replica lets run out. */
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @Test
  @DisplayName(
      "A valid token that a device cannot check yet gets 503 with Retry-After, not 401, and works"
          + " once the accounts vault answers")
  void uncheckableTokenIsRetryNotLogInAgain() throws Exception {
    // Start: two devices, every vault on both, and a write quorum of one, so that a read needs
    // both replicas (replicas - write quorum + 1).
    try (LocalMesh mesh =
        LocalMesh.options()
            .devices(2)
            .each(
                d ->
                    d.flag("vault-replicas", "2")
                        .flag("vault-write-quorum", "1")
                        // No health module here: the cluster's own timeout declares d1 lost.
                        .flag("no-heartbeat-timeout-seconds", "4"))
            .start()) {
      DeviceProcess d1 = mesh.device(0).awaitReady(START);
      DeviceProcess d2 = mesh.device(1).awaitReady(START);
      eventually(
          START,
          () -> {
            for (DeviceProcess d : mesh.devices()) {
              assertThat(MeshApi.deviceStates(d.httpUrl()).values())
                  .containsExactly("alive", "alive");
            }
          });
      // alice logs in through d1: her token is signed by d1's key, which d2 has not looked up.
      String operator = Credentials.operatorToken(d1.home()).orElseThrow();
      String byD1 =
          Credentials.ownerToken(d1.httpUrl(), d1.home(), operator, "alice").orElseThrow();

      // Fault: d1 hangs, so d2's read of d1's key gets one answer of the two it needs.
      signal(d1, "STOP");
      HttpResponse<String> hung;
      long askedAt = System.nanoTime();
      try {
        hung = me(d2, byD1);
      } finally {
        signal(d1, "CONT");
      }
      Duration waited = Duration.ofNanos(System.nanoTime() - askedAt);
      System.out.printf(
          "[kith-test] with d1 hung, d2 answered %d in %d ms: %s%n",
          hung.statusCode(), waited.toMillis(), hung.body());

      // Verdict: retry, not "log in again", as soon as d1 is declared lost (4 s of silence here),
      // not after the vault call's own 15 s timeout.
      assertThat(hung.statusCode()).as(hung.body()).isEqualTo(503);
      assertThat(hung.headers().firstValue("Retry-After")).isPresent();
      assertThat(waited).isLessThan(Duration.ofSeconds(12));

      // Recovery: the same token works through d2 once the vault answers.
      Duration recovered =
          eventually(
              START,
              () -> {
                HttpResponse<String> again = me(d2, byD1);
                assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
                assertThat(again.body()).contains("\"alice\"");
              });
      System.out.printf(
          "[kith-test] the token worked through d2 %d ms after SIGCONT%n", recovered.toMillis());
    }
  }

  private static HttpResponse<String> me(DeviceProcess device, String token) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(device.httpUrl() + "/api/auth/me"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .GET()
            .build();
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("GET /api/auth/me on " + device.name(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends SIGSTOP or SIGCONT to a device's process. */
  private static void signal(DeviceProcess device, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(device.pid())).start();
    assertThat(kill.waitFor()).as("kill -%s %d", signal, device.pid()).isZero();
  }
}
