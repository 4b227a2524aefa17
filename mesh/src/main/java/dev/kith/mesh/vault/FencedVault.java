package dev.kith.mesh.vault;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * A vault whose record writes all carry one fence: what a placed instance is given, so that it
 * cannot write what it owns without its epoch. Reads and objects pass through unchanged (objects
 * are immutable and named by their content, so a stale writer cannot harm them).
 */
public final class FencedVault implements Vault {

  private final Vault vault;
  private final Fence fence;

  /** {@code vault}, with every record write under {@code fence}. */
  public FencedVault(Vault vault, Fence fence) {
    this.vault = vault;
    this.fence = java.util.Objects.requireNonNull(fence, "fence");
  }

  @Override
  public Future<String> putObject(String owner, String mediaType, Buffer bytes) {
    return vault.putObject(owner, mediaType, bytes);
  }

  @Override
  public Future<VaultObject> getObject(String owner, String id, long offset, long length) {
    return vault.getObject(owner, id, offset, length);
  }

  @Override
  public Future<Boolean> hasObject(String owner, String id) {
    return vault.hasObject(owner, id);
  }

  @Override
  public Future<Version> putRecord(String owner, String key, JsonObject value) {
    return vault.putRecord(owner, key, value, fence);
  }

  @Override
  public Future<Version> putRecord(String owner, String key, JsonObject value, Fence other) {
    return vault.putRecord(owner, key, value, other == null ? fence : other);
  }

  @Override
  public Future<Version> putRecordWithObject(
      String owner, String key, JsonObject value, String mediaType, Buffer bytes, Fence other) {
    return vault.putRecordWithObject(
        owner, key, value, mediaType, bytes, other == null ? fence : other);
  }

  @Override
  public Future<Version> deleteRecord(String owner, String key) {
    return vault.deleteRecord(owner, key, fence);
  }

  @Override
  public Future<Version> deleteRecord(String owner, String key, Fence other) {
    return vault.deleteRecord(owner, key, other == null ? fence : other);
  }

  @Override
  public Future<Void> claim(String owner, Fence other) {
    return vault.claim(owner, other == null ? fence : other);
  }

  @Override
  public Future<StoredRecord> update(
      String owner, String key, Function<StoredRecord, JsonObject> change, Fence other) {
    return vault.update(owner, key, change, other == null ? fence : other);
  }

  @Override
  public Future<StoredRecord> getRecord(String owner, String key) {
    return vault.getRecord(owner, key);
  }

  @Override
  public Future<List<StoredRecord>> scan(String owner, String prefix, String afterKey, int limit) {
    return vault.scan(owner, prefix, afterKey, limit);
  }

  @Override
  public Future<Page> scanPage(String owner, String prefix, String afterKey, int limit) {
    return vault.scanPage(owner, prefix, afterKey, limit);
  }

  @Override
  public Future<Watch> watch(String owner, String prefix, Handler<StoredRecord> handler) {
    return vault.watch(owner, prefix, handler);
  }

  @Override
  public Future<JsonObject> status(String owner) {
    return vault.status(owner);
  }

  @Override
  public Vault fenced(Fence other) {
    return new FencedVault(vault, other);
  }
}
