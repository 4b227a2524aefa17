package dev.kith.mesh.vault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The property replication depends on: records converge. Every trial generates writes from a few
 * devices (a device never reuses a version, as its clock guarantees), duplicates some of them, and
 * feeds the lot to several stores in different orders, one write at a time or in random batches,
 * some with repeats. Every store must end in the same state, which must also be the state a plain
 * "newest version per key" model predicts.
 *
 * <p>The base seed is random per run and printed on failure; rerun a failure with {@code
 * -Dvault.merge.seed=SEED}.
 */
@DisplayName("Record merging")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecordMergeTest {

  private static final int TRIALS = 200;
  private static final int STORES = 4;
  private static final String[] KEYS = {"a", "b", "c", "d", "e", "f%", "f_"};
  private static final String[] DEVICES = {"laptop", "phone", "pi"};
  private static final long T0 = 1_700_000_000_000L;

  private final List<LocalStore> stores = new ArrayList<>();

  @BeforeAll
  void openStores(@TempDir Path dir) throws IOException {
    // The stores are reused across trials, one owner per trial, to keep the test fast.
    for (int i = 0; i < STORES; i++) {
      stores.add(LocalStore.open(dir.resolve("store" + i)));
    }
  }

  @AfterAll
  void closeStores() {
    stores.forEach(LocalStore::close);
  }

  @Test
  @DisplayName("gives the same state whatever order the same operations are applied in")
  void anyOrderSameState() {
    long baseSeed = Long.getLong("vault.merge.seed", new Random().nextLong());
    for (int trial = 0; trial < TRIALS; trial++) {
      long seed = baseSeed + trial;
      try {
        runTrial("trial-" + trial, new Random(seed));
      } catch (AssertionError e) {
        throw new AssertionError(
            "trial " + trial + " failed; rerun with -Dvault.merge.seed=" + seed, e);
      }
    }
  }

  private void runTrial(String owner, Random random) {
    List<StoredRecord> ops = generate(owner, random);
    Map<String, StoredRecord> expected = newestPerKey(ops);

    List<List<StoredRecord>> states = new ArrayList<>();
    List<Map<Long, String>> summaries = new ArrayList<>();
    for (int s = 0; s < stores.size(); s++) {
      LocalStore store = stores.get(s);
      List<StoredRecord> order = new ArrayList<>(ops);
      Collections.shuffle(order, random);
      if (s % 2 == 1) {
        // Replication may deliver a write again, long after the first time.
        List<StoredRecord> again = new ArrayList<>(ops.subList(0, random.nextInt(ops.size())));
        Collections.shuffle(again, random);
        order.addAll(again);
      }
      if (s == 0) {
        applyOneByOne(store, order);
      } else {
        applyInBatches(store, order, random);
      }
      states.add(store.scan(owner, "", null, 1_000, true));
      summaries.add(store.recordSummary(owner));
    }

    for (int s = 1; s < stores.size(); s++) {
      assertThat(states.get(s)).as("state of store %d", s).isEqualTo(states.get(0));
      assertThat(summaries.get(s)).as("summary of store %d", s).isEqualTo(summaries.get(0));
    }
    assertThat(states.get(0)).isEqualTo(new ArrayList<>(expected.values()));
    assertThat(stores.get(0).scan(owner, "", null, 1_000, false))
        .isEqualTo(expected.values().stream().filter(r -> !r.deleted()).toList());
  }

  /** Applies writes singly, checking each answer against the model as it goes. */
  private static void applyOneByOne(LocalStore store, List<StoredRecord> order) {
    Map<String, StoredRecord> model = new HashMap<>();
    for (StoredRecord r : order) {
      StoredRecord current = model.get(r.key());
      boolean shouldChange = current == null || r.newerThan(current);
      if (shouldChange) {
        model.put(r.key(), r);
      }
      assertThat(store.applyRecord(r)).as("applyRecord(%s)", r).isEqualTo(shouldChange);
    }
  }

  private static void applyInBatches(LocalStore store, List<StoredRecord> order, Random random) {
    int i = 0;
    while (i < order.size()) {
      int n = 1 + random.nextInt(Math.min(12, order.size() - i));
      store.applyRecords(order.subList(i, i + n));
      i += n;
    }
  }

  /**
   * Writes with versions drawn from a narrow range, so that clock ties between devices are common,
   * plus exact duplicates.
   */
  private static List<StoredRecord> generate(String owner, Random random) {
    Map<Version, StoredRecord> writes = new HashMap<>();
    int count = 5 + random.nextInt(30);
    while (writes.size() < count) {
      Version v =
          new Version(
              Hlc.of(T0 + random.nextInt(4), random.nextInt(3)),
              DEVICES[random.nextInt(DEVICES.length)]);
      if (writes.containsKey(v)) {
        continue; // a device's clock never issues the same timestamp twice
      }
      String key = KEYS[random.nextInt(KEYS.length)];
      String value = random.nextInt(4) == 0 ? null : "{\"n\":" + random.nextInt(1000) + "}";
      writes.put(v, new StoredRecord(owner, key, v, value));
    }
    List<StoredRecord> ops = new ArrayList<>(writes.values());
    int duplicates = random.nextInt(count / 2 + 1);
    for (int i = 0; i < duplicates; i++) {
      ops.add(ops.get(random.nextInt(count)));
    }
    return ops;
  }

  private static Map<String, StoredRecord> newestPerKey(List<StoredRecord> ops) {
    Map<String, StoredRecord> newest = new TreeMap<>();
    for (StoredRecord r : ops) {
      newest.merge(r.key(), r, (a, b) -> b.newerThan(a) ? b : a);
    }
    return newest;
  }
}
