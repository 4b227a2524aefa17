package dev.kith.mesh;

import dev.kith.mesh.config.HomeModes;
import dev.kith.mesh.trust.SecretFiles;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The owner's login session that {@code kith login} keeps for the client commands: {@code
 * HOME/session.json} (mode 0600) holds the device URL it logged in at, the owner, the refresh token
 * and the current access token with its expiry. A command uses the access token while it has more
 * than a minute left, and otherwise swaps the refresh token for new ones ({@code POST
 * /api/auth/refresh}, which replaces the refresh token each time), under a lock on {@code
 * HOME/session.lock} so that two commands at once do not spend the same refresh token.
 */
final class CliSession {

  /** The session no longer works: logged out, the password changed elsewhere, or expired. */
  static final class Ended extends IOException {
    Ended(String message) {
      super(message);
    }
  }

  private static final long RENEW_BEFORE_MILLIS = 60_000;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Path home;
  private final JsonObject state;

  private CliSession(Path home, JsonObject state) {
    this.home = home;
    this.state = state;
  }

  static Path file(Path home) {
    return home.resolve("session.json");
  }

  /** The session kept in {@code home}, or {@code null} when nobody is logged in there. */
  static CliSession load(Path home) throws IOException {
    Path file = file(home);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      JsonObject state = new JsonObject(new String(SecretFiles.read(file), StandardCharsets.UTF_8));
      if (state.getString("refreshToken") == null || state.getString("url") == null) {
        throw new IOException(file + " holds no session");
      }
      return new CliSession(home, state);
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a session file; log in again (kith login)", e);
    }
  }

  /** Keeps the tokens of a login at {@code url} in {@code home}. */
  static CliSession keep(Path home, String url, JsonObject tokens) throws IOException {
    CliSession session = new CliSession(home, new JsonObject().put("url", url));
    session.take(tokens);
    return session;
  }

  /** Forgets the session kept in {@code home}. */
  static void forget(Path home) throws IOException {
    Files.deleteIfExists(file(home));
    Files.deleteIfExists(home.resolve("session.lock"));
  }

  String owner() {
    return state.getString("owner");
  }

  String url() {
    return state.getString("url");
  }

  boolean admin() {
    return state.getBoolean("admin", false);
  }

  /**
   * An access token with more than a minute left: the kept one, or a new one from the refresh
   * token, asked at the session's device and then, if it does not answer, at {@code otherUrl}.
   *
   * @throws Ended when the mesh refuses the refresh token
   */
  String accessToken(String otherUrl) throws IOException, InterruptedException {
    if (fresh(state)) {
      return state.getString("token");
    }
    Path lockFile = home.resolve("session.lock");
    try (FileChannel channel =
            FileChannel.open(
                lockFile,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                HomeModes.FILE);
        FileLock lock = channel.lock()) {
      // Another command may have renewed it while this one waited for the lock.
      CliSession now = load(home);
      if (now == null) {
        throw new Ended("you are not logged in any more (kith login OWNER)");
      }
      state.mergeIn(now.state);
      if (fresh(state)) {
        return state.getString("token");
      }
      take(refresh(otherUrl));
      return state.getString("token");
    }
  }

  private JsonObject refresh(String otherUrl) throws IOException, InterruptedException {
    Set<String> urls = new LinkedHashSet<>();
    urls.add(url());
    if (otherUrl != null) {
      urls.add(otherUrl);
    }
    IOException last = null;
    for (String url : urls) {
      HttpResponse<String> r;
      try {
        r = post(url + "/api/auth/refresh", state.getString("refreshToken"));
      } catch (IOException e) {
        last = e;
        continue;
      }
      if (r.statusCode() == 200) {
        return new JsonObject(r.body());
      }
      if (r.statusCode() == 401) {
        forget(home);
        throw new Ended(
            "the session of "
                + owner()
                + " has ended (logged out, password changed, or 30 days unused); log in again:"
                + " kith login "
                + owner());
      }
      last = new IOException("HTTP " + r.statusCode() + " from " + url + ": " + r.body());
    }
    throw new IOException("cannot renew the session of " + owner() + ": " + last, last);
  }

  private static HttpResponse<String> post(String url, String refreshToken)
      throws IOException, InterruptedException {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        new JsonObject().put("refreshToken", refreshToken).encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** Takes the tokens of a login or a refresh and writes them down. */
  private void take(JsonObject tokens) throws IOException {
    state
        .put("owner", tokens.getString("owner"))
        .put("admin", tokens.getBoolean("admin", false))
        .put("refreshToken", tokens.getString("refreshToken"))
        .put("token", tokens.getString("token"))
        .put("expiresAt", System.currentTimeMillis() + tokens.getLong("expiresIn", 0L) * 1000);
    SecretFiles.writeSecret(file(home), state.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static boolean fresh(JsonObject state) {
    return state.getString("token") != null
        && state.getLong("expiresAt", 0L) - System.currentTimeMillis() > RENEW_BEFORE_MILLIS;
  }
}
