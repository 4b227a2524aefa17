package dev.kith.chat.im;

import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Messages that arrived while none of the owner's resources was available (RFC 6121 §8.5.2.1.1): a
 * record {@code chat/offline/<archive id>} each, delivered in archive order to the first resource
 * that sends available presence with a priority of 0 or more, then deleted.
 */
final class Offline {

  static final String PREFIX = "chat/offline/";

  /** How many messages wait for one owner at most; more are refused (still archived). */
  static final int MAX_WAITING = 10_000;

  private final Vault vault;
  private final String owner;
  private final List<String> waiting = new ArrayList<>();

  Offline(Vault vault, String owner) {
    this.vault = vault;
    this.owner = owner;
  }

  Future<Void> load() {
    return Scans.each(
        vault, owner, PREFIX, r -> waiting.add(new JsonObject(r.value()).getString("id")));
  }

  /** Keeps the archived message {@code id} for later; false when too many wait already. */
  Future<Boolean> keep(String id) {
    if (waiting.size() >= MAX_WAITING) {
      return Future.succeededFuture(false);
    }
    return vault
        .putRecord(owner, PREFIX + id, new JsonObject().put("id", id))
        .map(
            v -> {
              waiting.add(id);
              return true;
            });
  }

  /** The waiting archive ids, oldest first; they are forgotten once {@link #delivered} says so. */
  List<String> waiting() {
    return List.copyOf(waiting);
  }

  Future<Void> delivered(String id) {
    waiting.remove(id);
    return vault.deleteRecord(owner, PREFIX + id).mapEmpty();
  }

  int size() {
    return waiting.size();
  }
}
