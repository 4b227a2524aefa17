package dev.kith.mesh.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A tiny blocking HTTP client for tests, over {@link java.net.http.HttpClient} with short timeouts
 * so that a hung device fails an attempt instead of hanging the test. Failures to connect are
 * {@link UncheckedIOException}s, which {@link Eventually} treats as one more failed attempt.
 */
public final class Http {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(CONNECT_TIMEOUT)
          .build();

  private Http() {}

  /** A status and a body; {@link #toString()} shows both, for failure messages. */
  public record Response(int status, String body) {

    /** The body as a JSON object. */
    public JsonObject json() {
      return new JsonObject(body);
    }

    /** The body as a JSON array. */
    public JsonArray jsonArray() {
      return new JsonArray(body);
    }

    @Override
    public String toString() {
      return "HTTP " + status + " " + body;
    }
  }

  /** Sends {@code GET url} and returns whatever status it gets. */
  public static Response get(String url) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT).build();
    try {
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during GET " + url, e);
    }
  }

  /** Sends {@code GET url}, requires status 200, and parses the body as a JSON object. */
  public static JsonObject getJson(String url) {
    return ok(url).json();
  }

  /** Sends {@code GET url}, requires status 200, and parses the body as a JSON array. */
  public static JsonArray getJsonArray(String url) {
    return ok(url).jsonArray();
  }

  private static Response ok(String url) {
    Response response = get(url);
    if (response.status() != 200) {
      throw new AssertionError("GET " + url + " answered " + response);
    }
    return response;
  }
}
