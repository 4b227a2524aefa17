package dev.kith.deploy.bench;

import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.Launcher;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The vault benchmark (issue 4), on loopback with real device processes from {@code kith.jar}:
 *
 * <ol>
 *   <li>write throughput and latency of 4 KB objects through three devices, with W=1 and with W=2,
 *       against a local-only SQLite insert loop (WAL, {@code synchronous=FULL}, one commit per
 *       insert) on the same machine, reported as a ratio;
 *   <li>re-replication: a replica holding {@code --fill-mb} MB of objects is killed for good; the
 *       time until the device that replaces it holds every object, from the moment the mesh
 *       assigned it.
 * </ol>
 *
 * <pre>
 * mvn -B -ntp -q install -DskipTests
 * mvn -B -ntp -q -pl deploy exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kith.deploy.bench.VaultBenchmark -Dexec.args="--writes 3000 --fill-mb 1024"
 * </pre>
 */
public final class VaultBenchmark {

  private static final int OBJECT_BYTES = 4096;

  public static void main(String[] args) throws Exception {
    int writes = 3000;
    int concurrency = 8;
    int warmup = 200;
    int fillMb = 1024;
    boolean throughput = true;
    boolean rereplication = true;
    Path jar = ContainerTestbed.classesFolder().resolveSibling("kith.jar");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--writes" -> writes = Integer.parseInt(args[++i]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--fill-mb" -> fillMb = Integer.parseInt(args[++i]);
        case "--only-throughput" -> rereplication = false;
        case "--only-rereplication" -> throughput = false;
        case "--jar" -> jar = Path.of(args[++i]);
        default -> {
          System.err.println(
              "usage: VaultBenchmark [--writes N] [--concurrency C] [--warmup N] [--fill-mb MB]"
                  + " [--only-throughput|--only-rereplication] [--jar PATH]");
          System.exit(2);
        }
      }
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no kith.jar at " + jar + "; mvn install -DskipTests");
    }
    StringBuilder report = new StringBuilder();
    if (throughput) {
      Result sqlite = sqliteLoop(writes);
      Result w1 = vaultWrites(jar, 1, writes, concurrency, warmup);
      Result w2 = vaultWrites(jar, 2, writes, concurrency, warmup);
      report.append(
          String.format(
              "%n| writes of 4 KB | ops/s | p50 (ms) | p99 (ms) | ops/s vs SQLite |%n"
                  + "|---|---|---|---|---|%n"));
      for (Result r : List.of(sqlite, w1, w2)) {
        report.append(
            String.format(
                "| %s | %.0f | %.2f | %.2f | %.2fx |%n",
                r.name,
                r.opsPerSecond(),
                r.p50Millis(),
                r.p99Millis(),
                r.opsPerSecond() / sqlite.opsPerSecond()));
      }
    }
    if (rereplication) {
      report.append(rereplicate(jar, fillMb));
    }
    System.out.println(report);
  }

  /** Latencies of one series of writes. */
  record Result(String name, long[] latencyNanos, long totalNanos) {
    double opsPerSecond() {
      return latencyNanos.length / (totalNanos / 1e9);
    }

    double p50Millis() {
      return percentile(0.50);
    }

    double p99Millis() {
      return percentile(0.99);
    }

    private double percentile(double p) {
      long[] sorted = latencyNanos.clone();
      Arrays.sort(sorted);
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
  }

  /** The local-only baseline: one SQLite insert and commit per 4 KB blob, one thread. */
  static Result sqliteLoop(int writes) throws Exception {
    Path dir = Files.createTempDirectory("kith-sqlite-bench");
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("bench.db"))) {
      try (Statement s = db.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
      }
      Random random = new Random(1);
      long[] latencies = new long[writes];
      long start = System.nanoTime();
      try (PreparedStatement insert = db.prepareStatement("INSERT INTO blobs (data) VALUES (?)")) {
        for (int i = 0; i < writes; i++) {
          byte[] data = new byte[OBJECT_BYTES];
          random.nextBytes(data);
          long t = System.nanoTime();
          insert.setBytes(1, data);
          insert.executeUpdate();
          latencies[i] = System.nanoTime() - t;
        }
      }
      Result r =
          new Result("SQLite insert loop (local only)", latencies, System.nanoTime() - start);
      System.out.printf("[vault-bench] %s: %.0f ops/s%n", r.name, r.opsPerSecond());
      return r;
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Writes through three loopback devices, round robin, from {@code concurrency} clients. */
  static Result vaultWrites(Path jar, int quorum, int writes, int concurrency, int warmup)
      throws Exception {
    try (LocalMesh mesh =
        LocalMesh.options()
            .devices(3)
            .launcher(Launcher.jar(jar))
            .each(d -> d.flag("vault-write-quorum", String.valueOf(quorum)))
            .start()) {
      awaitFormed(mesh);
      // Warm up: the replica set, connections and the JIT.
      for (int i = 0; i < warmup; i++) {
        post(mesh.device(i % 3), randomObject(new Random(-i)));
      }
      long[] latencies = new long[writes];
      AtomicInteger next = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      long start = System.nanoTime();
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        int seed = c;
        clients.add(
            pool.submit(
                () -> {
                  Random random = new Random(seed);
                  for (int i = next.getAndIncrement(); i < writes; i = next.getAndIncrement()) {
                    byte[] data = randomObject(random);
                    long t = System.nanoTime();
                    post(mesh.device(i % 3), data);
                    latencies[i] = System.nanoTime() - t;
                  }
                  return null;
                }));
      }
      for (Future<?> c : clients) {
        c.get();
      }
      long total = System.nanoTime() - start;
      pool.shutdown();
      Result r =
          new Result(
              "Kith vault, 3 devices, W=" + quorum + ", " + concurrency + " clients over HTTP",
              latencies,
              total);
      System.out.printf("[vault-bench] %s: %.0f ops/s%n", r.name, r.opsPerSecond());
      return r;
    }
  }

  /** Fills a replica, kills it for good, and times its replacement's fill. */
  static String rereplicate(Path jar, int fillMb) throws Exception {
    try (LocalMesh mesh =
        LocalMesh.options()
            .devices(4)
            .launcher(Launcher.jar(jar))
            .each(d -> d.flag("vault-replace-after-millis", "5000").flag("vault-write-quorum", "3"))
            .start()) {
      awaitFormed(mesh);
      // The first write makes alice's set: three of the four devices.
      post(mesh.device(0), new byte[] {1});
      JsonObject status = Http.getJson(mesh.device(0).httpUrl() + "/api/vault/alice/status");
      List<String> replicas = new ArrayList<>();
      status
          .getJsonArray("replicas")
          .forEach(r -> replicas.add(((JsonObject) r).getString("device")));
      DeviceProcess victim = mesh.device(replicas.get(0));
      DeviceProcess spare =
          mesh.devices().stream()
              .filter(d -> !replicas.contains(d.name()))
              .findFirst()
              .orElseThrow();
      System.out.printf("[vault-bench] replicas %s, spare %s%n", replicas, spare.name());

      // Load: fillMb objects of 1 MB, written with W=3, so every replica holds them all.
      Random random = new Random(5);
      long fillStart = System.nanoTime();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> posts = new ArrayList<>();
      for (int i = 0; i < fillMb; i++) {
        byte[] data = new byte[1 << 20];
        random.nextBytes(data);
        DeviceProcess via = mesh.device(i % 4);
        posts.add(pool.submit(() -> post(via, data)));
      }
      for (Future<?> p : posts) {
        p.get();
      }
      pool.shutdown();
      long fillSeconds = Duration.ofNanos(System.nanoTime() - fillStart).toSeconds();
      System.out.printf("[vault-bench] wrote %d MB in %d s%n", fillMb, fillSeconds);

      // Fault: the replica dies for good.
      long killedAt = System.nanoTime();
      victim.kill9();
      // The mesh assigns the spare after the grace period; time the fill from then.
      long assignedAt =
          Eventually.eventually(
              Duration.ofSeconds(120),
              () -> {
                JsonObject s = Http.getJson(spare.httpUrl() + "/api/vault/alice/status");
                boolean assigned =
                    s.getJsonArray("replicas").stream()
                        .anyMatch(r -> spare.name().equals(((JsonObject) r).getString("device")));
                if (!assigned) {
                  throw new AssertionError("not assigned yet: " + s);
                }
                return System.nanoTime();
              });
      long filledAt =
          Eventually.eventually(
              Duration.ofSeconds(1800),
              () -> {
                JsonObject s = Http.getJson(spare.httpUrl() + "/api/vault/alice/status");
                long held =
                    s.getJsonArray("replicas").stream()
                        .map(JsonObject.class::cast)
                        .filter(r -> spare.name().equals(r.getString("device")))
                        .mapToLong(r -> r.getLong("objects", 0L))
                        .sum();
                if (held < fillMb + 1) {
                  throw new AssertionError(spare.name() + " holds " + held);
                }
                return System.nanoTime();
              });
      double fillSecondsNew = (filledAt - assignedAt) / 1e9;
      return String.format(
          "%n| re-replication | MB | grace (s) | kill to assigned (s) | assigned to filled (s) | MB/s |%n"
              + "|---|---|---|---|---|---|%n"
              + "| %s lost, %s filled | %d | 5 | %.1f | %.1f | %.1f |%n",
          victim.name(),
          spare.name(),
          fillMb,
          (assignedAt - killedAt) / 1e9,
          fillSecondsNew,
          fillMb / fillSecondsNew);
    }
  }

  private static void awaitFormed(LocalMesh mesh) {
    Eventually.eventually(
        Duration.ofSeconds(60),
        () -> {
          for (DeviceProcess d : mesh.devices()) {
            for (DeviceProcess other : mesh.devices()) {
              if (!MeshApi.reportsAlive(d.httpUrl(), other.name())) {
                throw new AssertionError(d.name() + " does not list " + other.name());
              }
            }
          }
        });
  }

  private static byte[] randomObject(Random random) {
    byte[] data = new byte[OBJECT_BYTES];
    random.nextBytes(data);
    return data;
  }

  private static Void post(DeviceProcess via, byte[] data) {
    Http.Response r =
        Http.send(
            "POST", via.httpUrl() + "/api/vault/alice/objects", "application/octet-stream", data);
    if (r.status() != 201) {
      throw new IllegalStateException("POST through " + via.name() + ": " + r);
    }
    return null;
  }

  private VaultBenchmark() {}
}
