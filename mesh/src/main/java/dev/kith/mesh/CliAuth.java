package dev.kith.mesh;

import dev.kith.mesh.trust.MeshTrust;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The credentials the {@code kith} client commands send, in this order: {@code KITH_ACCESS_TOKEN}
 * from the environment; else the login session that {@code kith login} keeps in the home ({@link
 * CliSession}); else the operator token of the local device's home, which only that device accepts.
 * The home is {@code --home DIR}, else {@code KITH_HOME}, else {@code ~/.kith}. A token never
 * appears on a command line, where other users could see it.
 */
final class CliAuth {

  static final String DEFAULT_URL = "http://localhost:8080";

  private final Path home;
  private final String envToken;
  private final CliSession session;
  private final String operator;

  private CliAuth(Path home, String envToken, CliSession session, String operator) {
    this.home = home;
    this.envToken = envToken;
    this.session = session;
    this.operator = operator;
  }

  /**
   * Takes {@code --home DIR} out of {@code args} (which it edits) and finds the credentials.
   *
   * @throws IllegalArgumentException when the home's session file cannot be read
   */
  static CliAuth from(List<String> args) {
    Path home = takeHome(args);
    String token = System.getenv("KITH_ACCESS_TOKEN");
    CliSession session;
    try {
      session = CliSession.load(home);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new CliAuth(
        home,
        token == null || token.isBlank() ? null : token.trim(),
        session,
        readOperatorToken(home));
  }

  /** {@code --home DIR} taken out of {@code args}, else {@code KITH_HOME}, else {@code ~/.kith}. */
  static Path takeHome(List<String> args) {
    Path home = null;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--home") && i + 1 < args.size()) {
        home = Path.of(args.get(++i));
      } else if (a.startsWith("--home=")) {
        home = Path.of(a.substring("--home=".length()));
      } else {
        rest.add(a);
      }
    }
    args.clear();
    args.addAll(rest);
    if (home == null) {
      String env = System.getenv("KITH_HOME");
      home =
          env != null && !env.isBlank()
              ? Path.of(env)
              : Path.of(System.getProperty("user.home"), ".kith");
    }
    return home.toAbsolutePath().normalize();
  }

  private static String readOperatorToken(Path home) {
    Path file = MeshTrust.operatorTokenFile(home);
    try {
      if (Files.isReadable(file) && Files.size(file) < 1024) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
    } catch (IOException e) {
      // no operator token, then
    }
    return null;
  }

  /** The home the credentials came from. */
  Path home() {
    return home;
  }

  /** The login session kept in the home, or {@code null}. */
  CliSession session() {
    return session;
  }

  /** Where commands go without {@code --url}: {@code KITH_URL}, the session's device, or 8080. */
  String defaultUrl() {
    String env = System.getenv("KITH_URL");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    return session != null ? session.url() : DEFAULT_URL;
  }

  /** Adds the credentials, if any, to a request whose method and URI are set. */
  java.net.http.HttpRequest.Builder apply(java.net.http.HttpRequest.Builder request)
      throws IOException, InterruptedException {
    String bearer = envToken;
    if (bearer == null && session != null) {
      URI target = request.copy().build().uri();
      bearer = session.accessToken(target.getScheme() + "://" + target.getRawAuthority());
    }
    if (bearer == null) {
      bearer = operator;
    }
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return request;
  }

  boolean present() {
    return envToken != null || session != null || operator != null;
  }
}
