package dev.kith.web;

import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads what sites serve: manifests and files, from this device's replica when it holds them and
 * from a replica device otherwise (the vault decides), keeping them in memory ({@link
 * ObjectCache}). Concurrent reads of one object wait on one vault call.
 */
final class SiteFiles {

  private static final int MANIFESTS = 256;

  private final Vault vault;
  private final ObjectCache cache;
  private final WebMetrics metrics;
  private final Map<String, Future<Buffer>> loading = new ConcurrentHashMap<>();
  private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();

  SiteFiles(Vault vault, ObjectCache cache, WebMetrics metrics) {
    this.vault = vault;
    this.cache = cache;
    this.metrics = metrics;
  }

  /** A manifest this device has parsed already, or null. */
  Manifest cachedManifest(String id) {
    return manifests.get(id);
  }

  /** A manifest, parsed once per device. */
  Future<Manifest> manifest(String owner, String id) {
    Manifest m = manifests.get(id);
    if (m != null) {
      return Future.succeededFuture(m);
    }
    return vault
        .getObject(owner, id)
        .map(
            o -> {
              Manifest parsed = Manifest.decode(o.bytes());
              if (manifests.size() >= MANIFESTS) {
                manifests.clear();
              }
              manifests.put(id, parsed);
              return parsed;
            });
  }

  /** A whole file. */
  Future<Buffer> bytes(String owner, String id, long size) {
    Buffer cached = cache.get(id);
    if (cached != null) {
      metrics.cache(true);
      return Future.succeededFuture(cached);
    }
    metrics.cache(false);
    if (!cache.fits(size)) {
      return vault.getObject(owner, id).map(Vault.VaultObject::bytes);
    }
    Future<Buffer> pending = loading.get(id);
    if (pending != null) {
      return pending;
    }
    Promise<Buffer> read = Promise.promise();
    pending = loading.putIfAbsent(id, read.future());
    if (pending != null) {
      return pending;
    }
    vault
        .getObject(owner, id)
        .onComplete(
            done -> {
              loading.remove(id);
              if (done.succeeded()) {
                cache.put(id, done.result().bytes());
                read.complete(done.result().bytes());
              } else {
                read.fail(done.cause());
              }
            });
    return read.future();
  }

  /** {@code length} bytes of a file from {@code offset}. */
  Future<Buffer> range(String owner, String id, long offset, long length) {
    Buffer cached = cache.get(id);
    if (cached != null) {
      metrics.cache(true);
      return Future.succeededFuture(cached.slice((int) offset, (int) (offset + length)));
    }
    metrics.cache(false);
    return vault.getObject(owner, id, offset, length).map(Vault.VaultObject::bytes);
  }
}
