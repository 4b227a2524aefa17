package dev.kith.mesh.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials that the harness's HTTP clients ({@link Http}, {@link Prober}) send on a test's
 * behalf, the way a user's client would: no backdoor in the device.
 *
 * <p>Each device the harness starts is registered here with its URL and home. A request to a path
 * that names an owner ({@code /api/vault/alice/...}, {@code /api/probe/alice}) carries an access
 * token of that owner: the harness creates the owner through the device's accounts API with the
 * device's operator token ({@code HOME/trust/operator.token}, the local administrator's credential,
 * mode 0600), then logs in with {@code POST /api/auth/login}, as an administrator would. Any other
 * request carries the device's operator token. A request that sets its own {@code Authorization}
 * header is left alone, and a device with no token file yet gets none.
 */
public final class Credentials {

  private static final Pattern OWNER_PATH =
      Pattern.compile("/api/(?!mesh/|auth/)[a-z0-9]+/([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(/.*)?");

  private static final Duration TOKEN_REUSE = Duration.ofMinutes(5);
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private static final Map<String, Path> HOMES = new ConcurrentHashMap<>();
  private static final Map<String, Token> OWNER_TOKENS = new ConcurrentHashMap<>();

  private record Token(String value, long obtainedNanos) {}

  private Credentials() {}

  /** Registers a device reached at {@code baseUrl} ({@code http://127.0.0.1:8081}). */
  public static void register(String baseUrl, Path home) {
    HOMES.put(authority(URI.create(baseUrl)), home);
  }

  /** The device's operator token, if it has written it. */
  public static Optional<String> operatorToken(Path home) {
    Path file = home.resolve("trust").resolve("operator.token");
    try {
      return Files.isRegularFile(file)
          ? Optional.of(Files.readString(file).trim())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The {@code Authorization} value the harness sends with a request to {@code uri}, if any. */
  public static Optional<String> authorization(URI uri) {
    Path home = HOMES.get(authority(uri));
    if (home == null) {
      return Optional.empty();
    }
    Optional<String> operator = operatorToken(home);
    if (operator.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = OWNER_PATH.matcher(uri.getRawPath() == null ? "" : uri.getRawPath());
    if (!m.matches()) {
      return Optional.of("Bearer " + operator.get());
    }
    String base = uri.getScheme() + "://" + authority(uri);
    return ownerToken(base, home, operator.get(), m.group(1)).map(t -> "Bearer " + t);
  }

  /**
   * An access token of {@code owner} at a running device of the harness, creating the owner first
   * if needed (with the device's operator token).
   */
  public static String ownerToken(DeviceProcess device, String owner) {
    String operator =
        operatorToken(device.home())
            .orElseThrow(() -> new AssertionError(device.name() + " has no operator token"));
    return ownerToken(device.httpUrl(), device.home(), operator, owner)
        .orElseThrow(() -> new AssertionError("cannot log in as " + owner + " at " + device));
  }

  /**
   * The password the harness gives {@code owner} in the device's mesh, creating the owner first if
   * needed: for protocols that log in with a password (SMTP, IMAP, XMPP).
   */
  public static String ownerPassword(DeviceProcess device, String owner) {
    ownerToken(device, owner);
    return "harness-" + owner + "-" + meshId(device.home());
  }

  /**
   * An access token of {@code owner} in the mesh of the device at {@code baseUrl}, creating the
   * owner if needed.
   */
  public static Optional<String> ownerToken(
      String baseUrl, Path home, String operator, String owner) {
    String mesh = meshId(home);
    String key = mesh + "/" + owner;
    Token cached = OWNER_TOKENS.get(key);
    if (cached != null && System.nanoTime() - cached.obtainedNanos < TOKEN_REUSE.toNanos()) {
      return Optional.of(cached.value);
    }
    String password = "harness-" + owner + "-" + mesh;
    try {
      int created =
          post(
                  baseUrl + "/api/auth/owners",
                  operator,
                  new JsonObject().put("owner", owner).put("password", password))
              .statusCode();
      if (created != 201 && created != 409) {
        return Optional.empty();
      }
      HttpResponse<String> login =
          post(
              baseUrl + "/api/auth/login",
              null,
              new JsonObject().put("owner", owner).put("password", password));
      if (login.statusCode() != 200) {
        return Optional.empty();
      }
      String token = new JsonObject(login.body()).getString("token");
      OWNER_TOKENS.put(key, new Token(token, System.nanoTime()));
      return Optional.of(token);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static HttpResponse<String> post(String url, String bearer, JsonObject body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String meshId(Path home) {
    try {
      return new JsonObject(Files.readString(home.resolve("trust").resolve("mesh.json")))
          .getString("meshId", home.toString());
    } catch (IOException | RuntimeException e) {
      return home.toString();
    }
  }

  private static String authority(URI uri) {
    String host = uri.getHost();
    if ("localhost".equals(host)) {
      host = "127.0.0.1";
    }
    return host + ":" + uri.getPort();
  }
}
