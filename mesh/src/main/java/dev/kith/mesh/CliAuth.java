package dev.kith.mesh;

import dev.kith.mesh.trust.MeshTrust;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The credentials the {@code kith} client commands send: {@code KITH_ACCESS_TOKEN} from the
 * environment (an owner's access token, for an owner's data), else the operator token of the local
 * device's home ({@code --home DIR}, else {@code KITH_HOME}, else {@code ~/.kith}), which only that
 * device accepts. A token never appears on a command line, where other users could see it.
 */
final class CliAuth {

  private final String bearer;

  private CliAuth(String bearer) {
    this.bearer = bearer;
  }

  /** Takes {@code --home DIR} out of {@code args} (which it edits) and finds the credentials. */
  static CliAuth from(List<String> args) {
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
    String token = System.getenv("KITH_ACCESS_TOKEN");
    if (token != null && !token.isBlank()) {
      return new CliAuth(token.trim());
    }
    if (home == null) {
      String env = System.getenv("KITH_HOME");
      home =
          env != null && !env.isBlank()
              ? Path.of(env)
              : Path.of(System.getProperty("user.home"), ".kith");
    }
    Path file = MeshTrust.operatorTokenFile(home);
    try {
      if (Files.isReadable(file) && Files.size(file) < 1024) {
        return new CliAuth(Files.readString(file, StandardCharsets.UTF_8).trim());
      }
    } catch (IOException e) {
      // no credentials, then
    }
    return new CliAuth(null);
  }

  /** Adds the credentials, if any, to a request. */
  java.net.http.HttpRequest.Builder apply(java.net.http.HttpRequest.Builder request) {
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return request;
  }

  boolean present() {
    return bearer != null;
  }
}
