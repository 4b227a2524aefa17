package dev.kith.mesh.vault;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

  /** The vault of the device that {@code vertx} belongs to. */
  static Vault of(Vertx vertx) {
    Vault vault = Registry.VAULTS.get(vertx);
    if (vault == null) {
      throw new IllegalStateException("no vault runs on this Vert.x instance");
    }
    return vault;
  }

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

  /** No such object in the owner's vault. */
  final class NotFound extends RuntimeException {
    public NotFound(String message) {
      super(message, null, false, false);
    }
  }

  /** The vault of each running device, by its Vert.x instance. */
  final class Registry {
    static final Map<Vertx, Vault> VAULTS = new ConcurrentHashMap<>();

    private Registry() {}

    static void register(Vertx vertx, Vault vault) {
      VAULTS.put(vertx, vault);
    }

    static void unregister(Vertx vertx) {
      VAULTS.remove(vertx);
    }
  }
}
