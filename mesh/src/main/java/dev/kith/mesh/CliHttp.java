package dev.kith.mesh;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The HTTP calls of the {@code kith} client commands: JSON in, JSON out, with the caller's
 * credentials ({@link CliAuth}), and one way of telling the user what went wrong.
 */
final class CliHttp {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Whether the last call failed because the credentials could not be had. */
  private static volatile boolean credentialsFailed;

  private CliHttp() {}

  /**
   * The exit code after {@link #send} answered {@code null}: 2 when the session has ended (log in
   * again), 1 when the device could not be reached.
   */
  static int failure() {
    return credentialsFailed ? ExitCode.USAGE : ExitCode.FAILURE;
  }

  /**
   * Sends {@code method url} with {@code body} (JSON, or none) and the credentials of {@code auth}
   * (none when it is {@code null}); {@code null} after printing why, when the device cannot be
   * reached or the credentials cannot be had.
   */
  static HttpResponse<String> send(CliAuth auth, String method, String url, JsonObject body) {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(TIMEOUT)
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body.encode()));
      if (body != null) {
        request.header("Content-Type", "application/json");
      }
      if (auth != null) {
        auth.apply(request);
      }
      return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (CliSession.Ended e) {
      credentialsFailed = true;
      System.err.println("kith: " + e.getMessage());
      return null;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("kith: cannot reach " + url + ": " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The JSON object an answer holds, or an empty one. */
  static JsonObject json(HttpResponse<String> r) {
    try {
      return new JsonObject(r.body());
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  /**
   * Prints a refusal ({@code kith: HTTP 403: ...}) and answers the exit code: 2 for credentials
   * that are missing or not enough, 1 otherwise.
   */
  static int refused(HttpResponse<String> r) {
    String message = json(r).getString("message", r.body());
    System.err.println("kith: HTTP " + r.statusCode() + ": " + message);
    if (r.statusCode() == 401) {
      System.err.println(
          "kith: log in first (kith login OWNER), run this on the device's machine with --home"
              + " DIR, or set KITH_ACCESS_TOKEN");
    }
    return r.statusCode() == 401 || r.statusCode() == 403 ? ExitCode.USAGE : ExitCode.FAILURE;
  }
}
