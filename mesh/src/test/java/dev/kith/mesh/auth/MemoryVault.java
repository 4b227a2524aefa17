package dev.kith.mesh.auth;

import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.vault.Fence;
import dev.kith.mesh.vault.FencedVault;
import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import dev.kith.mesh.vault.Version;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Records in memory, for tests of what reads the accounts vault: the next {@code failReads} reads
 * fail as a vault without enough replicas does, and while {@code unreachable} is set every read
 * does, as on a device cut off from every replica. Watches see every write. Objects are not kept.
 * Fenced writes are not supported.
 */
final class MemoryVault implements Vault {

  final Map<String, StoredRecord> records = new ConcurrentSkipListMap<>();
  final AtomicInteger failReads = new AtomicInteger();
  final AtomicBoolean unreachable = new AtomicBoolean();
  final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger clock = new AtomicInteger();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

  private record Watcher(String owner, String prefix, Handler<StoredRecord> handler) {}

  @Override
  public Vault fenced(Fence fence) {
    return new FencedVault(this, fence);
  }

  @Override
  public Future<StoredRecord> getRecord(String owner, String key) {
    reads.incrementAndGet();
    if (readFails()) {
      return down(owner);
    }
    StoredRecord r = records.get(owner + "/" + key);
    return Future.succeededFuture(r == null || r.deleted() ? null : r);
  }

  @Override
  public Future<Version> putRecord(String owner, String key, JsonObject value) {
    return write(owner, key, value.encode());
  }

  @Override
  public Future<Version> deleteRecord(String owner, String key) {
    return write(owner, key, null);
  }

  @Override
  public Future<List<StoredRecord>> scan(String owner, String prefix, String afterKey, int limit) {
    reads.incrementAndGet();
    if (readFails()) {
      return down(owner);
    }
    String from = owner + "/" + prefix;
    return Future.succeededFuture(
        records.values().stream()
            .filter(r -> (r.owner() + "/" + r.key()).startsWith(from) && !r.deleted())
            .filter(r -> afterKey == null || r.key().compareTo(afterKey) > 0)
            .limit(limit)
            .toList());
  }

  @Override
  public Future<Watch> watch(String owner, String prefix, Handler<StoredRecord> handler) {
    Watcher w = new Watcher(owner, prefix, handler);
    watchers.add(w);
    return Future.succeededFuture(
        () -> {
          watchers.remove(w);
          return Future.succeededFuture();
        });
  }

  private synchronized Future<Version> write(String owner, String key, String value) {
    Version version = new Version(clock.incrementAndGet(), "test");
    StoredRecord r = new StoredRecord(owner, key, version, value);
    records.put(owner + "/" + key, r);
    for (Watcher w : watchers) {
      if (w.owner().equals(owner) && key.startsWith(w.prefix())) {
        w.handler().handle(r);
      }
    }
    return Future.succeededFuture(version);
  }

  private boolean readFails() {
    return unreachable.get() || failReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
  }

  private static <T> Future<T> down(String owner) {
    return Future.failedFuture(
        new ServiceUnavailable("too few replicas of " + owner + "'s vault answered"));
  }

  @Override
  public Future<String> putObject(String owner, String mediaType, Buffer bytes) {
    return unsupported();
  }

  @Override
  public Future<VaultObject> getObject(String owner, String id, long offset, long length) {
    return unsupported();
  }

  @Override
  public Future<Boolean> hasObject(String owner, String id) {
    return unsupported();
  }

  @Override
  public Future<JsonObject> status(String owner) {
    return unsupported();
  }

  @Override
  public Future<Version> putRecord(String owner, String key, JsonObject value, Fence fence) {
    return unsupported();
  }

  @Override
  public Future<Version> deleteRecord(String owner, String key, Fence fence) {
    return unsupported();
  }

  @Override
  public Future<Void> claim(String owner, Fence fence) {
    return unsupported();
  }

  /** A compare-and-set: atomic here because every change holds the vault's lock. */
  @Override
  public synchronized Future<StoredRecord> update(
      String owner, String key, Function<StoredRecord, JsonObject> change, Fence fence) {
    if (unreachable.get()) {
      return down(owner);
    }
    StoredRecord current = records.get(owner + "/" + key);
    String value;
    try {
      value = change.apply(current == null || current.deleted() ? null : current).encode();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return write(owner, key, value).map(version -> new StoredRecord(owner, key, version, value));
  }

  @Override
  public Future<Page> scanPage(String owner, String prefix, String afterKey, int limit) {
    return unsupported();
  }

  private static <T> Future<T> unsupported() {
    return Future.failedFuture(new UnsupportedOperationException("not in this test"));
  }
}
