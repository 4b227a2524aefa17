package dev.kith.mesh.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A replica's fences and its part in compare-and-set")
class FenceTest {

  private static final String ALICE = "alice";
  private static final long T0 = Hlc.of(1_700_000_000_000L, 0);

  @TempDir Path dir;
  private LocalStore store;

  @BeforeEach
  void open() throws IOException {
    store = LocalStore.open(dir.resolve("vault"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static StoredRecord record(String key, long epoch, long hlc, String device, int n) {
    return new StoredRecord(
        ALICE, key, new Version(epoch, hlc, device), new JsonObject().put("n", n).encode());
  }

  @Test
  @DisplayName("A write with a lower epoch than the replica has seen for the scope is refused")
  void lowerEpochIsRefused() {
    Fence old = new Fence("mail", 1002);
    Fence successor = new Fence("mail", 2002);
    store.applyFenced(ALICE, successor, List.of(record("mail/box/INBOX", 2002, T0, "d4", 7)));

    assertThatThrownBy(
            () ->
                store.applyFenced(
                    ALICE, old, List.of(record("mail/box/INBOX", 1002, T0 + 99, "d1", 3))))
        .isInstanceOf(Vault.Fenced.class)
        .satisfies(e -> assertThat(((Vault.Fenced) e).highest()).isEqualTo(2002));
    assertThatThrownBy(() -> store.applyFenced(ALICE, old, List.of()))
        .isInstanceOf(Vault.Fenced.class);
    // Nothing of the refused write was kept; the successor's value stands.
    assertThat(store.getRecord(ALICE, "mail/box/INBOX").orElseThrow().value()).contains("7");
    // Another scope and another owner are not fenced by it.
    store.applyFenced(ALICE, new Fence("outbound", 1), List.of());
    store.applyFenced(
        "bob",
        old,
        List.of(new StoredRecord("bob", "x", new Version(1002, T0, "d1"), "{\"n\":1}")));
    assertThat(store.fences(ALICE)).isEqualTo(Map.of("mail", 2002L, "outbound", 1L));
  }

  @Test
  @DisplayName("A fence survives a restart and is only ever raised")
  void fenceIsDurableAndMonotonic() throws IOException {
    store.applyFenced(ALICE, new Fence("mail", 5), List.of());
    store.raiseFences(ALICE, Map.of("mail", 3L, "chat", 9L));
    store.close();
    store = LocalStore.open(dir.resolve("vault"));
    assertThat(store.fences(ALICE)).isEqualTo(Map.of("mail", 5L, "chat", 9L));
    assertThatThrownBy(() -> store.applyFenced(ALICE, new Fence("mail", 4), List.of()))
        .isInstanceOf(Vault.Fenced.class);
  }

  @Test
  @DisplayName("Across any order of merges, a higher epoch wins over a newer clock")
  void epochOrdersBeforeClock() {
    Random random = new Random(13);
    for (int round = 0; round < 200; round++) {
      String key = "k" + round;
      StoredRecord successor = record(key, 2002, T0 + random.nextInt(1000), "d4", 1);
      StoredRecord stale = record(key, 1002, T0 + 1000 + random.nextInt(1000), "d1", 2);
      StoredRecord unfenced = record(key, 0, T0 + 5000, "edge", 3);
      List<StoredRecord> order = new java.util.ArrayList<>(List.of(successor, stale, unfenced));
      java.util.Collections.shuffle(order, random);
      order.forEach(store::applyRecord);
      assertThat(store.getRecord(ALICE, key).orElseThrow().version())
          .isEqualTo(successor.version());
    }
  }

  @Test
  @DisplayName("A replica promises and accepts only ballots above every one it has seen")
  void promisesAndAccepts() {
    Version b1 = new Version(0, T0 + 1, "a");
    Version b2 = new Version(0, T0 + 2, "b");
    RecordSql.Ballot first = store.prepare(ALICE, "counter", b1, null);
    assertThat(first.ok()).isTrue();
    assertThat(first.accepted()).isNull();
    // A higher ballot's promise makes the lower one's acceptance fail.
    assertThat(store.prepare(ALICE, "counter", b2, null).ok()).isTrue();
    RecordSql.Ballot late = store.accept(record("counter", 0, T0 + 1, "a", 1), null);
    assertThat(late.ok()).isFalse();
    assertThat(late.seen()).isEqualTo(b2);
    assertThat(store.getRecord(ALICE, "counter")).isEmpty();
    // The higher one is accepted, twice without harm, and reported to the next prepare.
    StoredRecord chosen = record("counter", 0, T0 + 2, "b", 2);
    assertThat(store.accept(chosen, null).ok()).isTrue();
    assertThat(store.accept(chosen, null).ok()).isTrue();
    assertThat(store.prepare(ALICE, "counter", b1, null).ok()).isFalse();
    RecordSql.Ballot next = store.prepare(ALICE, "counter", new Version(0, T0 + 3, "a"), null);
    assertThat(next.ok()).isTrue();
    assertThat(next.accepted()).isEqualTo(chosen);
    // A fenced phase from a superseded epoch is refused outright.
    store.applyFenced(ALICE, new Fence("mail", 7), List.of());
    assertThatThrownBy(
            () ->
                store.prepare(ALICE, "counter", new Version(6, T0 + 9, "a"), new Fence("mail", 6)))
        .isInstanceOf(Vault.Fenced.class);
  }
}
