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
 * device's address comes from {@code --url}, else {@code KITH_URL}, else (for status) the device of
 * the login session, else {@code http://localhost:8080}.
 */
final class StatusCommand {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** The credentials sent; see {@link CliAuth}. */
  private static CliAuth auth = null;

  private StatusCommand() {}

  static int status(List<String> args) {
    String url;
    try {
      List<String> rest = new ArrayList<>(args);
      auth = CliAuth.from(rest);
      url = url(rest, auth.defaultUrl());
    } catch (IllegalArgumentException e) {
      System.err.println("kith: " + e.getMessage());
      return ExitCode.USAGE;
    }
    try {
      JsonArray devices = new JsonArray(get(url + "/api/mesh/devices").body());
      JsonArray services = new JsonArray(get(url + "/api/mesh/services").body());
      System.out.print(
          table(
              devices,
              List.of("DEVICE", "OWNER", "STATE", "POWER", "CPU", "HOSTS", "HTTP", "VERSION"),
              d ->
                  List.of(
                      d.getString("name"),
                      d.getString("owner"),
                      d.getString("state"),
                      power(d.getJsonObject("power")),
                      cpu(d.getJsonObject("load")),
                      hosts(d.getValue("services")),
                      String.valueOf(d.getString("httpUrl")),
                      String.valueOf(d.getString("version")))));
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
      JsonArray moves = events(url);
      if (!moves.isEmpty()) {
        System.out.println();
        System.out.println("recent moves:");
        JsonArray recent =
            new JsonArray(moves.stream().skip(Math.max(0, moves.size() - 10)).toList());
        System.out.print(
            table(
                recent,
                List.of("READY", "SERVICE", "OWNER", "FROM", "TO", "REASON", "TOOK"),
                e ->
                    List.of(
                        String.valueOf(e.getValue("readyAt")),
                        String.valueOf(e.getString("service")),
                        e.getString("owner") == null ? "-" : e.getString("owner"),
                        e.getString("from") == null ? "-" : e.getString("from"),
                        String.valueOf(e.getString("to")),
                        String.valueOf(e.getString("reason")),
                        e.getValue("seconds") instanceof Number n
                            ? Math.round(n.doubleValue() * 1000) + " ms"
                            : "-")));
      }
      return ExitCode.OK;
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "kith: cannot read the mesh from "
              + url
              + " ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "); is a device running there? Start one with: java -jar kith.jar");
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.FAILURE;
    }
  }

  /** Recent moves, oldest first; empty when the device has no placement controller. */
  private static JsonArray events(String url) throws IOException, InterruptedException {
    try {
      return new JsonArray(get(url + "/api/mesh/events").body());
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("HTTP 404")) {
        return new JsonArray();
      }
      throw e;
    }
  }

  /** {@code mains}, {@code battery 80% charging}, or {@code -} when unknown. */
  static String power(JsonObject power) {
    if (power == null) {
      return "-";
    }
    if (power.getBoolean("onMains", false)) {
      return "mains";
    }
    long percent = Math.round(power.getDouble("level", 0.0) * 100);
    return "battery " + percent + "%" + (power.getBoolean("charging", false) ? " charging" : "");
  }

  private static String cpu(JsonObject load) {
    if (load == null || load.getDouble("cpuLoad") == null) {
      return "-";
    }
    return Math.round(load.getDouble("cpuLoad") * 100) + "%";
  }

  /** The services a device hosts: {@code probe/alice@7, echo}. */
  static String hosts(Object services) {
    if (!(services instanceof JsonArray list) || list.isEmpty()) {
      return "-";
    }
    List<String> names = new ArrayList<>();
    for (Object s : list) {
      if (s instanceof JsonObject j) {
        String name = j.getString("service");
        if (j.getString("owner") != null) {
          name += "/" + j.getString("owner");
        }
        if (j.getValue("epoch") != null) {
          name += "@" + j.getValue("epoch");
        }
        names.add(name);
      } else {
        names.add(String.valueOf(s));
      }
    }
    return String.join(",", names);
  }

  static int healthCheck(List<String> args) {
    try {
      String url = url(args, System.getenv().getOrDefault("KITH_URL", CliAuth.DEFAULT_URL));
      return get(url.endsWith("/health") ? url : url + "/health").statusCode() == 200
          ? ExitCode.OK
          : ExitCode.FAILURE;
    } catch (IllegalArgumentException e) {
      System.err.println("kith: " + e.getMessage());
      return ExitCode.USAGE;
    } catch (IOException e) {
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.FAILURE;
    }
  }

  private static String url(List<String> args, String url) {
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
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET();
    if (auth != null) {
      auth.apply(builder);
    }
    HttpResponse<String> response =
        client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw new IOException(
          "HTTP "
              + response.statusCode()
              + " from "
              + url
              + ": log in (kith login OWNER), run this on the device's machine (--home DIR finds"
              + " its operator token), or set KITH_ACCESS_TOKEN to an access token");
    }
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
