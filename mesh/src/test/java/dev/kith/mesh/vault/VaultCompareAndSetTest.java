package dev.kith.mesh.vault;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Compare-and-set across three real device processes: writers on every device increment one counter
 * with conditional writes ({@code If-Match}, the record's ETag), as an allocator of UIDs does. No
 * two writers are ever told they moved the counter from the same value, so no increment is lost and
 * no value is handed out twice.
 */
@Isolated("a load test: it takes both cores")
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class VaultCompareAndSetTest {

  private static final String KEY = "counters/uid";
  private static final int WRITERS_PER_DEVICE = 3;
  private static final int INCREMENTS_PER_WRITER = 25;

  @Test
  @DisplayName("Concurrent compare-and-set increments on three devices lose none and reuse none")
  void concurrentIncrementsLoseNothing() throws Exception {
    // Start: three of alice's devices, each a replica of her vault.
    try (LocalMesh mesh = LocalMesh.options().names("a.alice", "b.alice", "c.alice").start()) {
      awaitMesh(mesh);
      Http.Response created =
          put(mesh.device(0), new JsonObject().put("n", 0), "If-None-Match", "*");
      assertThat(created.status()).as("%s", created).isEqualTo(200);
      assertThat(put(mesh.device(1), new JsonObject().put("n", 5), "If-None-Match", "*").status())
          .as("a second create-only write")
          .isEqualTo(412);

      // Load: writers on all three devices, each reading the counter and writing n + 1 only if
      // the version it read is still current, retrying on 412 (and on 503, as a client would).
      Map<Long, String> handedOut = new ConcurrentHashMap<>();
      Set<String> duplicates = ConcurrentHashMap.newKeySet();
      AtomicInteger conflicts = new AtomicInteger();
      AtomicInteger unknown = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(3 * WRITERS_PER_DEVICE);
      List<Future<?>> writers = new ArrayList<>();
      for (DeviceProcess device : mesh.devices()) {
        for (int w = 0; w < WRITERS_PER_DEVICE; w++) {
          String writer = device.name() + "#" + w;
          writers.add(
              pool.submit(
                  () -> {
                    int done = 0;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                    while (done < INCREMENTS_PER_WRITER && System.nanoTime() < deadline) {
                      Http.Response read = Http.get(VaultMeshTest.recordUrl(device, "alice", KEY));
                      if (read.status() != 200) {
                        continue;
                      }
                      long n = read.json().getJsonObject("value").getLong("n");
                      Http.Response write =
                          put(
                              device,
                              new JsonObject().put("n", n + 1),
                              "If-Match",
                              read.header("ETag"));
                      if (write.status() == 200) {
                        if (handedOut.putIfAbsent(n + 1, writer) != null) {
                          duplicates.add(n + 1 + " to " + writer + " and " + handedOut.get(n + 1));
                        }
                        done++;
                      } else if (write.status() == 412) {
                        conflicts.incrementAndGet();
                      } else {
                        assertThat(write.status()).as("%s", write).isEqualTo(503);
                        unknown.incrementAndGet();
                      }
                    }
                    return done;
                  }));
        }
      }
      int total = 0;
      for (Future<?> f : writers) {
        total += (Integer) f.get(200, TimeUnit.SECONDS);
      }
      pool.shutdown();
      System.out.printf(
          "[cas] %d increments acknowledged, %d conflicts retried, %d unknown%n",
          total, conflicts.get(), unknown.get());

      // Verdict: every acknowledged increment moved the counter from a value no other writer
      // moved it from, and the counter, read through every device, counts each of them.
      assertThat(duplicates).isEmpty();
      assertThat(total).isEqualTo(3 * WRITERS_PER_DEVICE * INCREMENTS_PER_WRITER);
      assertThat(conflicts.get()).as("writers really raced").isPositive();
      long acknowledged = total;
      long max = handedOut.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
      for (DeviceProcess d : mesh.devices()) {
        eventually(
            Duration.ofSeconds(20),
            () -> {
              long n = VaultMeshTest.getRecord(d, "alice", KEY).getLong("n");
              assertThat(n).isEqualTo(max);
              // An unknown outcome may have taken effect, never more than once each.
              assertThat(n).isBetween(acknowledged, acknowledged + unknown.get());
            });
      }
    }
  }

  private static Http.Response put(DeviceProcess to, JsonObject value, String... headers) {
    return Http.send(
        "PUT",
        VaultMeshTest.recordUrl(to, "alice", KEY),
        "application/json",
        value.encode().getBytes(StandardCharsets.UTF_8),
        headers);
  }

  private static void awaitMesh(LocalMesh mesh) {
    eventually(
        LocalMesh.START_TIMEOUT,
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
}
