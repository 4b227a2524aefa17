package dev.kith.mesh.vault;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mesh.Device;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.testing.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vault's Java API, as a service uses it, on one real device in this JVM. */
class VaultApiTest {

  @TempDir static Path home;
  private static Device device;
  private static Vault vault;

  @BeforeAll
  static void startDevice() throws Exception {
    DeviceConfig config =
        DeviceConfig.load(
            List.of(
                "--name",
                "api.alice",
                "--home",
                home.toString(),
                "--http-port",
                String.valueOf(FreePorts.next()),
                "--cluster-port",
                String.valueOf(FreePorts.next()),
                "--mesh",
                "test-" + UUID.randomUUID(),
                "--public-host",
                "127.0.0.1"),
            Map.of(),
            unknown -> {});
    device = await(Device.start(config));
    vault = device.vault();
  }

  @AfterAll
  static void stopDevice() throws Exception {
    if (device != null) {
      await(device.stop());
    }
  }

  @Test
  @DisplayName("An object's id is the SHA-256 of its bytes, and a range reads part of it")
  void objects() throws Exception {
    byte[] bytes = "hello, vault".getBytes(StandardCharsets.UTF_8);
    String id = await(vault.putObject("alice", "text/plain", Buffer.buffer(bytes)));
    assertThat(id).isEqualTo(MeshVault.sha256(bytes));
    assertThat(await(vault.putObject("alice", "text/plain", Buffer.buffer(bytes)))).isEqualTo(id);

    Vault.VaultObject part = await(vault.getObject("alice", id, 7, 5));
    assertThat(part.bytes().toString()).isEqualTo("vault");
    assertThat(part.info().size()).isEqualTo(bytes.length);
    assertThat(part.info().mediaType()).isEqualTo("text/plain");
    assertThat(await(vault.hasObject("alice", id))).isTrue();
    assertThat(await(vault.hasObject("alice", "0".repeat(64)))).isFalse();
    assertThatThrownBy(() -> await(vault.getObject("alice", "0".repeat(64))))
        .hasCauseInstanceOf(Vault.NotFound.class);
  }

  @Test
  @DisplayName("A scan pages through records in key order, skipping deleted ones")
  void scanPages() throws Exception {
    for (int i = 0; i < 25; i++) {
      await(vault.putRecord("alice", String.format("page/%02d", i), new JsonObject().put("i", i)));
    }
    await(vault.deleteRecord("alice", "page/03"));
    List<Integer> seen = new ArrayList<>();
    String after = null;
    do {
      MeshVault.Page page = await(((MeshVault) vault).scanPage("alice", "page/", after, 10));
      page.records().forEach(r -> seen.add(new JsonObject(r.value()).getInteger("i")));
      after = page.next();
    } while (after != null);
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      if (i != 3) {
        expected.add(i);
      }
    }
    assertThat(seen).isEqualTo(expected);
    assertThat(await(vault.getRecord("alice", "page/03"))).isNull();
    assertThat(await(vault.getRecord("alice", "page/04")).value()).isEqualTo("{\"i\":4}");
  }

  @Test
  @DisplayName("A watch sees each change under its prefix, deletes as tombstones, and nothing else")
  void watchSeesChanges() throws Exception {
    List<StoredRecord> seen = new CopyOnWriteArrayList<>();
    Vault.Watch watch = await(vault.watch("alice", "watched/", seen::add));
    try {
      await(vault.putRecord("alice", "watched/a", new JsonObject().put("n", 1)));
      await(vault.putRecord("alice", "other/b", new JsonObject().put("n", 2)));
      await(vault.deleteRecord("alice", "watched/a"));
      eventually(
          Duration.ofSeconds(5),
          () -> {
            assertThat(seen)
                .extracting(StoredRecord::key)
                .containsExactly("watched/a", "watched/a");
            assertThat(seen.get(0).deleted()).isFalse();
            assertThat(seen.get(1).deleted()).isTrue();
            assertThat(seen.get(1).version()).isGreaterThan(seen.get(0).version());
          });
    } finally {
      await(watch.close());
    }
  }

  @Test
  @DisplayName("Bad owners, keys, ids and sizes fail with IllegalArgumentException")
  void badInput() {
    assertThatThrownBy(() -> await(vault.putRecord("Alice", "k", new JsonObject())))
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> await(vault.putRecord("alice", "", new JsonObject())))
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> await(vault.getObject("alice", "not-an-id")))
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                await(
                    vault.putRecord(
                        "alice", "big", new JsonObject().put("s", "x".repeat(300 * 1024)))))
        .hasCauseInstanceOf(IllegalArgumentException.class);
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e;
    }
  }
}
