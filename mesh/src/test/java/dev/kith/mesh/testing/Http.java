package dev.kith.mesh.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
  public record Response(
      int status, String body, java.util.Map<String, java.util.List<String>> headers) {

    public Response(int status, String body) {
      this(status, body, java.util.Map.of());
    }

    /** The first value of a header, or {@code null}. */
    public String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }

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
    HttpRequest request =
        authorized(HttpRequest.newBuilder(URI.create(url))).timeout(REQUEST_TIMEOUT).build();
    try {
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers().map());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during GET " + url, e);
    }
  }

  /**
   * Sends a request with a body (or none, when {@code body} is null) and returns whatever status it
   * gets.
   */
  public static Response send(String method, String url, String contentType, byte[] body) {
    return send(method, url, contentType, body, new String[0]);
  }

  /**
   * Like {@link #send(String, String, String, byte[])}, with extra headers ({@code name, value,
   * ...}); the answer keeps its headers.
   */
  public static Response send(
      String method, String url, String contentType, byte[] body, String... headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(REQUEST_TIMEOUT)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      builder.header("Content-Type", contentType);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    authorized(builder);
    try {
      HttpResponse<String> response =
          CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers().map());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during " + method + " " + url, e);
    }
  }

  /** A status, headers and the raw body. */
  public record BytesResponse(
      int status, java.util.Map<String, java.util.List<String>> headers, byte[] body) {
    public String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }

    @Override
    public String toString() {
      return "HTTP " + status + " (" + body.length + " bytes)";
    }
  }

  /** Sends {@code GET url} with extra headers ({@code name, value, ...}) and returns raw bytes. */
  public static BytesResponse getBytes(String url, String... headers) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT);
    boolean ownAuthorization = false;
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
      ownAuthorization |= headers[i].equalsIgnoreCase("Authorization");
    }
    if (!ownAuthorization) {
      authorized(builder);
    }
    try {
      HttpResponse<byte[]> response =
          CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new BytesResponse(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during GET " + url, e);
    }
  }

  /**
   * Sends a request with exactly the headers given ({@code name, value, ...}) and no credentials
   * added by the harness; for tests of authentication itself.
   */
  public static Response raw(String method, String url, String body, String... headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(REQUEST_TIMEOUT)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<String> response =
          CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers().map());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during " + method + " " + url, e);
    }
  }

  /**
   * Sends a request with exactly the headers given from a socket bound to {@code localAddress} (an
   * address on loopback such as {@code 127.0.0.9}), so that a test can be a caller of its own to
   * the device's per-address limits. Plain HTTP/1.1 with {@code Connection: close}.
   */
  public static Response rawFrom(
      String localAddress, String method, String url, String body, String... headers) {
    URI uri = URI.create(url);
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head =
        new StringBuilder(method)
            .append(' ')
            .append(uri.getRawPath())
            .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
            .append(" HTTP/1.1\r\nHost: ")
            .append(uri.getHost())
            .append(':')
            .append(uri.getPort())
            .append("\r\nConnection: close\r\nContent-Length: ")
            .append(content.length)
            .append("\r\n");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    head.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(localAddress, 0));
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2_000);
      socket.setSoTimeout((int) REQUEST_TIMEOUT.toMillis() * 2);
      socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().write(content);
      socket.getOutputStream().flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      int split = response.indexOf("\r\n\r\n");
      Map<String, List<String>> answered = new HashMap<>();
      for (String line : response.substring(0, split).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          answered
              .computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
              .add(line.substring(colon + 1).trim());
        }
      }
      String text = response.substring(split + 4);
      if ("chunked".equalsIgnoreCase(first(answered, "Transfer-Encoding"))) {
        text = unchunk(text);
      }
      return new Response(status, text, answered);
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + " from " + localAddress + ": " + e, e);
    }
  }

  private static String first(Map<String, List<String>> headers, String name) {
    return headers.entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(e -> e.getValue().get(0))
        .findFirst()
        .orElse(null);
  }

  private static String unchunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < chunked.length()) {
      int eol = chunked.indexOf("\r\n", at);
      int size = Integer.parseInt(chunked.substring(at, eol).trim().split(";")[0], 16);
      if (size == 0) {
        break;
      }
      out.append(chunked, eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    return out.toString();
  }

  /** Adds the credentials the harness holds for this request's device and path, if any. */
  private static HttpRequest.Builder authorized(HttpRequest.Builder builder) {
    HttpRequest probe = builder.copy().build();
    Credentials.authorization(probe.uri())
        .ifPresent(value -> builder.header("Authorization", value));
    return builder;
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
