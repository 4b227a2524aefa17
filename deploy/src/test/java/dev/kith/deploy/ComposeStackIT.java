package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import dev.kith.mesh.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The CI check of the compose stack, from local images only: {@code docker-compose.yml} validates;
 * with {@code deploy/compose.ci.yml} (the locally built device image, and Prometheus from Debian's
 * package on {@code kith-base:local}; no Grafana, which only a registry has) the stack comes up;
 * Prometheus reports every device target up; {@code docker-compose kill laptop.alice} shows in
 * {@code kith_failovers_total} within 15 s; and every PromQL query of the "Kith mesh" dashboard
 * then returns data (the activity container sends mail too, for the SMTP panel). The project gets a
 * unique name, Docker picks every host port, and {@code down -v} by that name removes what the test
 * made.
 */
@ExtendWith(DeviceLogs.class)
@Isolated("seven containers of its own, and a kill whose move it times (15 s)")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ComposeStackIT {

  private static final Path ROOT =
      Path.of(System.getProperty("kith.root", "..")).toAbsolutePath().normalize();
  private static final Path COMPOSE_FILE = ROOT.resolve("docker-compose.yml");
  private static final Path CI_FILE = ROOT.resolve("deploy/compose.ci.yml");
  private static final Path DASHBOARD = ROOT.resolve("grafana/dashboards/kith-mesh.json");

  private static final List<String> DEVICES =
      List.of("laptop.alice", "pi.alice", "phone.alice", "desktop.bob", "phone.bob");
  private static final String VICTIM = "laptop.alice";

  /** deploy/prometheus.yml's scrape interval, as Grafana's datasource also declares it. */
  private static final Duration SCRAPE = Duration.ofSeconds(2);

  private static final Duration FAILOVER_BOUND = Duration.ofSeconds(15);

  private final String project = "kith-ci-" + UUID.randomUUID().toString().substring(0, 8);
  private final Path logs = DeviceLogs.root().resolve(project);
  private Compose compose;

  @BeforeEach
  void requireDockerAndCompose() {
    Docker.assumeDockerOrFail();
    Compose.assumeAvailableOrFail(Docker.required());
  }

  @AfterEach
  void removeTheStack() {
    if (compose != null) {
      compose.saveLogs(logs.resolve("services.log"));
      compose.close();
    }
  }

  @Test
  @DisplayName(
      "docker-compose config accepts docker-compose.yml alone and with the CI override, and every"
          + " image of the compose file has a pinned tag")
  void composeFileValidates() {
    Compose base = compose(List.of(COMPOSE_FILE), Map.of());
    Compose.Result config = base.run(Duration.ofSeconds(60), "config");
    assertThat(config.ok()).as("%s", config).isTrue();
    Compose.Result ci =
        compose(List.of(COMPOSE_FILE, CI_FILE), Map.of())
            .run(Duration.ofSeconds(60), "config", "--quiet");
    assertThat(ci.ok()).as("%s", ci).isTrue();

    Matcher images = Pattern.compile("(?m)^\\s+image:\\s*(\\S+)$").matcher(config.output());
    List<String> found = new ArrayList<>();
    while (images.find()) {
      found.add(images.group(1));
    }
    assertThat(found).as("images in %s", config.output()).isNotEmpty();
    for (String image : found) {
      assertThat(image)
          .as("the image %s names a tag, and not latest", image)
          .matches("[^:]+:[^:]+")
          .doesNotEndWith(":latest");
    }
  }

  @Test
  @DisplayName(
      "From local images: every device target is up in Prometheus, killing laptop.alice shows in"
          + " kith_failovers_total within 15 s, and every dashboard query returns data")
  void stackComesUpAndTheDashboardFills() throws IOException {
    String deviceImage = deviceImage();
    String prometheusImage =
        System.getenv().getOrDefault("KITH_PROMETHEUS_IMAGE", "kith-prometheus:local");
    requireImage(deviceImage, "build it with deploy/build-image.sh (mvn verify does)");
    buildPrometheusImage(prometheusImage);
    List<Query> queries = dashboardQueries();
    Map<String, String> env = new TreeMap<>();
    env.put("KITH_IMAGE", deviceImage);
    env.put("KITH_PROMETHEUS_IMAGE", prometheusImage);
    for (String port :
        List.of(
            "LAPTOP_ALICE",
            "PI_ALICE",
            "PHONE_ALICE",
            "DESKTOP_BOB",
            "PHONE_BOB",
            "IMAP",
            "WEB",
            "DNS",
            "XMPP",
            "XMPPS",
            "PROMETHEUS",
            "GRAFANA")) {
      env.put("KITH_PORT_" + port, "0"); // any free port: other stacks may hold 8081-8085, 9090
    }
    compose = compose(List.of(COMPOSE_FILE, CI_FILE), env);

    // Start: the stack from local images; docker-compose never builds or pulls here.
    long upAt = System.nanoTime();
    Instant upInstant = Instant.now();
    compose.runOrFail(Duration.ofMinutes(3), "up", "-d", "--no-build");
    Duration upTook = since(upAt);
    String prometheus = "http://localhost:" + compose.port("prometheus", 9090);
    String survivor = "http://localhost:" + compose.port("pi.alice", 8080);
    System.out.printf(
        "[compose] %s: docker-compose up -d returned after %.1f s; Prometheus at %s%n",
        project, seconds(upTook), prometheus);

    // Every device target is up in Prometheus.
    eventually(
        Duration.ofMinutes(3), () -> assertThat(targetHealth(prometheus)).isEqualTo(allUp()));
    Duration targetsUp = since(upAt);
    System.out.printf(
        "[compose] all %d device targets up in Prometheus %.1f s after up began%n",
        DEVICES.size(), seconds(targetsUp));

    // Load: the mesh has formed (every device reports all five up), and laptop.alice runs a
    // placed service, so that killing it is a failover.
    Set<String> onVictim =
        eventually(
            Duration.ofMinutes(2),
            () -> {
              JsonArray up = query(prometheus, "count by (instance) (kith_device_up == 1)");
              assertThat(up).as("devices each device reports up: %s", up).hasSize(DEVICES.size());
              for (Object row : up) {
                assertThat(value((JsonObject) row)).as("%s", row).isEqualTo(DEVICES.size());
              }
              Set<String> services = new TreeSet<>();
              for (Object row :
                  query(
                      prometheus,
                      "max by (service) (kith_service_placement{device=\"" + VICTIM + "\"})")) {
                services.add(((JsonObject) row).getJsonObject("metric").getString("service"));
              }
              assertThat(services).as("services placed on %s", VICTIM).isNotEmpty();
              return services;
            });
    Duration formed = since(upAt);
    String failedMoves =
        "sum(kith_failovers_total{reason=\"failed\",service=~\""
            + String.join("|", onVictim)
            + "\"}) or vector(0)";
    double before = value(query(prometheus, failedMoves).getJsonObject(0));
    System.out.printf(
        "[compose] mesh formed %.1f s after up began; %s runs %s; failed moves so far: %.0f%n",
        seconds(formed), VICTIM, onVictim, before);

    // The mesh API wants a login: act as pi.alice's operator, with the token it wrote at start.
    actAsOperator(compose, "pi.alice", survivor);

    // Fault: SIGKILL to laptop.alice's JVM, as docker kill sends it.
    long killedAt = System.nanoTime();
    Instant killedInstant = Instant.now();
    compose.runOrFail(Duration.ofSeconds(30), "kill", VICTIM);

    // Verdict: Prometheus has the move in kith_failovers_total within 15 s of the kill.
    eventually(
        FAILOVER_BOUND.minus(since(killedAt)),
        () ->
            assertThat(value(query(prometheus, failedMoves).getJsonObject(0)))
                .as("%s", failedMoves)
                .isGreaterThan(before));
    Duration seen = since(killedAt);
    System.out.printf(
        "[compose] kith_failovers_total showed the move %.1f s after the kill of %s%n",
        seconds(seen), VICTIM);
    printMoves(survivor, killedInstant);

    // Every dashboard query returns data over the time the stack has run (as a dashboard whose
    // range covers it would show).
    Map<Query, Integer> rows = new TreeMap<>();
    eventually(
        Duration.ofMinutes(2),
        () -> {
          List<String> empty = new ArrayList<>();
          long end = Instant.now().getEpochSecond();
          for (Query q : queries) {
            int series = seriesWithData(queryRange(prometheus, q, upInstant.getEpochSecond(), end));
            rows.put(q, series);
            if (series == 0) {
              empty.add(q.toString());
            }
          }
          assertThat(empty).as("dashboard queries without data").isEmpty();
        });
    for (Map.Entry<Query, Integer> row : rows.entrySet()) {
      System.out.printf("[compose] %3d series  %s%n", row.getValue(), row.getKey());
    }
    System.out.printf(
        "[compose] summary: up -d %.1f s, targets up %.1f s, mesh formed %.1f s, failover in"
            + " kith_failovers_total %.1f s after the kill, %d dashboard queries checked%n",
        seconds(upTook), seconds(targetsUp), seconds(formed), seconds(seen), queries.size());
  }

  // ---------------------------------------------------------------------------------------------

  /** One PromQL expression of the dashboard, and where it is. */
  record Query(String where, String expr) implements Comparable<Query> {
    @Override
    public int compareTo(Query other) {
      return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
      return where + ": " + expr;
    }
  }

  /** Every {@code expr} in the dashboard JSON: panel targets and annotation queries. */
  static List<Query> dashboardQueries() throws IOException {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    List<Query> queries = new ArrayList<>();
    collect(dashboard, "dashboard", queries);
    assertThat(queries).as("queries in %s", DASHBOARD).isNotEmpty();
    return queries;
  }

  private static void collect(Object node, String where, List<Query> into) {
    if (node instanceof JsonObject object) {
      String here = where;
      if (object.getValue("title") instanceof String title) {
        here = "panel \"" + title + "\"";
      } else if (object.getValue("name") instanceof String name) {
        here = "annotation \"" + name + "\"";
      }
      if (object.getValue("expr") instanceof String expr && !expr.isBlank()) {
        String ref = object.getString("refId");
        into.add(new Query(here + (ref == null ? "" : " " + ref), expr));
      }
      for (String key : object.fieldNames()) {
        collect(object.getValue(key), here, into);
      }
    } else if (node instanceof JsonArray array) {
      for (Object item : array) {
        collect(item, where, into);
      }
    }
  }

  /**
   * Replaces Grafana's interval variables the way Grafana does for a graph with one point per
   * scrape: {@code $__interval} is the step, {@code $__rate_interval} is at least four scrapes.
   */
  static String expand(String expr, Duration step, Duration range) {
    long rate = Math.max(4 * SCRAPE.toSeconds(), step.toSeconds() + SCRAPE.toSeconds());
    String expanded =
        expr.replace("$__rate_interval", rate + "s")
            .replace("$__interval", step.toSeconds() + "s")
            .replace("$__range", Math.max(range.toSeconds(), 1) + "s");
    assertThat(expanded).as("a dashboard variable the check does not know").doesNotContain("$");
    return expanded;
  }

  private JsonArray queryRange(String prometheus, Query q, long start, long end) {
    Duration step = SCRAPE;
    String expr = expand(q.expr(), step, Duration.ofSeconds(end - start));
    Http.Response response =
        Http.get(
            prometheus
                + "/api/v1/query_range?query="
                + encode(expr)
                + "&start="
                + start
                + "&end="
                + end
                + "&step="
                + step.toSeconds());
    if (response.status() != 200) {
      throw new AssertionError(q + " is not a valid query: " + response);
    }
    return response.json().getJsonObject("data").getJsonArray("result");
  }

  private static JsonArray query(String prometheus, String expr) {
    Http.Response response = Http.get(prometheus + "/api/v1/query?query=" + encode(expr));
    if (response.status() != 200) {
      throw new AssertionError(expr + ": " + response);
    }
    return response.json().getJsonObject("data").getJsonArray("result");
  }

  /** Series with at least one finite value (NaN is what a quantile of no events gives). */
  private static int seriesWithData(JsonArray result) {
    int series = 0;
    for (Object s : result) {
      for (Object point : ((JsonObject) s).getJsonArray("values")) {
        if (Double.isFinite(Double.parseDouble(((JsonArray) point).getString(1)))) {
          series++;
          break;
        }
      }
    }
    return series;
  }

  private static double value(JsonObject row) {
    return Double.parseDouble(row.getJsonArray("value").getString(1));
  }

  /** Each device target's health in Prometheus ({@code up}, {@code down}, {@code unknown}). */
  private static Map<String, String> targetHealth(String prometheus) {
    Map<String, String> health = new TreeMap<>();
    JsonArray active =
        Http.getJson(prometheus + "/api/v1/targets?state=active")
            .getJsonObject("data")
            .getJsonArray("activeTargets");
    for (Object t : active) {
      JsonObject target = (JsonObject) t;
      if ("kith".equals(target.getJsonObject("labels").getString("job"))) {
        health.put(
            target.getJsonObject("labels").getString("instance"), target.getString("health"));
      }
    }
    return health;
  }

  private static Map<String, String> allUp() {
    Map<String, String> up = new TreeMap<>();
    DEVICES.forEach(d -> up.put(d, "up"));
    return up;
  }

  /**
   * Lets the harness's HTTP client call {@code url} as {@code service}'s operator: the token that
   * the device wrote to its home when it started, read from the container (only that device accepts
   * it).
   */
  private void actAsOperator(Compose compose, String service, String url) throws IOException {
    String out =
        compose
            .runOrFail(
                Duration.ofSeconds(30),
                "exec",
                "-T",
                service,
                "cat",
                "/home/kith/.kith/trust/operator.token")
            .output()
            .strip();
    Path home = logs.resolve(service + "-credentials");
    Files.createDirectories(home.resolve("trust"));
    Files.writeString(
        home.resolve("trust").resolve("operator.token"), out.substring(out.lastIndexOf('\n') + 1));
    Credentials.register(url, home);
  }

  /** The moves since {@code after} as a survivor lists them in /api/mesh/events. */
  private static void printMoves(String device, Instant after) {
    try {
      for (Object e : Http.getJsonArray(device + "/api/mesh/events")) {
        JsonObject move = (JsonObject) e;
        String detectedAt = move.getString("detectedAt");
        if (detectedAt != null && !Instant.parse(detectedAt).isBefore(after)) {
          System.out.printf(
              "[compose] moved %s/%s from %s to %s (%s) in %s s%n",
              move.getString("service"),
              Objects.requireNonNullElse(move.getString("owner"), "mesh"),
              move.getString("from"),
              move.getString("to"),
              move.getString("reason"),
              move.getValue("seconds"));
        }
      }
    } catch (RuntimeException e) {
      System.out.println("[compose] cannot list the moves: " + e);
    }
  }

  private Compose compose(List<Path> files, Map<String, String> env) {
    Compose c = new Compose(ROOT, project, files, env, logs.resolve("compose.log"));
    DeviceLogs.register("docker-compose calls", logs.resolve("compose.log"));
    DeviceLogs.register("compose services", logs.resolve("services.log"));
    return c;
  }

  /** The device image: {@code -Dkith.image}, else {@code KITH_IMAGE}, else {@code kith:dev}. */
  private static String deviceImage() {
    String property = System.getProperty("kith.image");
    if (property != null && !property.isBlank()) {
      return property;
    }
    return System.getenv().getOrDefault("KITH_IMAGE", "kith:dev");
  }

  private static void requireImage(String image, String how) {
    if (!run(Duration.ofSeconds(30), "docker", "image", "inspect", image).isEmpty()) {
      return;
    }
    String message = "Image " + image + " is not on this engine, and the check never pulls: " + how;
    if (Docker.required()) {
      throw new AssertionError(message);
    }
    Assumptions.abort(message);
  }

  /** Builds Prometheus from Debian's package on kith-base:local, unless the image exists. */
  private void buildPrometheusImage(String image) {
    requireImage("kith-base:local", "build it with deploy/base-image.sh (.ci/run does)");
    long start = System.nanoTime();
    String out =
        run(
            Duration.ofMinutes(5),
            "env",
            "KITH_PROMETHEUS_IMAGE=" + image,
            "bash",
            ROOT.resolve("deploy/prometheus-image.sh").toString());
    assertThat(out).as("deploy/prometheus-image.sh").isNotEmpty();
    System.out.printf(
        "[compose] %s ready in %.1f s: %s%n",
        image, seconds(since(start)), out.strip().replace('\n', ' '));
  }

  /** Runs a command; its output if it exits 0, else the empty string. */
  private static String run(Duration timeout, String... command) {
    try {
      Path out = Files.createTempFile("kith-cmd", ".out");
      try {
        Process p =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          return "";
        }
        String output = Files.readString(out);
        if (p.exitValue() != 0) {
          System.out.printf(
              "[compose] %s exited %d:%n%s%n", List.of(command), p.exitValue(), output);
          return "";
        }
        return output.isEmpty() ? "(no output)" : output;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }
}
