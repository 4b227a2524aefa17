package dev.kith.chat.im;

import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The owner's message archive (XEP-0313), in the owner's vault: one record {@code chat/mam/<id>}
 * per message, holding the stanza as it was delivered. The id is the message's stable stanza id
 * (XEP-0359): 12 hex digits of milliseconds and 4 of a counter, so ids sort in archive order and a
 * new instance continues after the newest id it finds. The instance keeps an index of every entry
 * (id, time, peer) in memory, loaded when it opens; bodies are read from the vault per page.
 */
final class Archive {

  static final String PREFIX = "chat/mam/";

  /** One archived message, as the index knows it. */
  record Entry(String id, long millis, String with, String origin) {}

  private final Vault vault;
  private final String owner;
  private final List<Entry> index = new ArrayList<>();
  private final Map<String, String> byOrigin = new HashMap<>();
  private long lastMillis;
  private int counter;

  Archive(Vault vault, String owner) {
    this.vault = vault;
    this.owner = owner;
  }

  /** Loads the index from the vault. */
  Future<Void> load() {
    return Scans.each(
            vault,
            owner,
            PREFIX,
            r -> {
              JsonObject v = new JsonObject(r.value());
              add(
                  new Entry(
                      v.getString("id"),
                      v.getLong("ts", 0L),
                      v.getString("with"),
                      v.getString("origin")));
            })
        .compose(v -> finishLoad());
  }

  private Future<Void> finishLoad() {
    if (!index.isEmpty()) {
      String last = index.get(index.size() - 1).id();
      lastMillis = Long.parseLong(last.substring(0, 12), 16);
      counter = Integer.parseInt(last.substring(12, 16), 16);
    }
    return Future.succeededFuture();
  }

  /** A new id, after every id this archive has handed out. */
  String nextId() {
    long now = System.currentTimeMillis();
    if (now > lastMillis) {
      lastMillis = now;
      counter = 0;
    } else if (++counter > 0xffff) {
      lastMillis++;
      counter = 0;
    }
    return String.format(Locale.ROOT, "%012x%04x", lastMillis, counter);
  }

  /**
   * Makes the message durable under {@code id}; {@code with} is the peer's bare address, {@code
   * origin} the sending session's key for it (or null).
   */
  Future<Void> add(String id, String with, String origin, String stanzaXml) {
    long ts = Long.parseLong(id.substring(0, 12), 16);
    JsonObject value =
        new JsonObject()
            .put("id", id)
            .put("ts", ts)
            .put("with", with)
            .put("origin", origin)
            .put("stanza", stanzaXml);
    return vault
        .putRecord(owner, PREFIX + id, value)
        .map(
            v -> {
              add(new Entry(id, ts, with, origin));
              return null;
            });
  }

  private void add(Entry e) {
    int at = index.size();
    while (at > 0 && index.get(at - 1).id().compareTo(e.id()) > 0) {
      at--;
    }
    index.add(at, e);
    if (e.origin() != null) {
      byOrigin.put(e.origin(), e.id());
    }
  }

  /** The id of the message archived for {@code origin}, or null: a stanza sent again. */
  String archivedAs(String origin) {
    return origin == null ? null : byOrigin.get(origin);
  }

  /** The stanza archived under {@code id}, or null. */
  Future<JsonObject> get(String id) {
    return vault
        .getRecord(owner, PREFIX + id)
        .map(r -> r == null ? null : new JsonObject(r.value()));
  }

  /** Every entry, oldest first, that matches the filter (null: any). */
  List<Entry> select(String with, Long startMillis, Long endMillis) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : index) {
      if (with != null && !with.equals(e.with())) {
        continue;
      }
      if (startMillis != null && e.millis() < startMillis) {
        continue;
      }
      if (endMillis != null && e.millis() > endMillis) {
        continue;
      }
      out.add(e);
    }
    return out;
  }

  /** The entries after {@code id}, oldest first ({@code null}: none). */
  List<Entry> after(String id) {
    List<Entry> out = new ArrayList<>();
    if (id == null) {
      return out;
    }
    for (Entry e : index) {
      if (e.id().compareTo(id) > 0) {
        out.add(e);
      }
    }
    return out;
  }

  int size() {
    return index.size();
  }
}
