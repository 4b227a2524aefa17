package dev.kith.mesh.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The vault's local store")
class LocalStoreTest {

  private static final String ALICE = "alice";
  private static final long HOUR = LocalStore.RECORD_BUCKET_MILLIS;
  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path dir;
  private LocalStore store;

  /** Most tests keep every object in a file; {@link InDatabase} keeps small ones in SQLite. */
  private int inDbMaxBytes = 0;

  @BeforeEach
  void open() throws IOException {
    store = LocalStore.open(dir.resolve("vault"), inDbMaxBytes);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private LocalStore reopen() throws IOException {
    store.close();
    store = LocalStore.open(dir.resolve("vault"), inDbMaxBytes);
    return store;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }

  private Path objectFile(String owner, String id) {
    return dir.resolve("vault/objects").resolve(owner).resolve(id.substring(0, 2)).resolve(id);
  }

  private static StoredRecord put(String key, long millis, String device, String value) {
    return new StoredRecord(ALICE, key, new Version(Hlc.of(millis, 0), device), value);
  }

  private static StoredRecord delete(String key, long millis, String device) {
    return StoredRecord.tombstone(ALICE, key, new Version(Hlc.of(millis, 0), device));
  }

  private static List<String> keys(List<StoredRecord> records) {
    return records.stream().map(StoredRecord::key).collect(Collectors.toList());
  }

  @Nested
  @DisplayName("objects")
  class Objects {

    @Test
    @DisplayName("are stored under their SHA-256, in the documented layout, and read back")
    void putGetHas() throws Exception {
      byte[] content = bytes("hello, vault");

      ObjectInfo info = store.putObject(ALICE, "text/plain", content);

      assertThat(info.id()).isEqualTo(sha256(content));
      assertThat(info.size()).isEqualTo(content.length);
      assertThat(info.mediaType()).isEqualTo("text/plain");
      assertThat(objectFile(ALICE, info.id())).hasBinaryContent(content);
      assertThat(store.hasObject(ALICE, info.id())).isTrue();
      assertThat(store.objectInfo(ALICE, info.id())).contains(info);
      assertThat(store.readObject(ALICE, info.id())).isEqualTo(content);
      assertThat(store.objectIds(ALICE, "")).containsExactly(info.id());
      assertThat(store.objectIds(ALICE, info.id().substring(0, 3))).containsExactly(info.id());
      assertThat(dir.resolve("vault/tmp")).isEmptyDirectory();
    }

    @Test
    @DisplayName("are absent for other owners and unknown ids")
    void absent() throws Exception {
      String id = store.putObject(ALICE, "text/plain", bytes("mine")).id();

      assertThat(store.hasObject("bob", id)).isFalse();
      assertThat(store.readObject("bob", id)).isNull();
      assertThat(store.objectInfo("bob", id)).isEmpty();
      assertThat(store.readObject(ALICE, sha256(bytes("other")))).isNull();
    }

    @Test
    @DisplayName("stored twice keep their first info and one file")
    void idempotentPut() throws Exception {
      ObjectInfo first = store.putObject(ALICE, "text/plain", bytes("same"));

      ObjectInfo second = store.putObject(ALICE, first.id(), "text/markdown", bytes("same"));

      assertThat(second).isEqualTo(first);
      assertThat(store.objectIds(ALICE, "")).hasSize(1);
      assertThat(store.stats(ALICE)).isEqualTo(new LocalStore.Stats(1, 4, 0, 0));
    }

    @Test
    @DisplayName("are read in ranges, clamped at the end, and refuse an offset past the end")
    void rangeReads() throws Exception {
      String id = store.putObject(ALICE, "text/plain", bytes("0123456789")).id();

      assertThat(store.readObject(ALICE, id, 0, 3)).isEqualTo(bytes("012"));
      assertThat(store.readObject(ALICE, id, 4, 2)).isEqualTo(bytes("45"));
      assertThat(store.readObject(ALICE, id, 7, 100)).isEqualTo(bytes("789"));
      assertThat(store.readObject(ALICE, id, 10, 5)).isEmpty();
      assertThat(store.readObject(ALICE, id, 3, 0)).isEmpty();
      assertThatThrownBy(() -> store.readObject(ALICE, id, 11, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("past the end");
    }

    @Test
    @DisplayName("read in ranges across the copy buffer's boundaries come back exact")
    void largeRangeReads() throws Exception {
      byte[] content = new byte[200_000];
      for (int i = 0; i < content.length; i++) {
        content[i] = (byte) (i * 31 + i / 7);
      }
      String id = store.putObject(ALICE, "application/octet-stream", content).id();

      byte[] middle = store.readObject(ALICE, id, 65_000, 70_000);

      assertThat(middle).isEqualTo(java.util.Arrays.copyOfRange(content, 65_000, 135_000));
      assertThat(store.readObject(ALICE, id)).isEqualTo(content);
    }

    @Test
    @DisplayName("whose bytes do not hash to the expected id are refused and not stored")
    void expectedIdMismatch() throws Exception {
      String wrong = sha256(bytes("something else"));

      assertThatThrownBy(() -> store.putObject(ALICE, wrong, "text/plain", bytes("content")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(wrong);
      assertThat(store.objectIds(ALICE, "")).isEmpty();
      assertThat(store.putObject(ALICE, sha256(bytes("content")), "text/plain", bytes("content")))
          .extracting(ObjectInfo::id)
          .isEqualTo(sha256(bytes("content")));
    }

    @Test
    @DisplayName(
        "that rot on disk are caught on read, quarantined, forgotten, and repaired by a put")
    void corruption() throws Exception {
      byte[] content = bytes("precious photo bytes");
      String id = store.putObject(ALICE, "image/jpeg", content).id();
      Path file = objectFile(ALICE, id);
      byte[] onDisk = Files.readAllBytes(file);
      onDisk[5] ^= 0x01;
      Files.write(file, onDisk);

      assertThatThrownBy(() -> store.readObject(ALICE, id, 0, 2))
          .isInstanceOf(CorruptObjectException.class)
          .satisfies(
              e -> {
                assertThat(((CorruptObjectException) e).owner()).isEqualTo(ALICE);
                assertThat(((CorruptObjectException) e).id()).isEqualTo(id);
              });
      assertThat(store.hasObject(ALICE, id)).isFalse();
      assertThat(store.objectInfo(ALICE, id)).isEmpty();
      assertThat(store.readObject(ALICE, id)).isNull();
      assertThat(store.corruptionsDetected()).isEqualTo(1);
      try (Stream<Path> kept = Files.list(dir.resolve("vault/quarantine"))) {
        assertThat(kept).hasSize(1);
      }

      store.putObject(ALICE, id, "image/jpeg", content);

      assertThat(store.hasObject(ALICE, id)).isTrue();
      assertThat(store.readObject(ALICE, id)).isEqualTo(content);
      assertThat(store.corruptionsDetected()).isEqualTo(1);
      assertThat(store.repairsDone()).isEqualTo(1);
    }

    @Test
    @DisplayName("cut short on disk are corrupt even when the prefix still matches")
    void truncation() throws Exception {
      String id = store.putObject(ALICE, "text/plain", bytes("0123456789")).id();
      Files.write(objectFile(ALICE, id), bytes("01234"));

      assertThatThrownBy(() -> store.readObject(ALICE, id, 0, 3))
          .isInstanceOf(CorruptObjectException.class);
      assertThat(store.hasObject(ALICE, id)).isFalse();
    }

    @Test
    @DisplayName("that are indexed but corrupt on disk are rewritten by a put")
    void putRepairsWithoutARead() throws Exception {
      byte[] content = bytes("0123456789");
      String id = store.putObject(ALICE, "text/plain", content).id();
      Files.write(objectFile(ALICE, id), bytes("garbage!!!"));

      store.putObject(ALICE, "text/plain", content);

      assertThat(objectFile(ALICE, id)).hasBinaryContent(content);
      assertThat(store.readObject(ALICE, id)).isEqualTo(content);
      assertThat(store.corruptionsDetected()).isEqualTo(1);
      assertThat(store.repairsDone()).isEqualTo(1);
      store.putObject(ALICE, "text/plain", content);
      assertThat(store.repairsDone()).as("an intact copy is no repair").isEqualTo(1);
    }

    @Test
    @DisplayName("whose file vanished read as absent and are forgotten")
    void missingFile() throws Exception {
      String id = store.putObject(ALICE, "text/plain", bytes("here today")).id();
      Files.delete(objectFile(ALICE, id));

      assertThat(store.hasObject(ALICE, id)).isFalse();
      assertThat(store.readObject(ALICE, id)).isNull();
      assertThat(store.objectInfo(ALICE, id)).isEmpty();
    }

    @Test
    @DisplayName("put and read from several threads at once all land intact")
    void concurrentPutsAndReads() throws Exception {
      List<byte[]> contents = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        contents.add(bytes("shared object " + i));
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    for (int round = 0; round < 5; round++) {
                      for (byte[] content : contents) {
                        String id = store.putObject(ALICE, "text/plain", content).id();
                        assertThat(store.readObject(ALICE, id)).isEqualTo(content);
                        store.applyRecord(
                            put("k" + thread, T0 + round, "d" + thread, Integer.toString(round)));
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      assertThat(store.objectIds(ALICE, "")).hasSize(contents.size());
      assertThat(store.scan(ALICE, "k", null, 10, false))
          .extracting(StoredRecord::value)
          .containsExactly("4", "4", "4", "4");
      assertThat(store.corruptionsDetected()).isZero();
      assertThat(dir.resolve("vault/tmp")).isEmptyDirectory();
    }

    @Test
    @DisplayName("list ids in order, filtered by prefix")
    void objectIdsByPrefix() throws Exception {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        ids.add(store.putObject(ALICE, "text/plain", bytes("object " + i)).id());
      }
      String prefix = ids.get(0).substring(0, 1);

      assertThat(store.objectIds(ALICE, "")).isSorted().containsExactlyInAnyOrderElementsOf(ids);
      assertThat(store.objectIds(ALICE, prefix))
          .isSorted()
          .containsExactlyInAnyOrderElementsOf(
              ids.stream().filter(id -> id.startsWith(prefix)).toList());
      assertThat(store.objectIds(ALICE, "f".repeat(64))).isEmpty();
    }
  }

  @Nested
  @DisplayName("objects kept in the database")
  class InDatabase {

    @BeforeEach
    void keepSmallObjectsInTheDatabase() throws IOException {
      inDbMaxBytes = 1024;
      reopen();
    }

    /** Overwrites an object's bytes behind the store's back, as rot on the disk would. */
    private void corruptInDatabase(String id, byte[] bytes) throws Exception {
      try (Connection other =
              DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("vault/vault.db"));
          PreparedStatement update =
              other.prepareStatement("UPDATE object_bytes SET data = ? WHERE id = ?")) {
        update.setBytes(1, bytes);
        update.setString(2, id);
        assertThat(update.executeUpdate()).isEqualTo(1);
      }
    }

    @Test
    @DisplayName("small ones live in SQLite without a file, large ones in files, both read back")
    void smallInDatabaseLargeInFiles() throws Exception {
      byte[] small = bytes("a short message");
      byte[] large = new byte[4096];
      new java.util.Random(5).nextBytes(large);

      ObjectInfo s1 = store.putObject(ALICE, "text/plain", small);
      ObjectInfo l1 = store.putObject(ALICE, "application/octet-stream", large);

      assertThat(objectFile(ALICE, s1.id())).doesNotExist();
      assertThat(objectFile(ALICE, l1.id())).hasBinaryContent(large);
      assertThat(store.verifiedFile(ALICE, s1.id())).isNull();
      assertThat(store.verifiedFile(ALICE, l1.id())).isEqualTo(objectFile(ALICE, l1.id()));
      assertThat(store.hasObject(ALICE, s1.id())).isTrue();
      assertThat(store.readObject(ALICE, s1.id())).isEqualTo(small);
      assertThat(store.readObject(ALICE, s1.id(), 2, 5)).isEqualTo(bytes("short"));
      assertThat(store.readObject(ALICE, s1.id(), 10, 100)).isEqualTo(bytes("ssage"));
      assertThatThrownBy(() -> store.readObject(ALICE, s1.id(), 99, 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(store.putObject(ALICE, "text/markdown", small)).isEqualTo(s1);
      assertThat(store.stats(ALICE))
          .isEqualTo(new LocalStore.Stats(2, small.length + large.length, 0, 0));

      reopen();

      assertThat(store.readObject(ALICE, s1.id())).isEqualTo(small);
      assertThat(store.readObject(ALICE, l1.id())).isEqualTo(large);
      assertThat(store.objectInfo(ALICE, s1.id())).contains(s1);
      assertThat(store.corruptionsDetected()).isZero();
      assertThat(dir.resolve("vault/tmp")).isEmptyDirectory();
    }

    @Test
    @DisplayName("that rot are caught on read, quarantined, forgotten, and repaired by a put")
    void corruption() throws Exception {
      byte[] content = bytes("precious note bytes");
      String id = store.putObject(ALICE, "text/plain", content).id();
      corruptInDatabase(id, bytes("precious nXte bytes"));

      assertThatThrownBy(() -> store.readObject(ALICE, id, 0, 2))
          .isInstanceOf(CorruptObjectException.class);
      assertThat(store.hasObject(ALICE, id)).isFalse();
      assertThat(store.readObject(ALICE, id)).isNull();
      assertThat(store.corruptionsDetected()).isEqualTo(1);
      try (Stream<Path> kept = Files.list(dir.resolve("vault/quarantine"))) {
        assertThat(kept).hasSize(1);
      }

      store.putObject(ALICE, id, "text/plain", content);

      assertThat(store.readObject(ALICE, id)).isEqualTo(content);
      assertThat(store.repairsDone()).isEqualTo(1);
    }

    @Test
    @DisplayName("that rot are rewritten by a put without a read")
    void putRepairsWithoutARead() throws Exception {
      byte[] content = bytes("0123456789");
      String id = store.putObject(ALICE, "text/plain", content).id();
      corruptInDatabase(id, bytes("garbage"));

      store.putObject(ALICE, "text/plain", content);

      assertThat(store.readObject(ALICE, id)).isEqualTo(content);
      assertThat(store.corruptionsDetected()).isEqualTo(1);
      assertThat(store.repairsDone()).isEqualTo(1);
      store.putObject(ALICE, "text/plain", content);
      assertThat(store.repairsDone()).as("an intact copy is no repair").isEqualTo(1);
    }

    @Test
    @DisplayName("put from several threads at once all land intact")
    void concurrentPuts() throws Exception {
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        List<java.util.concurrent.Future<ObjectInfo>> puts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          byte[] content = bytes("message " + i);
          puts.add(pool.submit(() -> store.putObject(ALICE, "text/plain", content)));
        }
        for (int i = 0; i < 200; i++) {
          assertThat(store.readObject(ALICE, puts.get(i).get().id()))
              .isEqualTo(bytes("message " + i));
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(store.stats(ALICE).objects()).isEqualTo(200);
      assertThat(dir.resolve("vault/objects")).isEmptyDirectory();
    }
  }

  @Nested
  @DisplayName("records")
  class Records {

    @Test
    @DisplayName("keep the newest write and ignore an older one that arrives later")
    void lastWriterWins() {
      assertThat(store.applyRecord(put("note", T0 + 10, "laptop", "\"new\""))).isTrue();

      assertThat(store.applyRecord(put("note", T0 + 5, "phone", "\"old\""))).isFalse();

      assertThat(store.getRecord(ALICE, "note"))
          .get()
          .extracting(StoredRecord::value)
          .isEqualTo("\"new\"");
    }

    @Test
    @DisplayName("break a clock tie by device name, whatever the arrival order")
    void tieBrokenByDevice() {
      StoredRecord fromA = put("note", T0, "a-laptop", "1");
      StoredRecord fromB = put("note", T0, "b-phone", "2");

      assertThat(store.applyRecord(fromB)).isTrue();
      assertThat(store.applyRecord(fromA)).isFalse();
      assertThat(store.getRecord(ALICE, "note")).contains(fromB);

      store.applyRecord(put("other", T0, "a-laptop", "1"));
      assertThat(store.applyRecord(put("other", T0, "b-phone", "2"))).isTrue();
      assertThat(store.getRecord(ALICE, "other"))
          .get()
          .extracting(StoredRecord::value)
          .isEqualTo("2");
    }

    @Test
    @DisplayName("change nothing when the same write arrives twice")
    void idempotent() {
      StoredRecord r = put("note", T0, "laptop", "{\"a\":1}");

      assertThat(store.applyRecord(r)).isTrue();
      assertThat(store.applyRecord(r)).isFalse();
      assertThat(store.getRecord(ALICE, "note")).contains(r);
    }

    @Test
    @DisplayName("are deleted by a newer tombstone, which an older write cannot undo")
    void tombstone() {
      store.applyRecord(put("note", T0, "laptop", "\"v1\""));

      assertThat(store.applyRecord(delete("note", T0 + 1, "phone"))).isTrue();
      assertThat(store.applyRecord(put("note", T0, "tablet", "\"stale\""))).isFalse();

      assertThat(store.getRecord(ALICE, "note")).get().matches(StoredRecord::deleted);
      assertThat(store.scan(ALICE, "", null, 10, false)).isEmpty();
      assertThat(store.scan(ALICE, "", null, 10, true))
          .extracting(StoredRecord::key)
          .containsExactly("note");
      assertThat(store.stats(ALICE)).isEqualTo(new LocalStore.Stats(0, 0, 0, 1));

      assertThat(store.applyRecord(put("note", T0 + 2, "laptop", "\"back\""))).isTrue();
      assertThat(store.getRecord(ALICE, "note"))
          .get()
          .extracting(StoredRecord::value)
          .isEqualTo("\"back\"");
    }

    @Test
    @DisplayName("merge a batch the same way as one by one")
    void batch() {
      List<StoredRecord> batch =
          List.of(
              put("a", T0 + 2, "laptop", "2"),
              put("a", T0 + 1, "laptop", "1"),
              delete("b", T0, "phone"),
              put("a", T0 + 2, "laptop", "2"));

      assertThat(store.applyRecords(batch)).isEqualTo(2);
      assertThat(store.scan(ALICE, "", null, 10, true))
          .containsExactly(put("a", T0 + 2, "laptop", "2"), delete("b", T0, "phone"));
    }

    @Test
    @DisplayName("concurrent writes share commits, and each keeps its own outcome")
    void groupCommit() throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
          int n = i;
          // Every other write repeats an older version of its key: it changes nothing.
          results.add(
              pool.submit(
                  () ->
                      store.applyRecord(
                          put("k" + (n / 2), T0 + (n % 2 == 0 ? 2 : 1), "d", "\"v" + n + "\""))));
        }
        long changed = 0;
        for (Future<Boolean> r : results) {
          changed += r.get(60, TimeUnit.SECONDS) ? 1 : 0;
        }
        // The newer write of each pair always changes the store; the older one only if it came
        // first, so between 400 and 800 writes changed something.
        assertThat(changed).isBetween(400L, 800L);
      } finally {
        pool.shutdownNow();
      }
      for (int k = 0; k < 400; k++) {
        assertThat(store.getRecord(ALICE, "k" + k))
            .as("key k%d", k)
            .contains(put("k" + k, T0 + 2, "d", "\"v" + (2 * k) + "\""));
      }
      // The writes survive a reopen: they were committed before their calls returned.
      reopen();
      assertThat(store.scan(ALICE, "k", null, 1000, false)).hasSize(400);
    }

    @Test
    @DisplayName("scan by prefix treats % and _ as plain characters")
    void scanPrefixWithWildcards() {
      for (String key : List.of("a", "a%", "a%b", "a_b", "ab", "axb", "a%\uffff", "a%😀", "b")) {
        store.applyRecord(put(key, T0, "laptop", "1"));
      }

      assertThat(keys(store.scan(ALICE, "a%", null, 100, false)))
          .containsExactly("a%", "a%b", "a%\uffff", "a%😀");
      assertThat(keys(store.scan(ALICE, "a_", null, 100, false))).containsExactly("a_b");
      assertThat(keys(store.scan(ALICE, "a", null, 100, false))).hasSize(8).doesNotContain("b");
      assertThat(keys(store.scan(ALICE, "", null, 100, false))).hasSize(9);
      assertThat(keys(store.scan(ALICE, "zz", null, 100, false))).isEmpty();
    }

    @Test
    @DisplayName("scan pages with afterKey, skipping tombstones unless asked for them")
    void scanPaging() {
      for (int i = 0; i < 10; i++) {
        store.applyRecord(put(String.format("k%02d", i), T0, "laptop", Integer.toString(i)));
      }
      store.applyRecord(delete("k04", T0 + 1, "laptop"));
      store.applyRecord(put("other", T0, "laptop", "0"));

      List<String> pages = new ArrayList<>();
      String after = null;
      int pageCount = 0;
      while (true) {
        List<StoredRecord> page = store.scan(ALICE, "k", after, 3, false);
        if (page.isEmpty()) {
          break;
        }
        pageCount++;
        pages.addAll(keys(page));
        after = page.get(page.size() - 1).key();
      }

      assertThat(pages)
          .containsExactly("k00", "k01", "k02", "k03", "k05", "k06", "k07", "k08", "k09");
      assertThat(pageCount).isEqualTo(3);
      assertThat(keys(store.scan(ALICE, "k", "k03", 2, true))).containsExactly("k04", "k05");
    }

    @Test
    @DisplayName("purge only tombstones older than the cut-off")
    void purge() {
      store.applyRecord(delete("old", T0, "laptop"));
      store.applyRecord(delete("young", T0 + 100, "laptop"));
      store.applyRecord(put("value", T0, "laptop", "1"));

      assertThat(store.purgeTombstones(ALICE, Hlc.of(T0 + 50, 0))).isEqualTo(1);

      assertThat(keys(store.scan(ALICE, "", null, 10, true))).containsExactly("value", "young");
    }
  }

  @Nested
  @DisplayName("summaries")
  class Summaries {

    @TempDir Path otherDir;

    @Test
    @DisplayName(
        "agree between two stores with the same content, and differ in one bucket after one change")
    void summaries() throws Exception {
      try (LocalStore other = LocalStore.open(otherDir)) {
        List<StoredRecord> records = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          records.add(put("key" + i, T0 + i * HOUR / 4, "d" + (i % 3), Integer.toString(i)));
        }
        records.add(delete("gone", T0 + HOUR, "d1"));
        List<byte[]> objects = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          objects.add(bytes("object " + i));
        }
        records.forEach(store::applyRecord);
        objects.forEach(o -> store.putObject(ALICE, "text/plain", o));
        for (int i = records.size() - 1; i >= 0; i--) {
          other.applyRecord(records.get(i));
        }
        for (int i = objects.size() - 1; i >= 0; i--) {
          other.putObject(ALICE, "text/plain", objects.get(i));
        }

        assertThat(other.objectSummary(ALICE)).isEqualTo(store.objectSummary(ALICE)).isNotEmpty();
        assertThat(other.recordSummary(ALICE)).isEqualTo(store.recordSummary(ALICE)).hasSize(8);

        // One newer write on one side: exactly its bucket differs.
        StoredRecord newer = put("key5", T0 + 5 * HOUR / 4, "d9", "\"changed\"");
        other.applyRecord(newer);
        String added = other.putObject(ALICE, "text/plain", bytes("one more")).id();

        Map<Long, String> mine = store.recordSummary(ALICE);
        Map<Long, String> theirs = other.recordSummary(ALICE);
        long bucket = LocalStore.recordBucket(newer.version().hlc());
        assertThat(differingKeys(mine, theirs)).containsExactly(bucket);
        assertThat(other.recordsInBucket(ALICE, bucket)).contains(newer);
        assertThat(store.recordsInBucket(ALICE, bucket))
            .extracting(StoredRecord::key)
            .contains("key5", "key4", "key6");
        assertThat(differingKeys(store.objectSummary(ALICE), other.objectSummary(ALICE)))
            .containsExactly(added.substring(0, 2));
      }
    }

    @Test
    @DisplayName("cover tombstones, and a tombstone differs from a value with the same version")
    void tombstonesCount() throws Exception {
      try (LocalStore other = LocalStore.open(otherDir)) {
        store.applyRecord(delete("k", T0, "d"));
        other.applyRecord(put("k", T0, "d", "1"));

        assertThat(store.recordSummary(ALICE)).isNotEqualTo(other.recordSummary(ALICE));
        assertThat(store.recordsInBucket(ALICE, LocalStore.recordBucket(Hlc.of(T0, 0))))
            .containsExactly(delete("k", T0, "d"));
      }
    }

    @Test
    @DisplayName("leave out records at or after a cut-off, so writes still arriving do not differ")
    void cutOff() throws Exception {
      try (LocalStore other = LocalStore.open(otherDir)) {
        store.applyRecord(put("old", T0, "d", "1"));
        other.applyRecord(put("old", T0, "d", "1"));
        store.applyRecord(put("new", T0 + 5_000, "d", "2"));
        long cut = Hlc.of(T0 + 5_000, 0);
        long bucket = LocalStore.recordBucket(Hlc.of(T0, 0));

        assertThat(store.recordSummary(ALICE, cut)).isEqualTo(other.recordSummary(ALICE, cut));
        assertThat(store.recordSummary(ALICE)).isNotEqualTo(other.recordSummary(ALICE));
        assertThat(keys(store.recordsInBucket(ALICE, bucket, cut))).containsExactly("old");
        assertThat(keys(store.recordsInBucket(ALICE, bucket))).containsExactly("new", "old");
      }
    }

    private <K> Set<K> differingKeys(Map<K, String> a, Map<K, String> b) {
      Set<K> keys = new java.util.TreeSet<>(a.keySet());
      keys.addAll(b.keySet());
      keys.removeIf(k -> java.util.Objects.equals(a.get(k), b.get(k)));
      return keys;
    }
  }

  @Nested
  @DisplayName("across a restart")
  class Restart {

    @Test
    @DisplayName("keeps every object, record, tombstone and owner")
    void reopenKeepsEverything() throws Exception {
      ObjectInfo photo = store.putObject(ALICE, "image/png", bytes("png bytes"));
      store.putObject("bob", "text/plain", bytes("bob's"));
      store.applyRecord(put("a", T0, "laptop", "{\"x\":[1,2,3]}"));
      store.applyRecord(delete("b", T0, "laptop"));
      Map<Long, String> records = store.recordSummary(ALICE);
      Map<String, String> objects = store.objectSummary(ALICE);

      reopen();

      assertThat(store.objectInfo(ALICE, photo.id())).contains(photo);
      assertThat(store.readObject(ALICE, photo.id())).isEqualTo(bytes("png bytes"));
      assertThat(store.getRecord(ALICE, "a")).contains(put("a", T0, "laptop", "{\"x\":[1,2,3]}"));
      assertThat(store.getRecord(ALICE, "b")).contains(delete("b", T0, "laptop"));
      assertThat(store.recordSummary(ALICE)).isEqualTo(records);
      assertThat(store.objectSummary(ALICE)).isEqualTo(objects);
      assertThat(store.owners()).containsExactly(ALICE, "bob");
      assertThat(store.stats(ALICE)).isEqualTo(new LocalStore.Stats(1, 9, 1, 1));
      assertThat(store.corruptionsDetected()).isZero();
    }

    @Test
    @DisplayName(
        "indexes a file a crashed put left without an index row, and a later put names its type")
    void reindexesOrphans() throws Exception {
      byte[] content = bytes("written, renamed, then the power went out");
      String id = sha256(content);
      store.close();
      Files.createDirectories(objectFile(ALICE, id).getParent());
      Files.write(objectFile(ALICE, id), content);
      Files.write(dir.resolve("vault/tmp/object-123.tmp"), bytes("half a write"));

      reopen();

      assertThat(store.hasObject(ALICE, id)).isTrue();
      assertThat(store.objectInfo(ALICE, id))
          .get()
          .extracting(ObjectInfo::mediaType)
          .isEqualTo(LocalStore.UNKNOWN_MEDIA_TYPE);
      assertThat(dir.resolve("vault/tmp")).isEmptyDirectory();
      assertThat(store.putObject(ALICE, "text/plain", content).mediaType()).isEqualTo("text/plain");
      assertThat(store.objectInfo(ALICE, id))
          .get()
          .extracting(ObjectInfo::mediaType)
          .isEqualTo("text/plain");
    }

    @Test
    @DisplayName(
        "quarantines an unindexed corrupt file and forgets an indexed object whose file is gone")
    void reconcilesDamage() throws Exception {
      String gone = store.putObject(ALICE, "text/plain", bytes("will vanish")).id();
      String badId = sha256(bytes("what the file should hold"));
      store.close();
      Files.delete(objectFile(ALICE, gone));
      Files.createDirectories(objectFile(ALICE, badId).getParent());
      Files.write(objectFile(ALICE, badId), bytes("something else entirely"));

      reopen();

      assertThat(store.objectInfo(ALICE, gone)).isEmpty();
      assertThat(store.hasObject(ALICE, badId)).isFalse();
      assertThat(objectFile(ALICE, badId)).doesNotExist();
      assertThat(store.corruptionsDetected()).isEqualTo(2);
    }

    @Test
    @DisplayName("refuses a second open of the same vault while the first is open")
    void exclusiveOpen() {
      assertThatThrownBy(() -> LocalStore.open(dir.resolve("vault")))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("already open");
    }

    @Test
    @DisplayName("refuses calls once closed")
    void closed() {
      store.close();

      assertThatThrownBy(() -> store.getRecord(ALICE, "a"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    }
  }

  @Nested
  @DisplayName("validation")
  class Validation {

    private final String id = "ab".repeat(32);

    @Test
    @DisplayName("rejects owners that are not lowercase names, before touching the disk")
    void owners() {
      for (String bad : List.of("", "Alice", "-alice", "a/b", "..", "a.b", "a".repeat(64), "é")) {
        assertThatThrownBy(() -> store.putObject(bad, "text/plain", bytes("x")))
            .as("owner %s", bad)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("owner");
        assertThatThrownBy(() -> store.hasObject(bad, id))
            .isInstanceOf(IllegalArgumentException.class);
      }
      assertThat(store.hasObject("a".repeat(63), id)).isFalse();
      assertThat(store.hasObject("0-a", id)).isFalse();
      try (Stream<Path> owners = Files.list(dir.resolve("vault/objects"))) {
        assertThat(owners).isEmpty();
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    @Test
    @DisplayName("rejects ids that are not 64 lowercase hex digits")
    void ids() {
      for (String bad :
          List.of("", "AB".repeat(32), "ab".repeat(31), "../" + "a".repeat(61), "g".repeat(64))) {
        assertThatThrownBy(() -> store.readObject(ALICE, bad))
            .as("id %s", bad)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("object id");
      }
      assertThatThrownBy(() -> store.objectIds(ALICE, "xyz"))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("rejects empty, overlong, NUL-bearing and ill-formed keys")
    void keys() {
      Version v = new Version(1, "d");
      for (String bad : List.of("", "k".repeat(513), "a\0b", "bad\ud800")) {
        assertThatThrownBy(() -> new StoredRecord(ALICE, bad, v, "1"))
            .as("key %s", bad)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("key");
        assertThatThrownBy(() -> store.getRecord(ALICE, bad))
            .isInstanceOf(IllegalArgumentException.class);
      }
      assertThat(store.applyRecord(new StoredRecord(ALICE, "k".repeat(512), v, "1"))).isTrue();
    }

    @Test
    @DisplayName("rejects bad arguments to reads, scans and puts")
    void arguments() {
      assertThatThrownBy(() -> store.scan(ALICE, "", null, 0, true))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.readObject(ALICE, id, -1, 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.putObject(ALICE, " ", bytes("x")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("media type");
      assertThatThrownBy(() -> store.recordsInBucket(ALICE, -1))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
