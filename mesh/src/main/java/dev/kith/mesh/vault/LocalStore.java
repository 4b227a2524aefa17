package dev.kith.mesh.vault;

import dev.kith.mesh.vault.ObjectFiles.FileState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * One device's copy of the vault: content-addressed objects and last-writer-wins records, for every
 * owner the device keeps data for. Objects up to {@link #IN_DB_MAX_BYTES} live inside SQLite,
 * larger ones in files. All methods block and are safe to call from any thread; call them from
 * worker threads, never from an event loop.
 *
 * <h2>Layout</h2>
 *
 * <p>Under the vault directory: {@code vault.db} (SQLite, WAL journal, {@code synchronous=FULL};
 * the small objects' bytes are in its {@code object_bytes} table), {@code objects/<owner>/<first
 * two hex digits of id>/<id>}, {@code tmp/} for writes in progress, {@code quarantine/} for object
 * files that failed verification (kept for inspection; nothing reads them again), and {@code
 * vault.lock}, which one process at a time holds while the store is open.
 *
 * <h2>Durability</h2>
 *
 * <p>When a write method returns, its effect survives a crash or power loss:
 *
 * <ul>
 *   <li>{@link #putObject} of a small object inserts its bytes and its index row in one transaction
 *       of the group commit, so concurrent writes share one sync of the log.
 *   <li>{@link #putObject} of a larger object writes the bytes to a file in {@code tmp/}, forces it
 *       to disk, renames it atomically into place, forces the directory that now holds it (and any
 *       directory it had to create), and only then commits the index row. An object is stored once
 *       its row is committed; a file without a row is not part of the store.
 *   <li>{@link #applyRecord}, {@link #applyRecords} and {@link #purgeTombstones} are SQLite
 *       transactions, committed with a full sync of the write-ahead log.
 * </ul>
 *
 * <p>What a crash leaves behind, and what repairs it:
 *
 * <ul>
 *   <li>Before the rename: a stray file in {@code tmp/}. {@link #open} deletes everything in {@code
 *       tmp/}.
 *   <li>Between the rename and the index commit: an object file without a row. The put never
 *       returned, so nobody was told it is stored. {@link #open} walks {@code objects/}, verifies
 *       every such file and indexes it with an unknown media type (or quarantines it if its bytes
 *       do not hash to its name). A later put of the same object fills in the media type. The same
 *       walk is what rebuilds the object index if {@code vault.db} is ever lost.
 *   <li>Between moving a corrupt file to quarantine and deleting its row: a row without a file.
 *       {@link #hasObject} is already false, {@link #readObject} treats the object as absent and
 *       drops the row, and {@link #open} drops every such row. Anti-entropy then sees the object
 *       missing and fetches it again.
 * </ul>
 *
 * <p>Bytes that rot after they were written are caught on read: every read hashes the whole object,
 * in the database or in its file. A mismatch moves the bytes to quarantine, forgets the object and
 * throws {@link CorruptObjectException}, so that a good copy from another device can be put again.
 * {@link #corruptionsDetected()} counts objects found corrupt or missing since open.
 *
 * <h2>Ordering</h2>
 *
 * <p>Keys and ids are ordered by their UTF-8 bytes (SQLite's {@code BINARY} collation, which is
 * code-point order). Scans, paging cursors and the summaries' digests all use this order, so two
 * devices always agree on it.
 */
public final class LocalStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LocalStore.class);

  /** Records are summarized in buckets of this much of their version's wall-clock time. */
  public static final long RECORD_BUCKET_MILLIS = 3_600_000L;

  /** The media type reported for an object whose type was lost (re-indexed at open). */
  public static final String UNKNOWN_MEDIA_TYPE = "application/octet-stream";

  /**
   * Objects up to this size are kept inside the database: one WAL commit, shared with other writes
   * by the group commit, instead of a file, its sync, a rename and a directory sync.
   */
  public static final int IN_DB_MAX_BYTES = 64 * 1024;

  private static final int SCHEMA_VERSION = 3;

  private static final int BUSY_TIMEOUT_MILLIS = 10_000;
  private static final int MAX_READ_BYTES = Integer.MAX_VALUE - 8;
  private static final int MAX_MEDIA_TYPE_CHARS = 255;
  private static final int OBJECT_LOCK_STRIPES = 64;
  private static final HexFormat HEX = HexFormat.of();

  private final Path dir;
  private final int inDbMaxBytes;
  private final Path objectsDir;
  private final Path tmpDir;
  private final Path quarantineDir;
  private final FileChannel lockFile;
  private final FileLock processLock;
  private final Connection db;
  private final ReentrantLock dbLock = new ReentrantLock();
  private final java.util.concurrent.ConcurrentLinkedQueue<GroupWrite> groupQueue =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final ReentrantLock[] objectLocks = new ReentrantLock[OBJECT_LOCK_STRIPES];
  private final AtomicLong corruptions = new AtomicLong();

  /** Objects whose copy was found corrupt or missing, until a put writes good bytes again. */
  private final Set<String> awaitingRepair = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final AtomicLong repairs = new AtomicLong();
  private final AtomicLong groupCommits = new AtomicLong();
  private final AtomicLong groupedWrites = new AtomicLong();
  private boolean closed;

  /** Counts of what one owner keeps here. {@code records} counts live values, not tombstones. */
  public record Stats(long objects, long objectBytes, long records, long tombstones) {}

  private LocalStore(
      Path dir, FileChannel lockFile, FileLock processLock, Connection db, int inDbMaxBytes) {
    this.dir = dir;
    this.inDbMaxBytes = inDbMaxBytes;
    this.objectsDir = dir.resolve("objects");
    this.tmpDir = dir.resolve("tmp");
    this.quarantineDir = dir.resolve("quarantine");
    this.lockFile = lockFile;
    this.processLock = processLock;
    this.db = db;
    for (int i = 0; i < objectLocks.length; i++) {
      objectLocks[i] = new ReentrantLock();
    }
  }

  /**
   * Opens the vault in {@code dir}, creating it if needed, and repairs what an earlier crash left
   * behind (see the class description). Fails if another process has the vault open.
   */
  public static LocalStore open(Path dir) throws IOException {
    return open(dir, IN_DB_MAX_BYTES);
  }

  /**
   * Opens the vault in {@code dir}, keeping new objects of up to {@code inDbMaxBytes} inside its
   * database (0: every object in a file).
   */
  public static LocalStore open(Path dir, int inDbMaxBytes) throws IOException {
    dir = dir.toAbsolutePath().normalize();
    if (dir.toString().indexOf('?') >= 0) {
      // The SQLite driver would read what follows '?' as connection options.
      throw new IOException("vault directory must not contain '?': " + dir);
    }
    Files.createDirectories(dir);
    Files.createDirectories(dir.resolve("objects"));
    Files.createDirectories(dir.resolve("tmp"));
    Files.createDirectories(dir.resolve("quarantine"));

    FileChannel lockFile =
        FileChannel.open(
            dir.resolve("vault.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    Connection db = null;
    try {
      FileLock processLock = tryLock(lockFile, dir);
      clearTmp(dir.resolve("tmp"));
      db = openDatabase(dir.resolve("vault.db"));
      LocalStore store = new LocalStore(dir, lockFile, processLock, db, inDbMaxBytes);
      store.reconcileObjects();
      return store;
    } catch (IOException | RuntimeException e) {
      closeQuietly(db);
      lockFile.close();
      throw e;
    }
  }

  private static FileLock tryLock(FileChannel lockFile, Path dir) throws IOException {
    try {
      FileLock lock = lockFile.tryLock();
      if (lock == null) {
        throw new IOException("vault " + dir + " is open in another process");
      }
      return lock;
    } catch (OverlappingFileLockException e) {
      throw new IOException("vault " + dir + " is already open in this process", e);
    }
  }

  private static void clearTmp(Path tmp) throws IOException {
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
      for (Path file : files) {
        if (Files.isRegularFile(file) && Files.deleteIfExists(file)) {
          removed++;
        }
      }
    }
    if (removed > 0) {
      log.info("Vault {}: removed {} unfinished writes from tmp/", tmp.getParent(), removed);
    }
  }

  private static Connection openDatabase(Path file) throws IOException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
    Connection db = null;
    try {
      db = config.createConnection("jdbc:sqlite:" + file);
      try (Statement s = db.createStatement()) {
        String mode = queryString(s, "PRAGMA journal_mode");
        if (!"wal".equalsIgnoreCase(mode)) {
          throw new IOException("vault database " + file + " refused WAL mode (got " + mode + ")");
        }
        // 2 is FULL: a commit returns only after the write-ahead log reached the disk.
        String synchronous = queryString(s, "PRAGMA synchronous");
        if (!"2".equals(synchronous)) {
          throw new IOException(
              "vault database " + file + " is not in synchronous=FULL (got " + synchronous + ")");
        }
        long version = Long.parseLong(queryString(s, "PRAGMA user_version"));
        if (version > SCHEMA_VERSION) {
          throw new IOException(
              "vault database "
                  + file
                  + " has schema version "
                  + version
                  + "; this build knows up to "
                  + SCHEMA_VERSION);
        }
        s.executeUpdate(
            "CREATE TABLE IF NOT EXISTS objects ("
                + "owner TEXT NOT NULL, id TEXT NOT NULL, size INTEGER NOT NULL, "
                + "media_type TEXT NULL, stored_at INTEGER NOT NULL, "
                + "PRIMARY KEY (owner, id)) WITHOUT ROWID");
        s.executeUpdate(
            "CREATE TABLE IF NOT EXISTS records ("
                + "owner TEXT NOT NULL, key TEXT NOT NULL, hlc INTEGER NOT NULL, "
                + "device TEXT NOT NULL, value TEXT NULL, "
                + "PRIMARY KEY (owner, key)) WITHOUT ROWID");
        // Record buckets are ranges of hlc; purging tombstones is too.
        s.executeUpdate("CREATE INDEX IF NOT EXISTS records_by_hlc ON records (owner, hlc)");
        // Version 2: the fencing epoch of each record, fences and promises (RecordSql).
        if (!hasColumn(s, "records", "epoch")) {
          s.executeUpdate("ALTER TABLE records ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0");
        }
        RecordSql.createTables(s);
        // Version 3: small objects kept inside the database (in_db = 1), their bytes beside.
        if (!hasColumn(s, "objects", "in_db")) {
          s.executeUpdate("ALTER TABLE objects ADD COLUMN in_db INTEGER NOT NULL DEFAULT 0");
        }
        s.executeUpdate(
            "CREATE TABLE IF NOT EXISTS object_bytes ("
                + "owner TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,"
                + " PRIMARY KEY (owner, id))");
        s.executeUpdate("PRAGMA user_version = " + SCHEMA_VERSION);
      }
      return db;
    } catch (SQLException e) {
      closeQuietly(db);
      throw new IOException("cannot open vault database " + file + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(db);
      throw e;
    }
  }

  private static boolean hasColumn(Statement s, String table, String column) throws SQLException {
    try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
      while (rs.next()) {
        if (column.equalsIgnoreCase(rs.getString("name"))) {
          return true;
        }
      }
      return false;
    }
  }

  private static String queryString(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Objects found corrupt or missing since this store was opened. */
  public long corruptionsDetected() {
    return corruptions.get();
  }

  /**
   * Corrupt or missing copies written again with good bytes since this store was opened, whoever
   * brought them: a read's repair from another replica, a replicated write or anti-entropy.
   */
  public long repairsDone() {
    return repairs.get();
  }

  /** Group commits so far: each is one transaction and one sync of the log. */
  public long groupCommits() {
    return groupCommits.get();
  }

  /** Writes that went through group commits so far; over {@link #groupCommits}, the group size. */
  public long groupedWrites() {
    return groupedWrites.get();
  }

  private static String repairKey(String owner, String id) {
    return owner + "/" + id;
  }

  public Path directory() {
    return dir;
  }

  // ---------------------------------------------------------------------------------------------
  // Objects

  /** Stores {@code bytes} under their SHA-256; storing what is already stored changes nothing. */
  public ObjectInfo putObject(String owner, String mediaType, byte[] bytes) {
    return putObject(owner, null, mediaType, bytes);
  }

  /**
   * Stores {@code bytes}, which must hash to {@code expectedId} (a {@code null} expectedId skips
   * the check). An intact stored copy is kept and its info returned; a missing or corrupt file is
   * written again.
   */
  public ObjectInfo putObject(String owner, String expectedId, String mediaType, byte[] bytes) {
    VaultNames.requireOwner(owner);
    if (expectedId != null) {
      VaultNames.requireObjectId(expectedId);
    }
    requireMediaType(mediaType);
    Objects.requireNonNull(bytes, "bytes");
    String id = HEX.formatHex(sha256().digest(bytes));
    if (expectedId != null && !expectedId.equals(id)) {
      throw new IllegalArgumentException(
          "object content hashes to " + id + ", not the expected " + expectedId);
    }
    ReentrantLock lock = objectLock(owner, id);
    lock.lock();
    try {
      Optional<IndexRow> row = indexRow(owner, id);
      if (row.isPresent() && row.get().inDb()) {
        return keepOrRewriteInDb(owner, id, mediaType, bytes, row.get());
      }
      if (row.isEmpty() && bytes.length <= inDbMaxBytes) {
        return insertInDb(owner, id, mediaType, bytes);
      }
      return putFile(owner, id, mediaType, bytes, row);
    } catch (IOException e) {
      throw new UncheckedIOException("vault " + dir + ": cannot store object " + id, e);
    } finally {
      lock.unlock();
    }
  }

  /** Stores an object as a file: larger than {@code inDbMaxBytes}, or stored so before. */
  private ObjectInfo putFile(
      String owner, String id, String mediaType, byte[] bytes, Optional<IndexRow> row)
      throws IOException {
    Path file = objectFile(owner, id);
    FileState state = ObjectFiles.check(file, id);
    if (state == FileState.CORRUPT) {
      quarantine(owner, id, file);
      corruptions.incrementAndGet();
      log.warn("Vault {}: object {}/{} was corrupt on disk; writing it again", dir, owner, id);
    }
    if (state != FileState.INTACT) {
      ObjectFiles.writeDurably(tmpDir, file, bytes);
      countRepair(owner, id);
    }
    if (row.isEmpty()) {
      ObjectInfo info =
          new ObjectInfo(owner, id, bytes.length, mediaType, System.currentTimeMillis());
      inGroupCommit(db -> insertIndexRow(db, info, false));
      return info;
    }
    return withMediaType(owner, id, mediaType, row.get());
  }

  /**
   * Stores a small object inside the database: its index row and its bytes in one transaction of
   * the group commit, so that it costs no file, rename or directory sync of its own.
   */
  private ObjectInfo insertInDb(String owner, String id, String mediaType, byte[] bytes) {
    ObjectInfo info =
        new ObjectInfo(owner, id, bytes.length, mediaType, System.currentTimeMillis());
    inGroupCommit(db -> insertInDb(db, info, bytes));
    countRepair(owner, id);
    return info;
  }

  /** A put of an object kept in the database: checks the stored bytes, rewrites them if bad. */
  private ObjectInfo keepOrRewriteInDb(
      String owner, String id, String mediaType, byte[] bytes, IndexRow row) throws IOException {
    byte[] stored = storedBytes(owner, id);
    if (stored == null || !ObjectFiles.matches(stored, id)) {
      quarantineBytes(owner, id, stored);
      corruptions.incrementAndGet();
      log.warn(
          "Vault {}: object {}/{} was corrupt in the database; writing it again", dir, owner, id);
      inGroupCommit(db -> writeBytes(db, owner, id, bytes));
      countRepair(owner, id);
    }
    return withMediaType(owner, id, mediaType, row);
  }

  private static int insertIndexRow(Connection db, ObjectInfo info, boolean inDb)
      throws SQLException {
    try (PreparedStatement insert =
        db.prepareStatement(
            "INSERT INTO objects (owner, id, size, media_type, stored_at, in_db)"
                + " VALUES (?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, info.owner());
      insert.setString(2, info.id());
      insert.setLong(3, info.size());
      insert.setString(4, info.mediaType());
      insert.setLong(5, info.storedAtMillis());
      insert.setInt(6, inDb ? 1 : 0);
      return insert.executeUpdate();
    }
  }

  /** The index row and the bytes of a small object, in the caller's transaction. */
  private static int insertInDb(Connection db, ObjectInfo info, byte[] bytes) throws SQLException {
    insertIndexRow(db, info, true);
    return writeBytes(db, info.owner(), info.id(), bytes);
  }

  private static int writeBytes(Connection db, String owner, String id, byte[] bytes)
      throws SQLException {
    try (PreparedStatement insert =
        db.prepareStatement(
            "INSERT OR REPLACE INTO object_bytes (owner, id, data) VALUES (?, ?, ?)")) {
      insert.setString(1, owner);
      insert.setString(2, id);
      insert.setBytes(3, bytes);
      return insert.executeUpdate();
    }
  }

  /** The bytes of an object kept in the database, unchecked, or {@code null} if there are none. */
  private byte[] storedBytes(String owner, String id) {
    return withDb(
        db -> {
          try (PreparedStatement q =
              db.prepareStatement("SELECT data FROM object_bytes WHERE owner = ? AND id = ?")) {
            q.setString(1, owner);
            q.setString(2, id);
            try (ResultSet rs = q.executeQuery()) {
              return rs.next() ? rs.getBytes(1) : null;
            }
          }
        });
  }

  private ObjectInfo withMediaType(String owner, String id, String mediaType, IndexRow row) {
    if (row.mediaType() != null) {
      return row.info(owner, id);
    }
    withDb(
        db -> {
          try (PreparedStatement update =
              db.prepareStatement("UPDATE objects SET media_type = ? WHERE owner = ? AND id = ?")) {
            update.setString(1, mediaType);
            update.setString(2, owner);
            update.setString(3, id);
            return update.executeUpdate();
          }
        });
    return new ObjectInfo(owner, id, row.size(), mediaType, row.storedAtMillis());
  }

  private void countRepair(String owner, String id) {
    if (awaitingRepair.remove(repairKey(owner, id))) {
      repairs.incrementAndGet();
    }
  }

  public Optional<ObjectInfo> objectInfo(String owner, String id) {
    VaultNames.requireOwner(owner);
    VaultNames.requireObjectId(id);
    return indexRow(owner, id).map(row -> row.info(owner, id));
  }

  /** Whether the object is indexed and its file exists; reading it still verifies its bytes. */
  public boolean hasObject(String owner, String id) {
    VaultNames.requireOwner(owner);
    VaultNames.requireObjectId(id);
    Optional<IndexRow> row = indexRow(owner, id);
    return row.isPresent() && (row.get().inDb() || Files.isRegularFile(objectFile(owner, id)));
  }

  public byte[] readObject(String owner, String id) throws IOException {
    return readObject(owner, id, 0, Long.MAX_VALUE);
  }

  /**
   * The file of an object this store holds, after checking its whole content against the id, so
   * that a caller can stream it (the object does not pass through memory); {@code null} if absent
   * or kept inside the database (small objects are: read those with {@link #readObject}).
   *
   * @throws CorruptObjectException when the file does not match (it is quarantined, as on a read)
   */
  public Path verifiedFile(String owner, String id) throws IOException {
    VaultNames.requireOwner(owner);
    VaultNames.requireObjectId(id);
    Optional<IndexRow> row = indexRow(owner, id);
    if (row.isEmpty() || row.get().inDb()) {
      return null;
    }
    return readObject(owner, id, 0, 0, true) == null ? null : objectFile(owner, id);
  }

  /**
   * Up to {@code length} bytes of the object from {@code offset}, or {@code null} if it is not
   * stored here. The whole file is hashed on every read, so a range read costs as much as reading
   * everything.
   *
   * @throws CorruptObjectException if the file no longer hashes to its id; the store has then
   *     quarantined the file and forgotten the object
   * @throws IllegalArgumentException if {@code offset} is past the end of the object
   */
  public byte[] readObject(String owner, String id, long offset, long length) throws IOException {
    VaultNames.requireOwner(owner);
    VaultNames.requireObjectId(id);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: " + offset + ", " + length);
    }
    return readObject(owner, id, offset, length, true);
  }

  private byte[] readObject(String owner, String id, long offset, long length, boolean mayRetry)
      throws IOException {
    Optional<IndexRow> row = indexRow(owner, id);
    if (row.isEmpty()) {
      return null;
    }
    long size = row.get().size();
    if (offset > size) {
      throw new IllegalArgumentException(
          "offset " + offset + " is past the end of object " + id + " (" + size + " bytes)");
    }
    long wanted = Math.min(length, size - offset);
    if (wanted > MAX_READ_BYTES) {
      throw new IllegalArgumentException(
          "cannot read " + wanted + " bytes at once; read the object in ranges");
    }
    if (row.get().inDb()) {
      return readInDb(owner, id, offset, (int) wanted);
    }
    Path file = objectFile(owner, id);
    byte[] out = new byte[(int) wanted];
    MessageDigest digest = sha256();
    long fileSize;
    try {
      fileSize = ObjectFiles.hashFile(file, digest, offset, out);
    } catch (NoSuchFileException e) {
      forgetMissing(owner, id, file);
      return null;
    }
    if (fileSize == size && HEX.formatHex(digest.digest()).equals(id)) {
      return out;
    }
    ReentrantLock lock = objectLock(owner, id);
    lock.lock();
    try {
      FileState now = ObjectFiles.check(file, id);
      if (now == FileState.INTACT && mayRetry) {
        // A put replaced the file after we opened it; read the new one.
        lock.unlock();
        lock = null;
        return readObject(owner, id, offset, length, false);
      }
      if (now != FileState.MISSING) {
        quarantine(owner, id, file);
        deleteIndexRow(owner, id);
        corruptions.incrementAndGet();
        log.warn(
            "Vault {}: object {}/{} failed verification ({} bytes on disk, {} expected);"
                + " moved to quarantine",
            dir,
            owner,
            id,
            fileSize,
            size);
      }
    } finally {
      if (lock != null) {
        lock.unlock();
      }
    }
    throw new CorruptObjectException(
        owner, id, "object " + owner + "/" + id + " does not match its id; it was quarantined");
  }

  /**
   * Reads an object kept in the database and checks it against its id. Bad bytes are moved to
   * {@code quarantine/}, the object is forgotten (so that anti-entropy fetches it again) and {@link
   * CorruptObjectException} is thrown.
   */
  private byte[] readInDb(String owner, String id, long offset, int wanted) throws IOException {
    byte[] range = intactRange(storedBytes(owner, id), id, offset, wanted);
    if (range != null) {
      return range;
    }
    ReentrantLock lock = objectLock(owner, id);
    lock.lock();
    try {
      // A put may have rewritten it meanwhile.
      Optional<IndexRow> row = indexRow(owner, id);
      if (row.isEmpty()) {
        return null;
      }
      byte[] stored = storedBytes(owner, id);
      range = intactRange(stored, id, offset, wanted);
      if (range != null) {
        return range;
      }
      quarantineBytes(owner, id, stored);
      deleteIndexRow(owner, id);
      corruptions.incrementAndGet();
      log.warn(
          "Vault {}: object {}/{} failed verification in the database ({} bytes, {} expected);"
              + " moved to quarantine",
          dir,
          owner,
          id,
          stored == null ? 0 : stored.length,
          row.get().size());
    } finally {
      lock.unlock();
    }
    throw new CorruptObjectException(
        owner, id, "object " + owner + "/" + id + " does not match its id; it was quarantined");
  }

  /** Object ids of {@code owner} that start with {@code idPrefix}, in order. */
  public List<String> objectIds(String owner, String idPrefix) {
    VaultNames.requireOwner(owner);
    VaultNames.requireObjectIdPrefix(idPrefix);
    String upper = upperBound(idPrefix);
    return withDb(
        db -> {
          String sql =
              "SELECT id FROM objects WHERE owner = ? AND id >= ?"
                  + (upper == null ? "" : " AND id < ?")
                  + " ORDER BY id";
          try (PreparedStatement q = db.prepareStatement(sql)) {
            q.setString(1, owner);
            q.setString(2, idPrefix);
            if (upper != null) {
              q.setString(3, upper);
            }
            List<String> ids = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getString(1));
              }
            }
            return ids;
          }
        });
  }

  /**
   * A digest per non-empty bucket of {@code owner}'s objects, for anti-entropy, sorted by bucket. A
   * bucket is the first two hex digits of the id; its digest is the lowercase hex SHA-256 of the
   * bucket's ids in order, concatenated as ASCII.
   */
  public Map<String, String> objectSummary(String owner) {
    VaultNames.requireOwner(owner);
    return withDb(
        db -> {
          SortedMap<String, String> summary = new TreeMap<>();
          try (PreparedStatement q =
              db.prepareStatement("SELECT id FROM objects WHERE owner = ? ORDER BY id")) {
            q.setString(1, owner);
            try (ResultSet rs = q.executeQuery()) {
              String bucket = null;
              MessageDigest digest = null;
              while (rs.next()) {
                String id = rs.getString(1);
                String idBucket = id.substring(0, 2);
                if (!idBucket.equals(bucket)) {
                  if (digest != null) {
                    summary.put(bucket, HEX.formatHex(digest.digest()));
                  }
                  bucket = idBucket;
                  digest = sha256();
                }
                digest.update(id.getBytes(StandardCharsets.US_ASCII));
              }
              if (digest != null) {
                summary.put(bucket, HEX.formatHex(digest.digest()));
              }
            }
          }
          return summary;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Records

  /**
   * Merges one write: stores {@code r} if the key has no row yet or {@code r}'s version is newer
   * than the stored one. Applying the same write twice, or an older one, changes nothing.
   *
   * @return whether the stored state changed
   */
  public boolean applyRecord(StoredRecord r) {
    Objects.requireNonNull(r, "record");
    return inGroupCommit(db -> RecordSql.merge(db, r));
  }

  /**
   * Merges many writes in one transaction, which is much cheaper than one {@link #applyRecord}
   * each: every commit waits for the disk.
   *
   * @return how many of them changed the stored state
   */
  public int applyRecords(Collection<StoredRecord> records) {
    List<StoredRecord> batch = List.copyOf(records);
    return inTransaction(
        db -> {
          int changed = 0;
          for (StoredRecord r : batch) {
            if (RecordSql.merge(db, r)) {
              changed++;
            }
          }
          return changed;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Fences and compare-and-set (the SQL is in RecordSql)

  /**
   * Merges writes made under {@code fence}, in one group commit with the fence check: refused all
   * together ({@link Vault.Fenced}) when this replica has seen a higher epoch for the scope.
   *
   * @return how many of them changed the stored state
   */
  public int applyFenced(String owner, Fence fence, Collection<StoredRecord> records) {
    VaultNames.requireOwner(owner);
    List<StoredRecord> batch = List.copyOf(records);
    return inGroupCommit(
        db -> {
          RecordSql.pass(db, owner, fence);
          int changed = 0;
          for (StoredRecord r : batch) {
            if (RecordSql.merge(db, r)) {
              changed++;
            }
          }
          return changed;
        });
  }

  /** The {@code wanted} bytes at {@code offset} of {@code stored}, or null if it does not match. */
  private static byte[] intactRange(byte[] stored, String id, long offset, int wanted) {
    if (stored == null || !ObjectFiles.matches(stored, id)) {
      return null;
    }
    return java.util.Arrays.copyOfRange(stored, (int) offset, (int) offset + wanted);
  }

  /**
   * Stores an object and merges a record that refers to it. A small new object and the record go
   * into one transaction of the group commit, so both cost one sync, and a refused {@code fence}
   * (null for none) leaves neither; a large object, or one stored before, is put first and the
   * record merged after it.
   *
   * @return 1 if the record changed the stored state, else 0
   */
  public int applyWithObject(
      String owner, Fence fence, StoredRecord record, String id, String mediaType, byte[] bytes) {
    VaultNames.requireOwner(owner);
    VaultNames.requireObjectId(id);
    requireMediaType(mediaType);
    Objects.requireNonNull(bytes, "bytes");
    if (!record.owner().equals(owner)) {
      throw new IllegalArgumentException("the record is " + record.owner() + "'s, not " + owner);
    }
    if (bytes.length > inDbMaxBytes) {
      putObject(owner, id, mediaType, bytes);
      return applyFencedOrNot(owner, fence, record);
    }
    if (!ObjectFiles.matches(bytes, id)) {
      throw new IllegalArgumentException("object content does not hash to " + id);
    }
    ReentrantLock lock = objectLock(owner, id);
    lock.lock();
    try {
      if (indexRow(owner, id).isPresent()) {
        putObject(owner, id, mediaType, bytes);
        return applyFencedOrNot(owner, fence, record);
      }
      ObjectInfo info =
          new ObjectInfo(owner, id, bytes.length, mediaType, System.currentTimeMillis());
      int changed =
          inGroupCommit(
              db -> {
                if (fence != null) {
                  RecordSql.pass(db, owner, fence);
                }
                insertInDb(db, info, bytes);
                return RecordSql.merge(db, record) ? 1 : 0;
              });
      countRepair(owner, id);
      return changed;
    } finally {
      lock.unlock();
    }
  }

  private int applyFencedOrNot(String owner, Fence fence, StoredRecord record) {
    return fence == null
        ? applyRecords(List.of(record))
        : applyFenced(owner, fence, List.of(record));
  }

  /** The highest epoch this replica has seen for each of the owner's scopes. */
  public Map<String, Long> fences(String owner) {
    VaultNames.requireOwner(owner);
    return withDb(db -> RecordSql.all(db, owner));
  }

  /** Raises fences to what another replica has seen (anti-entropy); never lowers one. */
  public void raiseFences(String owner, Map<String, Long> seen) {
    VaultNames.requireOwner(owner);
    Map<String, Long> copy = Map.copyOf(seen);
    inGroupCommit(
        db -> {
          for (Map.Entry<String, Long> e : copy.entrySet()) {
            RecordSql.raise(db, owner, e.getKey(), e.getValue());
          }
          return null;
        });
  }

  /** Compare-and-set, phase 1 on this replica ({@link RecordSql#prepare}). */
  RecordSql.Ballot prepare(String owner, String key, Version ballot, Fence fence) {
    VaultNames.requireOwner(owner);
    VaultNames.requireKey(key);
    return inGroupCommit(
        db -> {
          if (fence != null) {
            RecordSql.pass(db, owner, fence);
          }
          return RecordSql.prepare(db, owner, key, ballot);
        });
  }

  /** Compare-and-set, phase 2 on this replica ({@link RecordSql#accept}). */
  RecordSql.Ballot accept(StoredRecord proposal, Fence fence) {
    return inGroupCommit(
        db -> {
          if (fence != null) {
            RecordSql.pass(db, proposal.owner(), fence);
          }
          return RecordSql.accept(db, proposal);
        });
  }

  /** The stored record for {@code key}, tombstone included. */
  public Optional<StoredRecord> getRecord(String owner, String key) {
    VaultNames.requireOwner(owner);
    VaultNames.requireKey(key);
    return withDb(
        db -> {
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT owner, key, hlc, device, value, epoch FROM records"
                      + " WHERE owner = ? AND key = ?")) {
            q.setString(1, owner);
            q.setString(2, key);
            List<StoredRecord> found = RecordSql.readRecords(q);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
          }
        });
  }

  /**
   * Up to {@code limit} records of {@code owner} whose keys start with {@code prefix}, in key
   * order, strictly after {@code afterKey} when it is not {@code null}. To page, pass the last key
   * of one page as the next page's {@code afterKey}.
   */
  public List<StoredRecord> scan(
      String owner, String prefix, String afterKey, int limit, boolean includeDeleted) {
    VaultNames.requireOwner(owner);
    String from = prefix == null ? "" : VaultNames.requireKeyText(prefix, "key prefix");
    if (afterKey != null) {
      VaultNames.requireKeyText(afterKey, "afterKey");
    }
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    // A range, not LIKE: keys may contain % and _, and a range uses the primary key.
    String upper = upperBound(from);
    StringBuilder sql =
        new StringBuilder(
            "SELECT owner, key, hlc, device, value, epoch FROM records WHERE owner = ? AND key >= ?");
    if (upper != null) {
      sql.append(" AND key < ?");
    }
    if (afterKey != null) {
      sql.append(" AND key > ?");
    }
    if (!includeDeleted) {
      sql.append(" AND value IS NOT NULL");
    }
    sql.append(" ORDER BY key LIMIT ?");
    return withDb(
        db -> {
          try (PreparedStatement q = db.prepareStatement(sql.toString())) {
            int i = 1;
            q.setString(i++, owner);
            q.setString(i++, from);
            if (upper != null) {
              q.setString(i++, upper);
            }
            if (afterKey != null) {
              q.setString(i++, afterKey);
            }
            q.setInt(i, limit);
            return RecordSql.readRecords(q);
          }
        });
  }

  /**
   * A digest per non-empty bucket of {@code owner}'s records, tombstones included, for
   * anti-entropy, sorted by bucket. A record's bucket is {@code Hlc.millis(hlc) /
   * RECORD_BUCKET_MILLIS}; the digest is the lowercase hex SHA-256, over the bucket's records in
   * key order, of: key length (4 bytes, big-endian) and key (UTF-8), hlc (8 bytes), device length
   * and device (UTF-8), 1 for a tombstone or 0 for a value, and the epoch (8 bytes). Values are not
   * hashed: a version names one write.
   */
  public Map<Long, String> recordSummary(String owner) {
    return recordSummary(owner, Long.MAX_VALUE);
  }

  /** {@link #recordSummary(String)} of the records whose version is before {@code beforeHlc}. */
  public Map<Long, String> recordSummary(String owner, long beforeHlc) {
    VaultNames.requireOwner(owner);
    return withDb(
        db -> {
          Map<Long, MessageDigest> digests = new HashMap<>();
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT key, hlc, device, value IS NULL, epoch FROM records"
                      + " WHERE owner = ? AND hlc < ? ORDER BY key")) {
            q.setString(1, owner);
            q.setLong(2, beforeHlc);
            try (ResultSet rs = q.executeQuery()) {
              while (rs.next()) {
                long hlc = rs.getLong(2);
                MessageDigest digest = digests.computeIfAbsent(recordBucket(hlc), b -> sha256());
                byte[] key = rs.getString(1).getBytes(StandardCharsets.UTF_8);
                byte[] device = rs.getString(3).getBytes(StandardCharsets.UTF_8);
                ByteBuffer tuple =
                    ByteBuffer.allocate(4 + key.length + 8 + 4 + device.length + 1 + 8);
                tuple.putInt(key.length).put(key).putLong(hlc);
                tuple.putInt(device.length).put(device).put((byte) rs.getInt(4));
                tuple.putLong(rs.getLong(5));
                digest.update(tuple.array());
              }
            }
          }
          SortedMap<Long, String> summary = new TreeMap<>();
          digests.forEach((bucket, digest) -> summary.put(bucket, HEX.formatHex(digest.digest())));
          return summary;
        });
  }

  /** The bucket {@link #recordSummary} puts a record with this version timestamp in. */
  public static long recordBucket(long hlc) {
    return Hlc.millis(hlc) / RECORD_BUCKET_MILLIS;
  }

  /** Every record of {@code owner} in one {@link #recordSummary} bucket, tombstones included. */
  public List<StoredRecord> recordsInBucket(String owner, long bucket) {
    return recordsInBucket(owner, bucket, Long.MAX_VALUE);
  }

  /** {@link #recordsInBucket(String, long)}, only those with a version before {@code beforeHlc}. */
  public List<StoredRecord> recordsInBucket(String owner, long bucket, long beforeHlc) {
    VaultNames.requireOwner(owner);
    if (bucket < 0) {
      throw new IllegalArgumentException("bucket must not be negative: " + bucket);
    }
    long firstMillis = bucket * RECORD_BUCKET_MILLIS;
    if (bucket > Hlc.MAX_MILLIS / RECORD_BUCKET_MILLIS) {
      return List.of();
    }
    long from = Hlc.of(firstMillis, 0);
    long lastMillis = Math.min(Hlc.MAX_MILLIS, firstMillis + RECORD_BUCKET_MILLIS - 1);
    long to = Math.min(Hlc.of(lastMillis, Hlc.MAX_COUNTER), beforeHlc - 1);
    return withDb(
        db -> {
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT owner, key, hlc, device, value, epoch FROM records"
                      + " WHERE owner = ? AND hlc BETWEEN ? AND ? ORDER BY key")) {
            q.setString(1, owner);
            q.setLong(2, from);
            q.setLong(3, to);
            return RecordSql.readRecords(q);
          }
        });
  }

  /**
   * Deletes {@code owner}'s tombstones with a version timestamp before {@code olderThanHlc}. Only
   * purge what every device has seen: a device that still holds an older value would otherwise
   * bring the key back.
   *
   * @return how many tombstones were deleted
   */
  public int purgeTombstones(String owner, long olderThanHlc) {
    VaultNames.requireOwner(owner);
    return withDb(
        db -> {
          try (PreparedStatement delete =
              db.prepareStatement(
                  "DELETE FROM records WHERE owner = ? AND value IS NULL AND hlc < ?")) {
            delete.setString(1, owner);
            delete.setLong(2, olderThanHlc);
            return delete.executeUpdate();
          }
        });
  }

  /**
   * Up to {@code limit} of {@code owner}'s tombstones older than {@code beforeHlc}, in key order.
   */
  public List<StoredRecord> tombstonesBefore(String owner, long beforeHlc, int limit) {
    VaultNames.requireOwner(owner);
    return withDb(
        db -> {
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT owner, key, hlc, device, value, epoch FROM records"
                      + " WHERE owner = ? AND value IS NULL AND hlc < ? ORDER BY key LIMIT ?")) {
            q.setString(1, owner);
            q.setLong(2, beforeHlc);
            q.setInt(3, limit);
            return RecordSql.readRecords(q);
          }
        });
  }

  /**
   * Deletes exactly these tombstones: a row goes only if it is still a tombstone with the same
   * version, so a newer write made meanwhile stays.
   *
   * @return how many rows were deleted
   */
  public int purgeTombstones(String owner, Collection<StoredRecord> exact) {
    VaultNames.requireOwner(owner);
    List<StoredRecord> batch = List.copyOf(exact);
    return inTransaction(
        db -> {
          try (PreparedStatement delete =
              db.prepareStatement(
                  "DELETE FROM records WHERE owner = ? AND key = ? AND hlc = ? AND device = ?"
                      + " AND epoch = ? AND value IS NULL")) {
            int deleted = 0;
            for (StoredRecord r : batch) {
              delete.setString(1, owner);
              delete.setString(2, r.key());
              delete.setLong(3, r.version().hlc());
              delete.setString(4, r.version().device());
              delete.setLong(5, r.version().epoch());
              deleted += delete.executeUpdate();
            }
            return deleted;
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Owners and totals

  /** Owners with at least one object or record here, in order. */
  public List<String> owners() {
    return withDb(
        db -> {
          List<String> owners = new ArrayList<>();
          try (Statement s = db.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT owner FROM objects UNION SELECT owner FROM records ORDER BY owner")) {
            while (rs.next()) {
              owners.add(rs.getString(1));
            }
          }
          return owners;
        });
  }

  public Stats stats(String owner) {
    VaultNames.requireOwner(owner);
    return withDb(
        db -> {
          long objects;
          long bytes;
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM objects WHERE owner = ?")) {
            q.setString(1, owner);
            try (ResultSet rs = q.executeQuery()) {
              rs.next();
              objects = rs.getLong(1);
              bytes = rs.getLong(2);
            }
          }
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT COALESCE(SUM(value IS NOT NULL), 0), COALESCE(SUM(value IS NULL), 0)"
                      + " FROM records WHERE owner = ?")) {
            q.setString(1, owner);
            try (ResultSet rs = q.executeQuery()) {
              rs.next();
              return new Stats(objects, bytes, rs.getLong(1), rs.getLong(2));
            }
          }
        });
  }

  @Override
  public void close() {
    dbLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeQuietly(db);
      try {
        processLock.release();
        lockFile.close();
      } catch (IOException e) {
        log.warn("Vault {}: could not release the vault lock", dir, e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Files

  private record IndexRow(long size, String mediaType, long storedAtMillis, boolean inDb) {
    ObjectInfo info(String owner, String id) {
      return new ObjectInfo(
          owner, id, size, mediaType == null ? UNKNOWN_MEDIA_TYPE : mediaType, storedAtMillis);
    }
  }

  private Path objectFile(String owner, String id) {
    // Both were validated, so neither can climb out of objects/.
    return objectsDir.resolve(owner).resolve(id.substring(0, 2)).resolve(id);
  }

  private ReentrantLock objectLock(String owner, String id) {
    return objectLocks[Math.floorMod(31 * owner.hashCode() + id.hashCode(), objectLocks.length)];
  }

  private void quarantine(String owner, String id, Path file) throws IOException {
    awaitingRepair.add(repairKey(owner, id));
    Path target = quarantineDir.resolve(owner + "-" + id + "-" + System.nanoTime());
    try {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      // Already gone: nothing left to keep.
    }
  }

  /** Keeps the bad bytes of an object kept in the database in {@code quarantine/}, for a look. */
  private void quarantineBytes(String owner, String id, byte[] bytes) throws IOException {
    awaitingRepair.add(repairKey(owner, id));
    if (bytes != null) {
      Files.write(quarantineDir.resolve(owner + "-" + id + "-" + System.nanoTime()), bytes);
    }
  }

  private void forgetMissing(String owner, String id, Path file) {
    ReentrantLock lock = objectLock(owner, id);
    lock.lock();
    try {
      if (!Files.exists(file) && deleteIndexRow(owner, id)) {
        corruptions.incrementAndGet();
        awaitingRepair.add(repairKey(owner, id));
        log.warn("Vault {}: object {}/{} was indexed but its file is gone", dir, owner, id);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Makes the index and the object files agree after a crash: indexes intact files that have no row
   * (a put that never returned, or a lost database), quarantines corrupt ones, and drops rows whose
   * file is gone. Files with unexpected names are left alone.
   */
  private void reconcileObjects() throws IOException {
    Map<String, Set<String>> indexed = new HashMap<>();
    Map<String, Set<String>> inDb = new HashMap<>();
    withDb(
        db -> {
          try (Statement s = db.createStatement();
              ResultSet rs = s.executeQuery("SELECT owner, id, in_db FROM objects")) {
            while (rs.next()) {
              (rs.getInt(3) != 0 ? inDb : indexed)
                  .computeIfAbsent(rs.getString(1), o -> new HashSet<>())
                  .add(rs.getString(2));
            }
          }
          return null;
        });
    int reindexed = 0;
    int corrupt = 0;
    int ignored = 0;
    try (DirectoryStream<Path> owners = Files.newDirectoryStream(objectsDir)) {
      for (Path ownerDir : owners) {
        String owner = ownerDir.getFileName().toString();
        if (!VaultNames.OWNER.matcher(owner).matches() || !Files.isDirectory(ownerDir)) {
          ignored++;
          continue;
        }
        Set<String> ids = indexed.computeIfAbsent(owner, o -> new HashSet<>());
        try (DirectoryStream<Path> buckets = Files.newDirectoryStream(ownerDir)) {
          for (Path bucketDir : buckets) {
            String bucket = bucketDir.getFileName().toString();
            if (!Files.isDirectory(bucketDir)) {
              ignored++;
              continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(bucketDir)) {
              for (Path file : files) {
                String id = file.getFileName().toString();
                if (!VaultNames.OBJECT_ID.matcher(id).matches()
                    || !id.startsWith(bucket)
                    || !Files.isRegularFile(file)) {
                  ignored++;
                } else if (inDb.getOrDefault(owner, Set.of()).contains(id)) {
                  ignored++; // kept in the database; a file left from before is not read
                } else if (!ids.remove(id)) {
                  if (reindex(owner, id, file)) {
                    reindexed++;
                  } else {
                    corrupt++;
                  }
                }
              }
            }
          }
        }
      }
    }
    int missing = 0;
    for (Map.Entry<String, Set<String>> entry : indexed.entrySet()) {
      for (String id : entry.getValue()) {
        deleteIndexRow(entry.getKey(), id);
        missing++;
      }
    }
    corruptions.addAndGet(corrupt + missing);
    if (reindexed > 0) {
      log.info("Vault {}: indexed {} object files that had no index entry", dir, reindexed);
    }
    if (corrupt > 0 || missing > 0) {
      log.warn(
          "Vault {}: {} unindexed object files were corrupt (quarantined) and {} indexed objects"
              + " had no file (forgotten)",
          dir,
          corrupt,
          missing);
    }
    if (ignored > 0) {
      log.warn("Vault {}: left {} unexpected entries under objects/ alone", dir, ignored);
    }
  }

  /** Indexes a file found without a row; quarantines it instead if it is corrupt. */
  private boolean reindex(String owner, String id, Path file) throws IOException {
    if (ObjectFiles.check(file, id) != FileState.INTACT) {
      quarantine(owner, id, file);
      return false;
    }
    long size = Files.size(file);
    long storedAt = Files.getLastModifiedTime(file).toMillis();
    withDb(
        db -> {
          try (PreparedStatement insert =
              db.prepareStatement(
                  "INSERT INTO objects (owner, id, size, media_type, stored_at)"
                      + " VALUES (?, ?, ?, NULL, ?)")) {
            insert.setString(1, owner);
            insert.setString(2, id);
            insert.setLong(3, size);
            insert.setLong(4, storedAt);
            return insert.executeUpdate();
          }
        });
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Database helpers

  /** Runs {@code work} in one transaction: one wait for the disk, all or nothing. */
  private <T> T inTransaction(SqlWork<T> work) {
    return withDb(
        db -> {
          db.setAutoCommit(false);
          try {
            T result = work.run(db);
            db.commit();
            return result;
          } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
          } finally {
            db.setAutoCommit(true);
          }
        });
  }

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection db) throws SQLException;
  }

  /** One write waiting for a group commit, and its outcome once the commit is done. */
  private static final class GroupWrite {
    final SqlWork<?> work;
    boolean done;
    Object result;
    RuntimeException failure;

    GroupWrite(SqlWork<?> work) {
      this.work = work;
    }
  }

  /**
   * Runs {@code work} in a transaction that it may share with writes of other threads: a group
   * commit. Each commit waits for the disk (a full sync of the write-ahead log), so while one
   * commit runs, writes that arrive queue up, and the next thread to get the database runs all of
   * them in one transaction and one sync. Every caller still returns only after the commit that
   * holds its write, so a write is as durable as with a transaction of its own. A write that fails
   * is rolled back to its own savepoint and fails alone.
   */
  @SuppressWarnings("unchecked")
  private <T> T inGroupCommit(SqlWork<T> work) {
    GroupWrite mine = new GroupWrite(work);
    groupQueue.add(mine);
    dbLock.lock();
    try {
      if (!mine.done) {
        if (closed) {
          throw new IllegalStateException("vault " + dir + " is closed");
        }
        List<GroupWrite> batch = new ArrayList<>();
        for (GroupWrite w = groupQueue.poll(); w != null; w = groupQueue.poll()) {
          batch.add(w);
        }
        commitGroup(batch);
      }
    } finally {
      dbLock.unlock();
    }
    if (mine.failure != null) {
      throw mine.failure;
    }
    return (T) mine.result;
  }

  private void commitGroup(List<GroupWrite> batch) {
    groupCommits.incrementAndGet();
    groupedWrites.addAndGet(batch.size());
    try {
      db.setAutoCommit(false);
      try {
        for (GroupWrite w : batch) {
          java.sql.Savepoint savepoint = db.setSavepoint();
          try {
            w.result = w.work.run(db);
            db.releaseSavepoint(savepoint);
          } catch (SQLException | RuntimeException e) {
            db.rollback(savepoint);
            w.failure =
                e instanceof RuntimeException r
                    ? r
                    : new UncheckedIOException(
                        new IOException("vault " + dir + " database: " + e.getMessage(), e));
          }
        }
        db.commit();
      } catch (SQLException e) {
        db.rollback();
        UncheckedIOException failed =
            new UncheckedIOException(
                new IOException("vault " + dir + " database: " + e.getMessage(), e));
        batch.forEach(w -> w.failure = failed);
      } finally {
        db.setAutoCommit(true);
      }
    } catch (SQLException e) {
      UncheckedIOException failed =
          new UncheckedIOException(
              new IOException("vault " + dir + " database: " + e.getMessage(), e));
      batch.forEach(w -> w.failure = w.failure == null ? failed : w.failure);
    } finally {
      batch.forEach(w -> w.done = true);
    }
  }

  private <T> T withDb(SqlWork<T> work) {
    dbLock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("vault " + dir + " is closed");
      }
      return work.run(db);
    } catch (SQLException e) {
      throw new UncheckedIOException(
          new IOException("vault " + dir + " database: " + e.getMessage(), e));
    } finally {
      dbLock.unlock();
    }
  }

  private Optional<IndexRow> indexRow(String owner, String id) {
    return withDb(
        db -> {
          try (PreparedStatement q =
              db.prepareStatement(
                  "SELECT size, media_type, stored_at, in_db FROM objects"
                      + " WHERE owner = ? AND id = ?")) {
            q.setString(1, owner);
            q.setString(2, id);
            try (ResultSet rs = q.executeQuery()) {
              return rs.next()
                  ? Optional.of(
                      new IndexRow(
                          rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getInt(4) != 0))
                  : Optional.empty();
            }
          }
        });
  }

  private boolean deleteIndexRow(String owner, String id) {
    return withDb(
        db -> {
          try (PreparedStatement delete =
                  db.prepareStatement("DELETE FROM objects WHERE owner = ? AND id = ?");
              PreparedStatement deleteBytes =
                  db.prepareStatement("DELETE FROM object_bytes WHERE owner = ? AND id = ?")) {
            deleteBytes.setString(1, owner);
            deleteBytes.setString(2, id);
            deleteBytes.executeUpdate();
            delete.setString(1, owner);
            delete.setString(2, id);
            return delete.executeUpdate() > 0;
          }
        });
  }

  /**
   * The least string greater than every string that starts with {@code prefix}, in code-point
   * order, or {@code null} if there is none (empty prefix, or only U+10FFFF).
   */
  static String upperBound(String prefix) {
    int[] codePoints = prefix.codePoints().toArray();
    for (int i = codePoints.length - 1; i >= 0; i--) {
      int next = codePoints[i] + 1;
      if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
        next = Character.MAX_SURROGATE + 1;
      }
      if (next <= Character.MAX_CODE_POINT) {
        codePoints[i] = next;
        return new String(codePoints, 0, i + 1);
      }
    }
    return null;
  }

  private static void requireMediaType(String mediaType) {
    if (mediaType == null
        || mediaType.isBlank()
        || mediaType.length() > MAX_MEDIA_TYPE_CHARS
        || mediaType.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "media type must be 1 to "
              + MAX_MEDIA_TYPE_CHARS
              + " characters without control characters: "
              + mediaType);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static void closeQuietly(Connection db) {
    if (db == null) {
      return;
    }
    try {
      db.close();
    } catch (SQLException e) {
      log.warn("Closing the vault database failed", e);
    }
  }
}
