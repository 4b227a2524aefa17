package dev.kith.mesh;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code kith status} and {@code kith health-check}: small HTTP clients of a running device. The
 * device's address comes from {@code --url}, else {@code KITH_URL}, else {@code
 * http://localhost:8080}.
 */
final class StatusCommand {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private StatusCommand() {}

  static int status(List<String> args) {
    String url;
    try {
      url = url(args);
    } catch (IllegalArgumentException e) {
      System.err.println("kith: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    try {
      JsonArray devices = new JsonArray(get(url + "/api/mesh/devices").body());
      JsonArray services = new JsonArray(get(url + "/api/mesh/services").body());
      System.out.print(
          table(
              devices,
              List.of("DEVICE", "OWNER", "STATE", "HTTP", "VERSION", "STARTED"),
              d ->
                  List.of(
                      d.getString("name"),
                      d.getString("owner"),
                      d.getString("state"),
                      String.valueOf(d.getString("httpUrl")),
                      String.valueOf(d.getString("version")),
                      String.valueOf(d.getString("startedAt")))));
      System.out.println();
      if (services.isEmpty()) {
        System.out.println("no services are running");
      } else {
        System.out.print(
            table(
                services,
                List.of("SERVICE", "OWNER", "DEVICE", "EPOCH", "STATE", "SINCE"),
                s ->
                    List.of(
                        s.getString("service"),
                        s.getString("owner") == null ? "-" : s.getString("owner"),
                        String.valueOf(s.getString("device")),
                        String.valueOf(s.getValue("epoch")),
                        String.valueOf(s.getString("state")),
                        String.valueOf(s.getString("since")))));
      }
      return Main.EXIT_OK;
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "kith: cannot read the mesh from "
              + url
              + " ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "); is a device running there? Start one with: java -jar kith.jar");
      return Main.EXIT_FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Main.EXIT_FAILURE;
    }
  }

  static int healthCheck(List<String> args) {
    try {
      String url = url(args);
      return get(url.endsWith("/health") ? url : url + "/health").statusCode() == 200
          ? Main.EXIT_OK
          : Main.EXIT_FAILURE;
    } catch (IllegalArgumentException e) {
      System.err.println("kith: " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (IOException e) {
      return Main.EXIT_FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Main.EXIT_FAILURE;
    }
  }

  private static String url(List<String> args) {
    String url = System.getenv().getOrDefault("KITH_URL", "http://localhost:8080");
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--url") && i + 1 < args.size()) {
        url = args.get(++i);
      } else if (arg.startsWith("--url=")) {
        url = arg.substring("--url=".length());
      } else {
        throw new IllegalArgumentException(arg + ": unknown option (expected --url URL)");
      }
    }
    if (!url.startsWith("http://") && !url.startsWith("https://")) {
      throw new IllegalArgumentException("url: '" + url + "' is not an http:// or https:// URL");
    }
    return url.replaceAll("/+$", "");
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 && !url.endsWith("/health")) {
      throw new IOException("HTTP " + response.statusCode() + " from " + url);
    }
    return response;
  }

  private static String table(
      JsonArray rows, List<String> header, Function<JsonObject, List<String>> cells) {
    List<List<String>> lines = new ArrayList<>();
    lines.add(header);
    rows.forEach(r -> lines.add(cells.apply((JsonObject) r)));
    int[] widths = new int[header.size()];
    for (List<String> line : lines) {
      for (int i = 0; i < line.size(); i++) {
        widths[i] = Math.max(widths[i], line.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> line : lines) {
      for (int i = 0; i < line.size(); i++) {
        out.append(
            i == line.size() - 1
                ? line.get(i)
                : String.format("%-" + (widths[i] + 2) + "s", line.get(i)));
      }
      out.append('\n');
    }
    return out.toString();
  }
}
