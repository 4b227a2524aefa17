package dev.kith.mesh;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kith invite} and {@code kith remove-device}: administrator commands against a running
 * device ({@code --url}, else {@code KITH_URL}, else {@code http://localhost:8080}), with the
 * credentials of {@link CliAuth} (run them on the device's machine, or set {@code
 * KITH_ACCESS_TOKEN} to an administrator's access token).
 */
final class TrustCommand {

  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private TrustCommand() {}

  /** Prints a single-use join token. */
  static int invite(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth = CliAuth.from(args);
    String url = System.getenv().getOrDefault("KITH_URL", "http://localhost:8080");
    long minutes = 60;
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--url" -> url = value(args, ++i);
        case "--ttl-minutes" -> minutes = Long.parseLong(value(args, ++i));
        default -> {
          System.err.println(
              "kith: "
                  + args.get(i)
                  + ": unknown option (kith invite [--url URL] [--ttl-minutes N] [--home DIR])");
          return ExitCode.USAGE;
        }
      }
    }
    HttpResponse<String> r =
        send(
            auth,
            "POST",
            url + "/api/mesh/invites",
            new JsonObject().put("ttlMinutes", minutes).encode());
    if (r == null) {
      return ExitCode.FAILURE;
    }
    if (r.statusCode() != 201) {
      return refused(r);
    }
    JsonObject answer = new JsonObject(r.body());
    System.out.println(answer.getString("token"));
    System.err.println(
        "kith: the token above lets one device join, within "
            + minutes
            + " minutes: java -jar kith.jar --name NAME.OWNER --join HOST:PORT --token TOKEN");
    return ExitCode.OK;
  }

  /** Removes a device: its certificate is revoked mesh-wide. */
  static int removeDevice(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth = CliAuth.from(args);
    String url = System.getenv().getOrDefault("KITH_URL", "http://localhost:8080");
    String name = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--url")) {
        url = value(args, ++i);
      } else if (!a.startsWith("-") && name == null) {
        name = a;
      } else {
        System.err.println("kith: " + a + ": unknown option (kith remove-device NAME [--url URL])");
        return ExitCode.USAGE;
      }
    }
    if (name == null) {
      System.err.println("kith: remove-device needs the device's name");
      return ExitCode.USAGE;
    }
    HttpResponse<String> r =
        send(
            auth,
            "DELETE",
            url + "/api/mesh/devices/" + URLEncoder.encode(name, StandardCharsets.UTF_8),
            null);
    if (r == null) {
      return ExitCode.FAILURE;
    }
    if (r.statusCode() != 200) {
      return refused(r);
    }
    System.out.println("kith: " + name + " is removed; every device refuses it from now on");
    return ExitCode.OK;
  }

  private static int refused(HttpResponse<String> r) {
    String message;
    try {
      message = new JsonObject(r.body()).getString("message");
    } catch (RuntimeException e) {
      message = r.body();
    }
    System.err.println("kith: HTTP " + r.statusCode() + ": " + message);
    return r.statusCode() == 401 || r.statusCode() == 403 ? ExitCode.USAGE : ExitCode.FAILURE;
  }

  private static HttpResponse<String> send(CliAuth auth, String method, String url, String body) {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(TIMEOUT)
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body));
      if (body != null) {
        request.header("Content-Type", "application/json");
      }
      return HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build()
          .send(auth.apply(request).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("kith: cannot reach " + url + ": " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String value(List<String> args, int i) {
    if (i >= args.size()) {
      throw new IllegalArgumentException(args.get(i - 1) + " needs a value");
    }
    return args.get(i);
  }
}
