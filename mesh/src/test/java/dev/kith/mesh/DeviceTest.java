package dev.kith.mesh;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One real device, a mesh of one, started in this JVM once for the whole class and driven over real
 * HTTP on loopback. It runs {@link EchoService} from the test class path. The last test stops it;
 * every other test leaves it serving.
 */
@DisplayName("A one-device mesh")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeviceTest {

  private static final String NAME =
      "solo" + UUID.randomUUID().toString().substring(0, 6) + ".alice";
  private static final int MAX_BODY_BYTES = 2048;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @TempDir static Path home;

  private static Instant startRequested;
  private static Device device;
  private static int httpPort;
  private static boolean stopped;

  @BeforeAll
  static void startDevice() throws Exception {
    httpPort = FreePorts.next();
    DeviceConfig config =
        DeviceConfig.load(
            List.of(
                "--name", NAME,
                "--home", home.toString(),
                "--http-port", String.valueOf(httpPort),
                "--cluster-port", String.valueOf(FreePorts.next()),
                "--mesh", "test-" + UUID.randomUUID(),
                "--public-host", "127.0.0.1",
                "--max-body-bytes", String.valueOf(MAX_BODY_BYTES)),
            Map.of(),
            unknown -> {});
    startRequested = Instant.now();
    device =
        Device.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Credentials.register("http://127.0.0.1:" + httpPort, home);
  }

  @AfterAll
  static void stopDevice() throws Exception {
    if (device != null && !stopped) {
      device.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("answers /health with 200 and its name as JSON")
  void health() throws Exception {
    HttpResponse<String> response = get("/health");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new JsonObject(response.body()).getString("device")).isEqualTo(NAME);
  }

  @Test
  @DisplayName("answers /ready with 200 as soon as start() has completed")
  void ready() throws Exception {
    HttpResponse<String> response = get("/ready");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getString("device")).isEqualTo(NAME);
  }

  @Test
  @DisplayName("exports the mesh's gauges on /metrics: one alive device, and this device's info")
  void meshMetrics() {
    eventually(
        WAIT,
        () -> {
          String metrics = get("/metrics").body();
          assertThat(metrics).contains("kith_devices{state=\"alive\"} 1.0");
          assertThat(metrics).contains("kith_devices{state=\"dead\"} 0.0");
          assertThat(metrics)
              .contains(
                  "kith_device_info{device=\""
                      + NAME
                      + "\",owner=\"alice\",version=\""
                      + Device.version()
                      + "\"} 1");
        });
  }

  @Test
  @DisplayName(
      "exports Vert.x HTTP server metrics on /metrics once it has served a request, with response"
          + " time buckets for percentiles")
  void vertxMetrics() throws Exception {
    assertThat(get("/health").statusCode()).isEqualTo(200);

    eventually(
        WAIT,
        () ->
            assertThat(get("/metrics").body())
                .contains("vertx_http_server_requests")
                .containsPattern(
                    "vertx_http_server_response_time_seconds_bucket\\{[^}]*le=\"0\\.1\"[^}]*\\} [1-9]")
                .contains("vertx_http_server_response_time_seconds_bucket{")
                .containsPattern("response_time_seconds_bucket\\{[^}]*le=\"\\+Inf\""));
  }

  @Test
  @DisplayName(
      "lists exactly itself on /api/mesh/devices: alive, reachable, with start and version")
  void listsItself() throws Exception {
    JsonArray devices = okArray("/api/mesh/devices");

    assertThat(devices).hasSize(1);
    JsonObject self = devices.getJsonObject(0);
    assertThat(self.getString("name")).isEqualTo(NAME);
    assertThat(self.getString("owner")).isEqualTo("alice");
    assertThat(self.getString("state")).isEqualTo("alive");
    assertThat(self.getString("httpUrl")).isEqualTo("http://127.0.0.1:" + httpPort);
    assertThat(self.getString("version")).isEqualTo(Device.version()).isNotBlank();
    assertThat(Instant.parse(self.getString("startedAt"))).isBetween(startRequested, Instant.now());
    assertThat(self.getJsonArray("services").stream().toList()).contains("echo");
    assertThat(self.fieldNames()).doesNotContain("memberId", "left");
  }

  @Test
  @DisplayName("answers /api/mesh/devices/{name} with the device's entry")
  void getsItselfByName() throws Exception {
    HttpResponse<String> response = get("/api/mesh/devices/" + NAME);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject self = new JsonObject(response.body());
    assertThat(self).isEqualTo(okArray("/api/mesh/devices").getJsonObject(0));
  }

  @Test
  @DisplayName("answers /api/mesh/devices/{name} with a JSON 404 for a name it has never seen")
  void unknownDevice() throws Exception {
    HttpResponse<String> response = get("/api/mesh/devices/nobody.alice");

    assertError(response, 404, "not-found");
    assertThat(error(response).getString("message")).contains("nobody.alice");
  }

  @Test
  @DisplayName("answers an unknown path with a JSON 404 that names the path")
  void unknownPath() throws Exception {
    HttpResponse<String> response = get("/no/such/thing");

    assertError(response, 404, "not-found");
    assertThat(error(response).getString("message")).contains("/no/such/thing");
  }

  @Test
  @DisplayName("answers a known path with the wrong method with a JSON 405")
  void wrongMethod() throws Exception {
    assertError(send("POST", "/health", "{}"), 405, "method-not-allowed");
    assertError(send("DELETE", "/api/mesh/devices", null), 405, "method-not-allowed");
  }

  @Test
  @DisplayName("lists the echo service as running on this device on /api/mesh/services")
  void listsServices() throws Exception {
    JsonArray services = okArray("/api/mesh/services");

    assertThat(services.stream().map(JsonObject.class::cast))
        .anySatisfy(
            s -> {
              assertThat(s.getString("service")).isEqualTo("echo");
              assertThat(s.getString("device")).isEqualTo(NAME);
              assertThat(s.getString("state")).isEqualTo("running");
            });
  }

  @Test
  @DisplayName(
      "mounts a service's routes under /api/<service>/ and reaches its verticle by event bus")
  void echoesThroughTheEventBus() throws Exception {
    HttpResponse<String> response =
        send("POST", "/api/echo/", new JsonObject().put("hello", "world").encode());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()))
        .isEqualTo(new JsonObject().put("hello", "world").put("device", NAME));
  }

  @Test
  @DisplayName("does not mount a service's routes outside /api/<service>/")
  void serviceRoutesOnlyUnderTheirPrefix() throws Exception {
    // / is the front page, GET only: echo's POST route does not answer there.
    assertError(send("POST", "/", "{}"), 405, "method-not-allowed");
    assertError(get("/boom"), 404, "not-found");
  }

  @Test
  @DisplayName("accepts a request body just under max-body-bytes")
  void bodyUnderTheLimit() throws Exception {
    String body = jsonOfSize(MAX_BODY_BYTES - 100);

    HttpResponse<String> response = send("POST", "/api/echo/", body);

    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("refuses a request body over max-body-bytes with a JSON 413")
  void bodyOverTheLimit() throws Exception {
    HttpResponse<String> response = send("POST", "/api/echo/", jsonOfSize(2 * MAX_BODY_BYTES));

    assertError(response, 413, "too-large");
    assertThat(error(response).getString("message")).contains(String.valueOf(MAX_BODY_BYTES));
  }

  @Test
  @DisplayName("refuses a chunked request body over max-body-bytes with a JSON 413")
  void chunkedBodyOverTheLimit() throws Exception {
    // Without Content-Length the edge can only count bytes as they arrive.
    String body = jsonOfSize(2 * MAX_BODY_BYTES);
    HttpRequest request =
        HttpRequest.newBuilder(uri("/api/echo/"))
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .header("Authorization", Credentials.authorization(uri("/api/echo/")).orElseThrow())
            .POST(withoutLength(BodyPublishers.ofString(body)))
            .build();

    HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());

    assertError(response, 413, "too-large");
  }

  @Test
  @DisplayName("answers a body that is not JSON with a JSON 400")
  void invalidJson() throws Exception {
    assertError(send("POST", "/api/echo/", "{not json"), 400, "bad-request");
  }

  @Test
  @DisplayName("answers a route that throws with a JSON 500 and keeps serving")
  void failingRoute() throws Exception {
    HttpResponse<String> response = get("/api/echo/boom");

    assertError(response, 500, "internal-error");
    assertThat(get("/health").statusCode()).isEqualTo(200);
    assertThat(send("POST", "/api/echo/", "{}").statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 403, 404, 409, 413, 502, 504})
  @DisplayName("answers with the status a service instance failed with, and its message")
  void instanceFailure(int status) throws Exception {
    HttpResponse<String> response = get("/api/echo/fail/" + status);

    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(error(response).getString("message")).isEqualTo("asked to fail");
  }

  @Test
  @DisplayName("answers an instance that fails with 503 with Retry-After")
  void instanceUnavailable() throws Exception {
    HttpResponse<String> response = get("/api/echo/fail/503");

    assertError(response, 503, "unavailable");
    assertThat(response.headers().firstValue("Retry-After")).contains("1");
  }

  @Test
  @DisplayName("answers an instance that throws with a JSON 500, and the instance keeps serving")
  void crashingInstance() throws Exception {
    HttpResponse<String> response = get("/api/echo/crash");

    assertError(response, 500, "internal-error");
    assertThat(error(response).getString("message")).doesNotContain(EchoService.BOOM);
    assertThat(send("POST", "/api/echo/", "{}").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("serves the OpenAPI document of every route, with who may call it and its body")
  void openApiDocument() throws Exception {
    HttpResponse<String> response =
        CLIENT.send(
            HttpRequest.newBuilder(uri("/api/openapi.json")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject doc = new JsonObject(response.body());
    assertThat(doc.getString("openapi")).isEqualTo("3.1.0");
    JsonObject paths = doc.getJsonObject("paths");
    JsonObject login = paths.getJsonObject("/api/auth/login").getJsonObject("post");
    assertThat(login.containsKey("security")).isFalse();
    JsonObject schema =
        login
            .getJsonObject("requestBody")
            .getJsonObject("content")
            .getJsonObject("application/json")
            .getJsonObject("schema");
    assertThat(schema.getJsonArray("required").getList()).contains("owner", "password");
    JsonObject put = paths.getJsonObject("/api/vault/{owner}/records/{key}").getJsonObject("put");
    assertThat(put.getString("x-kith-access")).isEqualTo("owner:owner");
    assertThat(put.getJsonArray("security")).isNotEmpty();
    assertThat(put.getJsonArray("parameters").size()).isEqualTo(2);
  }

  @Test
  @DisplayName(
      "refuses a body that does not fit its route's schema with a 400 that says what to send")
  void bodySchema() throws Exception {
    HttpResponse<String> missing =
        send("POST", "/api/auth/login", new JsonObject().put("owner", "alice").encode());
    assertError(missing, 400, "bad-request");
    assertThat(error(missing).getString("message")).contains("password");

    HttpResponse<String> wrongType =
        send("POST", "/api/auth/login", "{\"owner\":\"alice\",\"password\":7}");
    assertError(wrongType, 400, "bad-request");
    assertThat(error(wrongType).getString("message")).contains("/password");

    HttpResponse<String> array = send("POST", "/api/auth/login", "[1,2]");
    assertError(array, 400, "bad-request");
    assertThat(send("GET", "/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("answers a request with oversized headers with a JSON error")
  void oversizedHeaders() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(uri("/health"))
            .timeout(Duration.ofSeconds(5))
            .header("X-Padding", "x".repeat(20 * 1024))
            .build();

    HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());

    assertError(response, 431, "headers-too-large");
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("answers a request line that is too long with a JSON 414")
  void overlongRequestLine() throws Exception {
    HttpResponse<String> response = get("/health?pad=" + "x".repeat(10 * 1024));

    assertError(response, 414, "uri-too-long");
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName(
      "refuses a login body that is not declared application/json with a JSON 415, and still logs"
          + " in with JSON")
  void loginTakesOnlyJson() throws Exception {
    String base = "http://127.0.0.1:" + httpPort;
    String operator = Credentials.operatorToken(home).orElseThrow();
    assertThat(Credentials.ownerToken(base, home, operator, "alice")).isPresent();
    String login =
        new JsonObject()
            .put("owner", "alice")
            .put("password", "harness-alice-" + meshId())
            .put("cookie", true)
            .encode();
    String refusal =
        "{\"error\":\"unsupported-media-type\",\"message\":\"send the body as JSON, with"
            + " Content-Type: application/json\"}";
    // What a form or fetch on another site may send without asking first.
    for (String type :
        new String[] {
          "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"
        }) {
      HttpResponse<String> response = post("/api/auth/login", type, login);
      assertThat(response.statusCode()).as(type).isEqualTo(415);
      assertThat(response.body()).as(type).isEqualTo(refusal);
      assertThat(response.headers().allValues("Set-Cookie")).as(type).isEmpty();
    }
    assertThat(post("/api/auth/login", null, login).body()).isEqualTo(refusal);
    // Other JSON routes too: a vault record.
    assertThat(post("/api/vault/alice/records", "text/plain", "{\"records\":[]}").statusCode())
        .isEqualTo(415);
    HttpResponse<String> json = post("/api/auth/login", "application/json; charset=utf-8", login);
    assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName(
      "serves a stored HTML object with its type but as a download: nosniff, a sandboxing CSP and"
          + " Content-Disposition: attachment")
  void servesObjectsAsDownloads() throws Exception {
    String base = "http://127.0.0.1:" + httpPort + "/api/vault/alice/objects";
    Http.Response stored =
        Http.send(
            "POST",
            base,
            "text/html",
            "<script>alert(document.cookie)</script>".getBytes(StandardCharsets.UTF_8));
    assertThat(stored.status()).as(stored.body()).isEqualTo(201);
    String id = stored.json().getString("id");
    Http.BytesResponse served = Http.getBytes(base + "/" + id);
    assertThat(served.status()).isEqualTo(200);
    assertThat(served.header("Content-Type")).isEqualTo("text/html");
    assertThat(served.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(served.header("Content-Security-Policy")).isEqualTo("sandbox; default-src 'none'");
    assertThat(served.header("Content-Disposition"))
        .isEqualTo("attachment; filename=\"" + id + "\"");
    // An error stays a JSON error, not a download.
    Http.BytesResponse missing = Http.getBytes(base + "/" + "0".repeat(64));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.header("Content-Disposition")).isNull();
    assertThat(missing.header("X-Content-Type-Options")).isEqualTo("nosniff");
  }

  @Test
  @Order(Integer.MAX_VALUE)
  @DisplayName("stops within 5 s and then no longer answers HTTP")
  void stops() throws Exception {
    stopped = true;
    long start = System.nanoTime();

    device.stop().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    System.out.printf(
        "device %s stopped in %d ms%n", NAME, (System.nanoTime() - start) / 1_000_000);
    eventually(
        WAIT, () -> assertThatThrownBy(() -> get("/health")).isInstanceOf(ConnectException.class));
  }

  // Helpers

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send("GET", path, null);
  }

  private static HttpResponse<String> send(String method, String path, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    Credentials.authorization(uri(path)).ifPresent(value -> request.header("Authorization", value));
    request.method(
        method,
        body == null
            ? BodyPublishers.noBody()
            : BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String contentType, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(5))
            .POST(BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    Credentials.authorization(uri(path)).ifPresent(value -> request.header("Authorization", value));
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String meshId() throws IOException {
    return new JsonObject(
            java.nio.file.Files.readString(home.resolve("trust").resolve("mesh.json")))
        .getString("meshId", home.toString());
  }

  private static JsonArray okArray(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    return new JsonArray(response.body());
  }

  private static JsonObject error(HttpResponse<String> response) {
    return new JsonObject(response.body());
  }

  /** Asserts the edge's error shape: the status, JSON, and {@code error} (if given) and message. */
  private static void assertError(HttpResponse<String> response, int status, String error) {
    assertThat(response.statusCode())
        .as("%s %s: %s", response.request().method(), response.uri(), response.body())
        .isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonObject body = error(response);
    if (error != null) {
      assertThat(body.getString("error")).isEqualTo(error);
    } else {
      assertThat(body.getString("error")).isNotBlank();
    }
    assertThat(body.getString("message")).isNotBlank();
  }

  /** A JSON object whose encoding is {@code bytes} long. */
  private static String jsonOfSize(int bytes) {
    String prefix = "{\"pad\":\"";
    String suffix = "\"}";
    return prefix + "x".repeat(bytes - prefix.length() - suffix.length()) + suffix;
  }

  /** The same bytes, sent without a Content-Length, so the client uses chunked encoding. */
  private static BodyPublisher withoutLength(BodyPublisher publisher) {
    return new BodyPublisher() {
      @Override
      public long contentLength() {
        return -1;
      }

      @Override
      public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        publisher.subscribe(subscriber);
      }
    };
  }
}
