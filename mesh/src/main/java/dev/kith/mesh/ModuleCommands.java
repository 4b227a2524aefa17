package dev.kith.mesh;

import dev.kith.mesh.spi.cli.CliClient;
import dev.kith.mesh.spi.cli.KithCommand;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** The client commands that service modules add ({@link KithCommand}), and the client they use. */
final class ModuleCommands {

  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ModuleCommands() {}

  static List<KithCommand> installed() {
    List<KithCommand> all = new ArrayList<>();
    ServiceLoader.load(KithCommand.class).forEach(all::add);
    return all;
  }

  static Optional<KithCommand> find(String name) {
    return installed().stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /** Runs a module's command: takes {@code --home} and {@code --url}, then hands over. */
  static int run(KithCommand command, List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    try {
      auth = CliAuth.from(args);
    } catch (IllegalArgumentException e) {
      System.err.println("kith: " + command.name() + ": " + e.getMessage());
      return ExitCode.USAGE;
    }
    String url = auth.defaultUrl();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--url") && i + 1 < args.size()) {
        url = args.get(++i);
      } else {
        rest.add(args.get(i));
      }
    }
    return command.run(rest, new Client(auth, url.replaceAll("/+$", "")));
  }

  private record Client(CliAuth auth, String url) implements CliClient {

    @Override
    public HttpResponse<String> send(String method, String path, JsonObject body) {
      // Module commands may start long work (a publish compresses a site): the long timeout.
      return body == null
          ? sendBytes(method, path, null, null)
          : sendBytes(method, path, "application/json", body.toBuffer().getBytes());
    }

    @Override
    public HttpResponse<String> sendBytes(
        String method, String path, String contentType, byte[] body) {
      try {
        HttpRequest.Builder request =
            HttpRequest.newBuilder(URI.create(url + path))
                .timeout(TIMEOUT)
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
          request.header("Content-Type", contentType);
        }
        auth.apply(request);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (CliSession.Ended e) {
        System.err.println("kith: " + e.getMessage());
        return null;
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("kith: cannot reach " + url + path + ": " + e.getMessage());
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    @Override
    public int refused(HttpResponse<String> response) {
      return CliHttp.refused(response);
    }

    @Override
    public int unreachable() {
      return CliHttp.failure();
    }
  }
}
