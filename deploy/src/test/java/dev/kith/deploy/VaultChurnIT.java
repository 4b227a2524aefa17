package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The vault's durability under churn (issue 4): five containers take 10,000 writes through random
 * devices, objects of 1 KB to 1 MB and records, while every 10 s one of the owner's replica devices
 * is killed with {@code docker kill} and started again. Every acknowledged write must then read
 * back, intact, through every device, and every acknowledged object must sit on every replica.
 *
 * <p>A write is retried, through another device, until one attempt is acknowledged; only
 * acknowledged writes are checked. {@code -Dkith.churn.writes=N} changes the number of writes.
 *
 * <p>A soak: it runs only in the {@code soak} profile ({@code mvn -Psoak}, {@code KITH_SOAK=true
 * bash .ci/run}).
 */
@ExtendWith(DeviceLogs.class)
@Tag("soak")
@Timeout(1800)
class VaultChurnIT {

  private static final int WRITES = Integer.getInteger("kith.churn.writes", 10_000);
  private static final int WRITERS = 4;
  private static final Duration KILL_EVERY = Duration.ofSeconds(10);

  @BeforeEach
  void requireDocker() {
    Docker.assumeDockerOrFail();
  }

  @Test
  @DisplayName(
      "10,000 writes through random devices while a replica is killed every 10 s: every"
          + " acknowledged write reads back from every device and sits on every replica")
  void churn() throws Exception {
    try (ContainerMesh mesh =
        ContainerMesh.options().devices(5).env("KITH_VAULT_ANTI_ENTROPY_MILLIS", "5000").start()) {
      eventually(Duration.ofSeconds(90), () -> assertAllAlive(mesh));
      // The first write makes alice's replica set.
      eventually(Duration.ofSeconds(30), () -> putRecord(mesh.httpUrl(0), "setup", 0));
      List<String> replicas = replicas(mesh.httpUrl(0));
      System.out.printf("[churn] alice's vault is kept on %s%n", replicas);

      // Load: writers pick a random device that is up; a churn thread kills and restarts replicas.
      Map<String, Long> objects = new ConcurrentHashMap<>(); // id -> size
      Map<String, Integer> records = new ConcurrentHashMap<>();
      Set<Integer> down = ConcurrentHashMap.newKeySet();
      AtomicInteger next = new AtomicInteger();
      AtomicInteger retries = new AtomicInteger();
      AtomicInteger unacknowledged = new AtomicInteger();
      AtomicLong bytes = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
      long started = System.nanoTime();
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int seed = w;
        writers.add(
            pool.submit(
                () -> {
                  Random random = new Random(seed);
                  for (int i = next.getAndIncrement(); i < WRITES; i = next.getAndIncrement()) {
                    boolean object = i % 10 < 3;
                    byte[] payload = object ? randomBytes(random) : null;
                    boolean acked = false;
                    for (int attempt = 0; attempt < 20 && !acked; attempt++) {
                      int device = pickUp(random, mesh.size(), down);
                      try {
                        if (object) {
                          String id = putObject(mesh.httpUrl(device), payload);
                          objects.put(id, (long) payload.length);
                          bytes.addAndGet(payload.length);
                        } else {
                          putRecord(mesh.httpUrl(device), "churn/" + i, i);
                          records.put("churn/" + i, i);
                        }
                        acked = true;
                      } catch (AssertionError | RuntimeException e) {
                        retries.incrementAndGet();
                      }
                    }
                    if (!acked) {
                      unacknowledged.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      List<String> killed = new ArrayList<>();
      Future<?> churn =
          pool.submit(
              () -> {
                int round = 0;
                while (writers.stream().anyMatch(f -> !f.isDone())) {
                  long roundStart = System.nanoTime();
                  String victim = replicas.get(round++ % replicas.size());
                  int index = mesh.indexOf(victim);
                  down.add(index);
                  mesh.dockerKill(index);
                  killed.add(victim);
                  mesh.dockerStart(index);
                  eventually(
                      Duration.ofSeconds(90),
                      () ->
                          assertThat(Http.get(mesh.httpUrl(index) + "/ready").status())
                              .isEqualTo(200));
                  down.remove(index);
                  long waitNanos = KILL_EVERY.toNanos() - (System.nanoTime() - roundStart);
                  if (waitNanos > 0) {
                    TimeUnit.NANOSECONDS.sleep(
                        waitNanos); // the fault schedule, not a wait-then-assert
                  }
                }
                return null;
              });
      for (Future<?> writer : writers) {
        writer.get();
      }
      churn.get();
      Duration load = Duration.ofNanos(System.nanoTime() - started);
      System.out.printf(
          "[churn] %d writes in %d s: %d objects (%d MB), %d records acknowledged; %d retried"
              + " attempts, %d never acknowledged; %d kills: %s%n",
          WRITES,
          load.toSeconds(),
          objects.size(),
          bytes.get() >> 20,
          records.size(),
          retries.get(),
          unacknowledged.get(),
          killed.size(),
          killed);
      assertThat(objects.size() + records.size() + unacknowledged.get()).isEqualTo(WRITES);

      // Verdict 1: re-replication: every replica holds every acknowledged object itself.
      long convergeStart = System.nanoTime();
      eventually(
          Duration.ofSeconds(180),
          () -> {
            for (String replica : replicas) {
              String url = mesh.httpUrl(mesh.indexOf(replica));
              for (String id : objects.keySet()) {
                assertThat(headLocal(url, id)).as("object %s on %s", id, replica).isEqualTo(200);
              }
            }
          });
      System.out.printf(
          "[churn] every replica held every acknowledged object %d ms after the load ended%n",
          Duration.ofNanos(System.nanoTime() - convergeStart).toMillis());

      // Verdict 2: every acknowledged write reads back, intact, through every device.
      ExecutorService readers = Executors.newFixedThreadPool(4);
      try {
        for (int d = 0; d < mesh.size(); d++) {
          String url = mesh.httpUrl(d);
          List<Future<?>> checks = new ArrayList<>();
          for (String id : objects.keySet()) {
            checks.add(
                readers.submit(
                    () -> {
                      Http.BytesResponse r = Http.getBytes(url + "/api/vault/alice/objects/" + id);
                      assertThat(r.status()).as("object %s through %s", id, url).isEqualTo(200);
                      assertThat(sha256(r.body())).isEqualTo(id);
                      return null;
                    }));
          }
          for (Map.Entry<String, Integer> e : records.entrySet()) {
            checks.add(
                readers.submit(
                    () -> {
                      Http.Response r =
                          Http.get(
                              url + "/api/vault/alice/records/" + e.getKey().replace("/", "%2F"));
                      assertThat(r.status())
                          .as("record %s through %s: %s", e.getKey(), url, r)
                          .isEqualTo(200);
                      assertThat(r.json().getJsonObject("value").getInteger("n"))
                          .isEqualTo(e.getValue());
                      return null;
                    }));
          }
          for (Future<?> check : checks) {
            check.get();
          }
        }
      } finally {
        readers.shutdownNow();
        pool.shutdownNow();
      }
      System.out.printf(
          "[churn] all %d acknowledged objects and %d records read back through all %d devices%n",
          objects.size(), records.size(), mesh.size());
    }
  }

  private static int pickUp(Random random, int size, Set<Integer> down) {
    for (int tries = 0; tries < 100; tries++) {
      int i = random.nextInt(size);
      if (!down.contains(i)) {
        return i;
      }
    }
    return random.nextInt(size);
  }

  /** 1 KB to 1 MB, log-uniform, so that small objects are common and large ones occur. */
  private static byte[] randomBytes(Random random) {
    double log = Math.log(1024) + random.nextDouble() * (Math.log(1 << 20) - Math.log(1024));
    byte[] bytes = new byte[(int) Math.exp(log)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static String putObject(String url, byte[] payload) {
    Http.Response r =
        Http.send("POST", url + "/api/vault/alice/objects", "application/octet-stream", payload);
    if (r.status() != 201) {
      throw new AssertionError("POST object: " + r);
    }
    return r.json().getString("id");
  }

  private static void putRecord(String url, String key, int n) {
    byte[] body = new JsonObject().put("n", n).encode().getBytes(StandardCharsets.UTF_8);
    Http.Response r =
        Http.send(
            "PUT",
            url + "/api/vault/alice/records/" + key.replace("/", "%2F"),
            "application/json",
            body);
    if (r.status() != 200) {
      throw new AssertionError("PUT record " + key + ": " + r);
    }
  }

  private static int headLocal(String url, String id) {
    return Http.send("HEAD", url + "/api/vault/alice/objects/" + id + "?local=true", null, null)
        .status();
  }

  static List<String> replicas(String url) {
    JsonObject status = Http.getJson(url + "/api/vault/alice/status");
    List<String> out = new ArrayList<>();
    status.getJsonArray("replicas").forEach(r -> out.add(((JsonObject) r).getString("device")));
    return out;
  }

  static void assertAllAlive(ContainerMesh mesh) {
    for (int i = 0; i < mesh.size(); i++) {
      Map<String, String> states = MeshApi.deviceStates(mesh.httpUrl(i));
      for (int j = 0; j < mesh.size(); j++) {
        assertThat(states).containsEntry(mesh.name(j), MeshApi.ALIVE);
      }
    }
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
