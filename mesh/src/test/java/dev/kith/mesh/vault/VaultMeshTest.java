package dev.kith.mesh.vault;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The vault across real device processes on loopback: writes through any device read back from
 * every device, a replica killed with {@code kill -9} catches up when it returns, a corrupt copy is
 * repaired, a whole mesh killed at once loses no acknowledged write, and bad input gets 4xx.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class VaultMeshTest {

  private static final Duration START = Duration.ofSeconds(60);

  /** Devices compare their vaults every 2 s in these tests, instead of every 30 s. */
  private static LocalMesh.Options mesh(String... names) {
    return LocalMesh.options().names(names).each(d -> d.flag("vault-anti-entropy-millis", "2000"));
  }

  /**
   * Tests that share one mesh of three devices (two of alice's, one of bob's), each on an owner's
   * vault of its own: a mesh formed once instead of three times.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("One mesh of three devices")
  class OneMeshOfThree {

    private LocalMesh mesh;

    @BeforeAll
    void start() {
      mesh =
          LocalMesh.options()
              .names("a.alice", "b.alice", "c.bob")
              .each(
                  d ->
                      d.flag("vault-anti-entropy-millis", "2000")
                          .flag("vault-tombstone-age-millis", "2000"))
              .start();
      awaitMesh(mesh);
    }

    @AfterAll
    void stop() {
      if (mesh != null) {
        mesh.close();
      }
    }

    @Test
    @DisplayName("Objects and records written through any device read back from every device")
    void writesReadBackEverywhere() {
      // Load: each device writes an object and a record of alice's.
      Map<String, byte[]> objects = new LinkedHashMap<>();
      Random random = new Random(7);
      for (DeviceProcess writer : mesh.devices()) {
        byte[] bytes = new byte[1000 + random.nextInt(200_000)];
        random.nextBytes(bytes);
        String id = putObject(writer, "alice", bytes);
        objects.put(id, bytes);
        putRecord(
            writer, "alice", "notes/" + writer.name(), new JsonObject().put("by", writer.name()));
      }

      // Verdict: every device reads every object, byte for byte, and every record.
      for (DeviceProcess reader : mesh.devices()) {
        objects.forEach(
            (id, bytes) ->
                assertThat(Http.getBytes(object(reader, "alice", id)).body())
                    .as("object %s through %s", id, reader.name())
                    .isEqualTo(bytes));
        JsonObject page = Http.getJson(reader.httpUrl() + "/api/vault/alice/records?prefix=notes/");
        assertThat(page.getJsonArray("records")).hasSize(3);
        for (DeviceProcess writer : mesh.devices()) {
          assertThat(getRecord(reader, "alice", "notes/" + writer.name()).getString("by"))
              .isEqualTo(writer.name());
        }
      }
      // ... and a range of an object.
      Map.Entry<String, byte[]> first = objects.entrySet().iterator().next();
      Http.BytesResponse range =
          Http.getBytes(object(mesh.device(2), "alice", first.getKey()), "Range", "bytes=10-19");
      assertThat(range.status()).isEqualTo(206);
      assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(first.getValue(), 10, 20));
      assertThat(range.header("Content-Range")).isEqualTo("bytes 10-19/" + first.getValue().length);

      // ... and all three devices hold alice's three objects.
      eventually(
          Duration.ofSeconds(20),
          () -> {
            JsonObject status = Http.getJson(mesh.device(0).httpUrl() + "/api/vault/alice/status");
            assertThat(status.getBoolean("underReplicated")).as("%s", status).isFalse();
            JsonArray replicas = status.getJsonArray("replicas");
            assertThat(replicas).hasSize(3);
            for (Object r : replicas) {
              assertThat(((JsonObject) r).getLong("objects")).as("%s", status).isEqualTo(3L);
            }
          });

      // ... and the vault's metrics show it.
      eventually(
          Duration.ofSeconds(20),
          () -> {
            assertThat(metric(mesh.device(0), "kith_vault_objects", "alice")).isEqualTo(3.0);
            assertThat(metric(mesh.device(0), "kith_vault_underreplicated", "alice")).isZero();
            assertThat(metric(mesh.device(0), "kith_vault_replication_lag_seconds_count"))
                .isPositive();
          });

      // A delete is seen everywhere.
      Http.Response deleted =
          Http.send("DELETE", recordUrl(mesh.device(0), "alice", "notes/c.bob"), null, null);
      assertThat(deleted.status()).as("%s", deleted).isEqualTo(200);
      for (DeviceProcess reader : mesh.devices()) {
        assertThat(Http.get(recordUrl(reader, "alice", "notes/c.bob")).status()).isEqualTo(404);
      }
    }

    @Test
    @DisplayName(
        "A delete's tombstone is removed from every replica once all hold it and it is old enough,"
            + " and the record stays deleted")
    void tombstonesAreCollected() {
      // dave's vault, which the other tests here do not touch.
      DeviceProcess d = mesh.device(0);
      putRecord(d, "dave", "keep", new JsonObject().put("v", 1));
      putRecord(d, "dave", "gone", new JsonObject().put("v", 2));
      assertThat(Http.send("DELETE", recordUrl(d, "dave", "gone"), null, null).status())
          .isEqualTo(200);

      // Verdict: no replica keeps the tombstone, the key reads as deleted, the other stays.
      eventually(
          Duration.ofSeconds(30),
          () -> {
            JsonObject status = Http.getJson(d.httpUrl() + "/api/vault/dave/status");
            for (Object r : status.getJsonArray("replicas")) {
              JsonObject replica = (JsonObject) r;
              assertThat(replica.getLong("tombstones")).as("%s", status).isZero();
              assertThat(replica.getLong("records")).as("%s", status).isEqualTo(1L);
            }
          });
      for (DeviceProcess reader : mesh.devices()) {
        assertThat(Http.get(recordUrl(reader, "dave", "gone") + "?local=true").status())
            .isEqualTo(404);
        assertThat(Http.get(recordUrl(reader, "dave", "gone")).status()).isEqualTo(404);
        assertThat(getRecord(reader, "dave", "keep").getInteger("v")).isEqualTo(1);
      }
    }

    @Test
    @DisplayName("A flipped byte in one replica's file is detected, repaired, and counted")
    void corruptObjectIsRepaired() throws IOException {
      // carol's vault, which the other tests here do not touch. Larger than what a store keeps
      // inside its database, so the object is a file (LocalStoreTest covers the small ones).
      byte[] bytes =
          "the quick brown fox jumps over the lazy dog\n"
              .repeat(2000)
              .getBytes(StandardCharsets.UTF_8);
      String id = putObject(mesh.device(0), "carol", bytes);
      DeviceProcess victim = mesh.device(1);
      double repairsBefore = metric(victim, "kith_vault_repairs_total");
      Path file =
          victim.directory().resolve("home/vault/objects/carol/" + id.substring(0, 2) + "/" + id);
      eventually(Duration.ofSeconds(20), () -> assertThat(file).exists());

      // Fault: one byte flipped on disk.
      byte[] onDisk = Files.readAllBytes(file);
      onDisk[100] ^= 0x20;
      Files.write(file, onDisk);

      // Verdict: a read through that device returns the right bytes, and it counts one repair.
      assertThat(Http.getBytes(object(victim, "carol", id)).body()).isEqualTo(bytes);
      assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
      assertThat(metric(victim, "kith_vault_repairs_total")).isEqualTo(repairsBefore + 1);
    }
  }

  @Test
  @DisplayName("A replica killed with kill -9 loses nothing acknowledged and catches up on restart")
  void killedReplicaCatchesUp() {
    try (LocalMesh mesh = mesh("a.alice", "b.alice", "c.alice").start()) {
      awaitMesh(mesh);
      DeviceProcess victim = mesh.device("c.alice");
      Path victimHome = victim.directory().resolve("home");
      List<String> ids = new ArrayList<>();
      Random random = new Random(11);

      // Load, then fault: ten writes, kill -9 of one replica, thirty more through the survivors.
      for (int i = 0; i < 40; i++) {
        if (i == 10) {
          victim.kill9();
        }
        DeviceProcess writer = mesh.device(i % 2);
        byte[] bytes = new byte[2000 + random.nextInt(20_000)];
        random.nextBytes(bytes);
        ids.add(eventually(Duration.ofSeconds(10), () -> putObject(writer, "alice", bytes)));
        int n = i;
        eventually(
            Duration.ofSeconds(10),
            () -> putRecord(writer, "alice", "k/" + n, new JsonObject().put("n", n)));
      }

      // Recovery: the victim restarts on its old home and pulls what it missed.
      DeviceProcess back =
          mesh.startExtra(
              mesh.newDevice("c.alice")
                  .httpPort(victim.httpPort())
                  .clusterPort(victim.clusterPort())
                  .flag("home", victimHome.toString())
                  .flag("vault-anti-entropy-millis", "2000"));
      back.awaitHealthy(START);

      // Verdict: its own copy holds all 40 objects and 40 records, within 30 s.
      eventually(
          Duration.ofSeconds(30),
          () -> {
            JsonObject status = Http.getJson(back.httpUrl() + "/api/vault/alice/status");
            JsonObject mine =
                status.getJsonArray("replicas").stream()
                    .map(JsonObject.class::cast)
                    .filter(r -> r.getString("device").equals("c.alice"))
                    .findFirst()
                    .orElseThrow();
            assertThat(mine.getLong("objects")).as("%s", status).isEqualTo(40L);
            assertThat(mine.getLong("records")).as("%s", status).isEqualTo(40L);
          });
      for (String id : ids) {
        assertThat(Http.getBytes(object(back, "alice", id)).status()).isEqualTo(200);
      }
    }
  }

  @Test
  @DisplayName(
      "A replica dead longer than vault-replace-after-millis is replaced, and the new replica is"
          + " filled with every object and record")
  void deadReplicaIsReplaced() {
    try (LocalMesh mesh =
        LocalMesh.options()
            .names("a.alice", "b.alice", "c.alice", "d.alice")
            .each(
                d ->
                    d.flag("vault-anti-entropy-millis", "2000")
                        .flag("vault-replace-after-millis", "3000"))
            .start()) {
      awaitMesh(mesh);
      List<String> ids = new ArrayList<>();
      Random random = new Random(17);
      for (int i = 0; i < 20; i++) {
        byte[] bytes = new byte[1000 + random.nextInt(50_000)];
        random.nextBytes(bytes);
        ids.add(putObject(mesh.device(i % 4), "alice", bytes));
        putRecord(mesh.device(i % 4), "alice", "r/" + i, new JsonObject().put("i", i));
      }
      List<String> before = replicas(mesh.device(0));
      assertThat(before).hasSize(3);
      DeviceProcess victim = mesh.device(before.get(0));
      DeviceProcess spare =
          mesh.devices().stream().filter(d -> !before.contains(d.name())).findFirst().orElseThrow();

      // Fault: a replica dies for good.
      long killedAt = System.nanoTime();
      victim.kill9();

      // Verdict: the spare joins the set and holds every object and record itself.
      DeviceProcess reader = mesh.others(victim).get(0);
      eventually(
          Duration.ofSeconds(60),
          () -> {
            List<String> now = replicas(reader);
            assertThat(now).contains(spare.name()).doesNotContain(victim.name()).hasSize(3);
            for (String id : ids) {
              assertThat(
                      Http.send("HEAD", object(spare, "alice", id) + "?local=true", null, null)
                          .status())
                  .as("object %s on %s", id, spare.name())
                  .isEqualTo(200);
            }
            for (int i = 0; i < 20; i++) {
              assertThat(Http.get(recordUrl(spare, "alice", "r/" + i) + "?local=true").status())
                  .isEqualTo(200);
            }
          });
      System.out.printf(
          "replica %s replaced by %s and filled %d ms after kill -9 (grace 3000 ms)%n",
          victim.name(), spare.name(), Duration.ofNanos(System.nanoTime() - killedAt).toMillis());
    }
  }

  private static List<String> replicas(DeviceProcess d) {
    List<String> out = new ArrayList<>();
    Http.getJson(d.httpUrl() + "/api/vault/alice/status")
        .getJsonArray("replicas")
        .forEach(r -> out.add(((JsonObject) r).getString("device")));
    return out;
  }

  @Test
  @DisplayName("kill -9 of every device during writes loses no acknowledged write")
  void fullPowerLoss() throws Exception {
    LocalMesh mesh = mesh("a.alice", "b.alice", "c.alice").start();
    Map<String, Path> homes = new LinkedHashMap<>();
    Map<String, int[]> ports = new LinkedHashMap<>();
    List<String> acknowledgedIds = new ArrayList<>();
    Map<String, Integer> acknowledgedRecords = new LinkedHashMap<>();
    try {
      awaitMesh(mesh);
      for (DeviceProcess d : mesh.devices()) {
        homes.put(d.name(), d.directory().resolve("home"));
        ports.put(d.name(), new int[] {d.httpPort(), d.clusterPort()});
      }
      // Load: writers on two threads; everything that got 2xx is remembered.
      Random random = new Random(3);
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; !Thread.currentThread().isInterrupted() && i < 100_000; i++) {
                  DeviceProcess to = mesh.device(i % 3);
                  byte[] bytes = new byte[500 + random.nextInt(5000)];
                  random.nextBytes(bytes);
                  try {
                    Http.Response r =
                        Http.send(
                            "POST",
                            to.httpUrl() + "/api/vault/alice/objects",
                            "application/octet-stream",
                            bytes);
                    if (r.status() == 201) {
                      synchronized (acknowledgedIds) {
                        acknowledgedIds.add(r.json().getString("id"));
                      }
                    }
                    Http.Response p =
                        Http.send(
                            "PUT",
                            recordUrl(to, "alice", "power/" + i),
                            "application/json",
                            new JsonObject().put("i", i).encode().getBytes(StandardCharsets.UTF_8));
                    if (p.status() == 200) {
                      synchronized (acknowledgedRecords) {
                        acknowledgedRecords.put("power/" + i, i);
                      }
                    }
                  } catch (RuntimeException e) {
                    // The devices are being killed; only acknowledged writes count.
                  }
                }
              });
      writer.start();
      eventually(
          Duration.ofSeconds(30),
          () -> {
            synchronized (acknowledgedIds) {
              assertThat(acknowledgedIds.size()).isGreaterThan(200);
            }
          });

      // Fault: every device dies at once.
      mesh.devices().forEach(DeviceProcess::sendSigkill);
      writer.interrupt();
      writer.join(10_000);
    } finally {
      mesh.close();
    }

    // Recovery: all three restart on their old homes.
    List<DeviceProcess> restarted = new ArrayList<>();
    List<String> join = new ArrayList<>();
    ports.values().forEach(p -> join.add("127.0.0.1:" + p[1]));
    String meshName = "test-restart-" + System.nanoTime();
    try {
      for (String name : homes.keySet()) {
        restarted.add(
            DeviceProcess.builder(name)
                .mesh(meshName)
                .httpPort(ports.get(name)[0])
                .clusterPort(ports.get(name)[1])
                .join(join)
                .flag("home", homes.get(name).toString())
                .flag("vault-anti-entropy-millis", "2000")
                .start());
      }
      for (DeviceProcess d : restarted) {
        d.awaitHealthy(START);
      }

      // Verdict: every acknowledged object and record reads back through every device.
      System.out.printf(
          "full power loss: %d objects and %d records were acknowledged%n",
          acknowledgedIds.size(), acknowledgedRecords.size());
      for (DeviceProcess reader : restarted) {
        eventually(
            Duration.ofSeconds(60),
            () -> {
              for (String id : acknowledgedIds) {
                assertThat(Http.getBytes(object(reader, "alice", id)).status())
                    .as("object %s through %s", id, reader.name())
                    .isEqualTo(200);
              }
              for (Map.Entry<String, Integer> e : acknowledgedRecords.entrySet()) {
                assertThat(getRecord(reader, "alice", e.getKey()).getInteger("i"))
                    .isEqualTo(e.getValue());
              }
            });
      }
    } finally {
      restarted.forEach(DeviceProcess::close);
    }
  }

  @Test
  @DisplayName("Bad input gets a 4xx with a JSON body, and the device keeps serving")
  void badInput() {
    try (LocalMesh mesh =
        LocalMesh.options()
            .names("a.alice")
            .each(d -> d.flag("vault-max-object-bytes", "4096"))
            .start()) {
      DeviceProcess d = mesh.device(0);
      String base = d.httpUrl() + "/api/vault/";
      Stream.of(
              new Object[] {
                Http.send("POST", base + "Not_An_Owner/objects", "text/plain", new byte[] {1}), 400
              },
              new Object[] {
                Http.send("POST", base + "alice/objects", "text/plain", new byte[5000]), 413
              },
              new Object[] {
                Http.send("POST", base + "alice/objects", "not a type", new byte[] {1}), 400
              },
              new Object[] {Http.get(base + "alice/objects/xyz"), 400},
              new Object[] {Http.get(base + "alice/objects/" + "0".repeat(64)), 404},
              new Object[] {
                Http.send("PUT", base + "alice/records/k", "application/json", "[1,2]".getBytes()),
                400
              },
              new Object[] {
                Http.send("PUT", base + "alice/records/k", "application/json", "{nope".getBytes()),
                400
              },
              new Object[] {Http.get(base + "alice/records/missing"), 404},
              new Object[] {Http.get(base + "alice/records?limit=0"), 400},
              new Object[] {Http.get(base + "alice/records?limit=x"), 400})
          .forEach(
              c -> {
                Http.Response r = (Http.Response) c[0];
                assertThat(r.status()).as("%s", r).isEqualTo((int) c[1]);
                assertThat(r.json().getString("error")).as("%s", r).isNotBlank();
              });
      String id = putObject(d, "alice", "ok".getBytes(StandardCharsets.UTF_8));
      Http.BytesResponse badRange = Http.getBytes(object(d, "alice", id), "Range", "bytes=5-1");
      assertThat(badRange.status()).isEqualTo(416);
      assertThat(Http.getBytes(object(d, "alice", id)).body())
          .isEqualTo("ok".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName(
      "kith export, then kith import into another mesh, restores objects and records with their"
          + " versions; importing again changes nothing")
  void exportThenImport(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("alice.kith");
    Map<String, byte[]> objects = new LinkedHashMap<>();
    JsonArray before;
    try (LocalMesh mesh = mesh("a.alice", "b.alice").start()) {
      awaitMesh(mesh);
      DeviceProcess d = mesh.device(0);
      Random random = new Random(5);
      for (int i = 0; i < 5; i++) {
        byte[] bytes = new byte[100 + random.nextInt(100_000)];
        random.nextBytes(bytes);
        objects.put(putObject(d, "alice", bytes), bytes);
      }
      for (int i = 0; i < 20; i++) {
        putRecord(d, "alice", "r/" + i, new JsonObject().put("i", i));
      }
      for (int i = 0; i < 5; i++) {
        assertThat(Http.send("DELETE", recordUrl(d, "alice", "r/" + i), null, null).status())
            .isEqualTo(200);
      }
      before = allRecords(d);
      assertThat(before).hasSize(20);

      // Export through the other device.
      Cli export =
          cli(
              "export",
              "--owner",
              "alice",
              "--out",
              file.toString(),
              "--url",
              mesh.device(1).httpUrl());
      assertThat(export.code()).as(export.output()).isZero();
      assertThat(export.output()).contains("exported 5 objects and 20 records");
    }
    assertThat(java.nio.file.Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

    try (LocalMesh other = mesh("z.carol").start()) {
      DeviceProcess d = other.device(0);
      for (int round = 1; round <= 2; round++) {
        Cli imported = cli("import", file.toString(), "--url", d.httpUrl());
        assertThat(imported.code()).as(imported.output()).isZero();
        assertThat(imported.output()).contains("imported 5 objects and 20 records");
        objects.forEach(
            (id, bytes) ->
                assertThat(Http.getBytes(object(d, "alice", id)).body()).isEqualTo(bytes));
        assertThat(allRecords(d)).as("after import %d", round).isEqualTo(before);
        assertThat(
                Http.getJson(d.httpUrl() + "/api/vault/alice/status")
                    .getJsonArray("replicas")
                    .getJsonObject(0)
                    .getLong("objects"))
            .isEqualTo(5L);
      }
    }
  }

  /** Every record of alice's, tombstones included, with versions, in key order. */
  private static JsonArray allRecords(DeviceProcess d) {
    return Http.getJson(d.httpUrl() + "/api/vault/alice/records?deleted=true&limit=1000")
        .getJsonArray("records");
  }

  record Cli(int code, String output) {}

  private static Cli cli(String... args) throws Exception {
    List<String> command = new ArrayList<>(dev.kith.mesh.testing.Launcher.classpath().command());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // The commands read alice's vault: they get an access token of hers, as a user would.
    String url = args[List.of(args).indexOf("--url") + 1];
    dev.kith.mesh.testing.Credentials.authorization(
            java.net.URI.create(url + "/api/vault/alice/status"))
        .ifPresent(
            v -> builder.environment().put("KITH_ACCESS_TOKEN", v.substring("Bearer ".length())));
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new Cli(p.exitValue(), out);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void awaitMesh(LocalMesh mesh) {
    eventually(
        START,
        () -> {
          for (DeviceProcess d : mesh.devices()) {
            Map<String, String> states = MeshApi.deviceStates(d.httpUrl());
            for (DeviceProcess other : mesh.devices()) {
              assertThat(states).containsEntry(other.name(), MeshApi.ALIVE);
            }
            assertThat(Http.get(d.httpUrl() + "/ready").status()).isEqualTo(200);
          }
        });
  }

  static String putObject(DeviceProcess to, String owner, byte[] bytes) {
    Http.Response r =
        Http.send(
            "POST",
            to.httpUrl() + "/api/vault/" + owner + "/objects",
            "application/octet-stream",
            bytes);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    return r.json().getString("id");
  }

  static void putRecord(DeviceProcess to, String owner, String key, JsonObject value) {
    Http.Response r =
        Http.send(
            "PUT",
            recordUrl(to, owner, key),
            "application/json",
            value.encode().getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as("%s", r).isEqualTo(200);
  }

  static JsonObject getRecord(DeviceProcess from, String owner, String key) {
    Http.Response r = Http.get(recordUrl(from, owner, key));
    assertThat(r.status()).as("%s %s", key, r).isEqualTo(200);
    return r.json().getJsonObject("value");
  }

  static String recordUrl(DeviceProcess d, String owner, String key) {
    return d.httpUrl()
        + "/api/vault/"
        + owner
        + "/records/"
        + java.net.URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String object(DeviceProcess d, String owner, String id) {
    return d.httpUrl() + "/api/vault/" + owner + "/objects/" + id;
  }

  /** The sum of a metric's series for one owner. */
  static double metric(DeviceProcess d, String name, String owner) {
    String text = Http.get(d.httpUrl() + "/metrics").body();
    return text.lines()
        .filter(l -> l.startsWith(name + "{") && l.contains("owner=\"" + owner + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  static double metric(DeviceProcess d, String name) {
    return MeshApi.metricSum(d.httpUrl(), name);
  }
}
