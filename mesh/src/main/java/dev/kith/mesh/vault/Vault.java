package dev.kith.mesh.vault;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Every owner's data, as services see it: content-addressed objects and versioned records, durable
 * on several devices. Any device answers any call; the vault finds the owner's replica devices
 * itself. A write's future completes only once enough replicas hold it durably (see {@code
 * DeviceConfig.Vault#writeQuorum}); a future failed with {@link
 * dev.kith.mesh.spi.ServiceUnavailable} means the write may or may not have been kept, and the
 * caller should retry it (objects are idempotent by id, records by their new version).
 *
 * <p>Failures: {@link NotFound} for an absent object, {@link IllegalArgumentException} for a bad
 * owner, id, key, media type or size, {@link dev.kith.mesh.spi.ServiceUnavailable} when too few
 * replicas answer.
 */
public interface Vault {

  /** Stores bytes; the future gives their id, the SHA-256 of the content in lowercase hex. */
  Future<String> putObject(String owner, String mediaType, Buffer bytes);

  /**
   * Reads {@code length} bytes of an object from {@code offset} (a length past the end reads to the
   * end). The bytes are checked against the id before they are returned; a corrupt copy is repaired
   * from another replica.
   */
  Future<VaultObject> getObject(String owner, String id, long offset, long length);

  /** Reads a whole object. */
  default Future<VaultObject> getObject(String owner, String id) {
    return getObject(owner, id, 0, Long.MAX_VALUE);
  }

  /** Whether any replica holds the object. */
  Future<Boolean> hasObject(String owner, String id);

  /** Writes a record; the future gives its new version. */
  Future<Version> putRecord(String owner, String key, JsonObject value);

  /**
   * Writes a record under a fence (null for none): a replica that has seen a higher epoch for the
   * fence's scope refuses it, and the future fails with {@link Fenced}.
   */
  Future<Version> putRecord(String owner, String key, JsonObject value, Fence fence);

  /**
   * Stores an object and writes a record that refers to it, in one step: each replica makes both
   * durable in one transaction (one sync), and the future completes once {@code W} replicas hold
   * both, with the record's new version. A refused fence fails it with {@link Fenced}, and then
   * neither is written. The record's value names the object by its id, the SHA-256 of {@code bytes}
   * in lowercase hex, which the caller computes. What a mail delivery needs: the message and its
   * index entry for the price of one write.
   */
  default Future<Version> putRecordWithObject(
      String owner, String key, JsonObject value, String mediaType, Buffer bytes, Fence fence) {
    return putObject(owner, mediaType, bytes).compose(id -> putRecord(owner, key, value, fence));
  }

  /**
   * Deletes a record under a fence (null for none), like {@link #putRecord(String, String,
   * JsonObject, Fence)}.
   */
  Future<Version> deleteRecord(String owner, String key, Fence fence);

  /**
   * Makes {@code fence} the highest epoch of its scope on a write quorum of the owner's replicas.
   * An instance claims before it reads what it owns: once the claim completes, no write of an
   * earlier epoch can be acknowledged, and every write acknowledged before it is visible to a
   * quorum read. Fails with {@link Fenced} when a higher epoch is already known.
   */
  Future<Void> claim(String owner, Fence fence);

  /**
   * Changes a record atomically: {@code change} gets the current record (null when it does not
   * exist or was deleted) and returns the new value, or throws to leave it unchanged (a {@link
   * Conflict}, say, which the future then fails with). The change is linearizable across every
   * device, with a majority of the owner's replicas (single-decree Paxos per change, CASPaxos): two
   * concurrent changes never both build on the same current value, whichever devices make them.
   * {@code change} may be called more than once, so it must have no side effects. A future that
   * fails with {@link dev.kith.mesh.spi.ServiceUnavailable} means the change may or may not have
   * been made. Keys changed this way should be written only this way.
   *
   * @param fence null for none; with one, replicas refuse the change when they know a higher epoch
   */
  Future<StoredRecord> update(
      String owner,
      String key,
      java.util.function.Function<StoredRecord, JsonObject> change,
      Fence fence);

  /**
   * Writes {@code value} only if the record's version is still {@code expected} (null: only if it
   * does not exist or was deleted); fails with {@link Conflict}, holding the current record,
   * otherwise. A compare-and-set made with {@link #update}.
   */
  default Future<StoredRecord> compareAndSet(
      String owner, String key, Version expected, JsonObject value, Fence fence) {
    return update(
        owner,
        key,
        current -> {
          Version actual = current == null ? null : current.version();
          if (!java.util.Objects.equals(actual, expected)) {
            throw new Conflict(current);
          }
          return value;
        },
        fence);
  }

  /** This vault as an instance placed under {@code fence} sees it: every record write is fenced. */
  Vault fenced(Fence fence);

  /** The newest value of a record, or {@code null} when it does not exist or was deleted. */
  Future<StoredRecord> getRecord(String owner, String key);

  /** Deletes a record (writes a tombstone); the future gives the tombstone's version. */
  Future<Version> deleteRecord(String owner, String key);

  /**
   * Up to {@code limit} live records whose keys start with {@code prefix}, in key order, strictly
   * after {@code afterKey} when it is not null.
   */
  Future<List<StoredRecord>> scan(String owner, String prefix, String afterKey, int limit);

  /**
   * A page of a prefix scan: up to {@code limit} keys after {@code afterKey}, of which the live
   * ones are returned (tombstones count toward the limit), and the key to continue after, null at
   * the end.
   */
  Future<Page> scanPage(String owner, String prefix, String afterKey, int limit);

  /** Live records of one page, and the key to continue after, or null at the end. */
  record Page(List<StoredRecord> records, String next) {}

  /**
   * Calls {@code handler} for every change to a record under {@code prefix}, on any device, from
   * now until the returned watch is closed. Delivery is at least once and may repeat or arrive out
   * of order; a handler compares versions. A deleted record arrives as a tombstone ({@link
   * StoredRecord#deleted()}).
   */
  Future<Watch> watch(String owner, String prefix, Handler<StoredRecord> handler);

  /** The owner's vault as the API reports it: replicas, counts, bytes, replication health. */
  Future<JsonObject> status(String owner);

  /** A watch that can be stopped. */
  interface Watch {
    Future<Void> close();
  }

  /** Bytes of an object, from {@code offset}, and what the vault knows about the whole object. */
  record VaultObject(ObjectInfo info, long offset, Buffer bytes) {}

  /**
   * A fenced write was refused: a replica has seen a higher epoch for the fence's scope, so the
   * writer has been superseded and must stop.
   */
  final class Fenced extends RuntimeException {
    private final transient Fence fence;
    private final long highest;

    public Fenced(String owner, Fence fence, long highest) {
      super(
          owner
              + "'s "
              + fence.scope()
              + " is now written at epoch "
              + highest
              + "; epoch "
              + fence.epoch()
              + " is superseded",
          null,
          false,
          false);
      this.fence = fence;
      this.highest = highest;
    }

    public Fence fence() {
      return fence;
    }

    /** The highest epoch the refusing replica knew. */
    public long highest() {
      return highest;
    }
  }

  /** A compare-and-set found another version than it expected. */
  final class Conflict extends RuntimeException {
    private final transient StoredRecord current;

    public Conflict(StoredRecord current) {
      super(
          "the record is at "
              + (current == null ? "no version (absent)" : current.version().toString()),
          null,
          false,
          false);
      this.current = current;
    }

    /** The record as the compare-and-set found it; null when absent or deleted. */
    public StoredRecord current() {
      return current;
    }
  }

  /** No such object in the owner's vault. */
  final class NotFound extends RuntimeException {
    public NotFound(String message) {
      super(message, null, false, false);
    }
  }
}
