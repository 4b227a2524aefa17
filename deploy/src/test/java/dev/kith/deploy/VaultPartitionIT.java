package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.MeshApi;
import dev.kith.mesh.testing.Partition;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Both sides of a partition write the same records, and the vault converges after the heal (issue
 * 4): five containers split 2|3 with one of alice's replicas on the smaller side; each side writes
 * and deletes the same keys; after the heal every replica must hold, within 30 s, exactly the
 * deterministic merge of the acknowledged writes: for each key, the write with the highest version
 * (hybrid logical clock, then device name).
 */
@ExtendWith(DeviceLogs.class)
@Isolated("five containers that must form a mesh in 90 s, then a partition")
@Timeout(400)
class VaultPartitionIT {

  private static final int KEYS = 40;

  /** One acknowledged write: its version, and its value (null for a delete). */
  record Write(long hlc, String device, JsonObject value) {
    static final Comparator<Write> ORDER =
        Comparator.comparingLong(Write::hlc).thenComparing(Write::device);
  }

  @BeforeEach
  void requireDockerAndPacketFilters() {
    Docker.assumeDockerOrFail();
    Partition.assumeSupportedOrFail();
  }

  @Test
  @DisplayName(
      "Writes to the same keys on both sides of a 2|3 partition converge on every replica to the"
          + " deterministic merge within 30 s of the heal")
  void bothSidesWriteThenConverge() throws Exception {
    try (ContainerMesh mesh =
        ContainerMesh.options().devices(5).env("KITH_VAULT_ANTI_ENTROPY_MILLIS", "3000").start()) {
      eventually(Duration.ofSeconds(90), () -> VaultChurnIT.assertAllAlive(mesh));
      Map<String, List<Write>> writes = new TreeMap<>();
      // Every device checks the test's token once before the split: the token was signed by
      // d1's key, and a device on the small side that never saw that key cannot learn it there.
      for (int i = 0; i < mesh.size(); i++) {
        String url = mesh.httpUrl(i);
        eventually(Duration.ofSeconds(30), () -> write(url, "before", new JsonObject(), writes));
      }
      List<String> replicas = VaultChurnIT.replicas(mesh.httpUrl(0));
      int lonely = mesh.indexOf(replicas.get(0));
      int companion =
          java.util.stream.IntStream.range(0, mesh.size())
              .filter(i -> !replicas.contains(mesh.name(i)))
              .findFirst()
              .orElseThrow();
      List<Integer> small = List.of(lonely, companion);
      System.out.printf("[vault-partition] replicas %s; the small side is %s%n", replicas, small);

      // Fault: the split, and each side's view of it.
      try (Partition partition = Partition.split(mesh, small)) {
        Duration seen =
            eventually(
                Duration.ofSeconds(60),
                () -> {
                  for (int i = 0; i < mesh.size(); i++) {
                    Map<String, String> states = MeshApi.deviceStates(mesh.httpUrl(i));
                    for (int j = 0; j < mesh.size(); j++) {
                      String expected = partition.sameSide(i, j) ? MeshApi.ALIVE : "not alive";
                      assertThat(
                              MeshApi.ALIVE.equals(states.get(mesh.name(j)))
                                  ? MeshApi.ALIVE
                                  : "not alive")
                          .as("%s's view of %s", mesh.name(i), mesh.name(j))
                          .isEqualTo(expected);
                    }
                  }
                });
        System.out.printf(
            "[vault-partition] split seen by every device after %d ms%n", seen.toMillis());

        // Load: both sides write every key, alternating; the small side also deletes some.
        int bigSide = partition.sideB().iterator().next();
        for (int k = 0; k < KEYS; k++) {
          String key = "shared/" + k;
          int kk = k;
          eventually(
              Duration.ofSeconds(30),
              () ->
                  write(
                      mesh.httpUrl(lonely),
                      key,
                      new JsonObject().put("side", "small").put("k", kk),
                      writes));
          eventually(
              Duration.ofSeconds(30),
              () ->
                  write(
                      mesh.httpUrl(bigSide),
                      key,
                      new JsonObject().put("side", "big").put("k", kk),
                      writes));
          if (k % 4 == 0) {
            eventually(
                Duration.ofSeconds(30), () -> write(mesh.httpUrl(companion), key, null, writes));
          }
        }
        System.out.printf("[vault-partition] %d keys written on both sides%n", KEYS);
        partition.heal();
      }
      long healedAt = System.nanoTime();

      // Verdict: every replica's own copy of every key is the deterministic merge.
      Map<String, Write> expected = new TreeMap<>();
      writes.forEach(
          (key, list) -> expected.put(key, list.stream().max(Write.ORDER).orElseThrow()));
      Duration converged =
          eventually(
              Duration.ofSeconds(30),
              () -> {
                for (String replica : replicas) {
                  String url = mesh.httpUrl(mesh.indexOf(replica));
                  for (Map.Entry<String, Write> e : expected.entrySet()) {
                    Http.Response r =
                        Http.get(
                            url
                                + "/api/vault/alice/records/"
                                + e.getKey().replace("/", "%2F")
                                + "?local=true");
                    assertThat(r.status())
                        .as("%s on %s: %s", e.getKey(), replica, r)
                        .isEqualTo(200);
                    JsonObject got = r.json();
                    Write want = e.getValue();
                    assertThat(got.getJsonObject("version").getLong("hlc"))
                        .as("%s on %s", e.getKey(), replica)
                        .isEqualTo(want.hlc());
                    assertThat(got.getJsonObject("version").getString("device"))
                        .isEqualTo(want.device());
                    assertThat(got.getBoolean("deleted")).isEqualTo(want.value() == null);
                    if (want.value() != null) {
                      assertThat(got.getJsonObject("value")).isEqualTo(want.value());
                    }
                  }
                }
              });
      long deletedWins = expected.values().stream().filter(w -> w.value() == null).count();
      System.out.printf(
          "[vault-partition] all %d replicas equal the merge of %d keys (%d ending deleted) %d ms"
              + " after the heal%n",
          replicas.size(),
          expected.size(),
          deletedWins,
          Duration.ofNanos(System.nanoTime() - healedAt).toMillis());
      assertThat(converged).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }
  }

  /** Writes (or deletes, when value is null) one record and remembers its version. */
  private static void write(
      String url, String key, JsonObject value, Map<String, List<Write>> writes) {
    String path = url + "/api/vault/alice/records/" + key.replace("/", "%2F");
    Http.Response r =
        value == null
            ? Http.send("DELETE", path, null, null)
            : Http.send(
                "PUT", path, "application/json", value.encode().getBytes(StandardCharsets.UTF_8));
    if (r.status() != 200) {
      throw new AssertionError(key + ": " + r);
    }
    JsonObject version = r.json().getJsonObject("version");
    synchronized (writes) {
      writes
          .computeIfAbsent(key, k -> new ArrayList<>())
          .add(new Write(version.getLong("hlc"), version.getString("device"), value));
    }
  }
}
