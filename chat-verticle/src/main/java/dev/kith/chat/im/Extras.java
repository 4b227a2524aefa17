package dev.kith.chat.im;

import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What else the owner keeps: the block list (XEP-0191) in {@code chat/blocked}, the vCard
 * (XEP-0054) in {@code chat/vcard}, and PEP nodes (XEP-0163) in {@code chat/pep/<node>}, each
 * holding its newest items and its access model.
 */
final class Extras {

  static final String BLOCKED = "chat/blocked";
  static final String VCARD = "chat/vcard";
  static final String PEP_PREFIX = "chat/pep/";
  static final int MAX_BLOCKED = 1_000;
  static final int MAX_NODES = 200;
  static final int MAX_ITEMS_PER_NODE = 20;

  private final ChatInstance chat;
  private final Vault vault;
  private final Set<String> blocked = new LinkedHashSet<>();
  private final Map<String, JsonObject> nodes = new LinkedHashMap<>();
  private String vcard;

  Extras(ChatInstance chat, Vault vault) {
    this.chat = chat;
    this.vault = vault;
  }

  Future<Void> load() {
    String owner = chat.ownerName();
    return Future.all(
            vault
                .getRecord(owner, BLOCKED)
                .map(
                    r -> {
                      if (r != null) {
                        new JsonObject(r.value())
                            .getJsonArray("jids", new JsonArray())
                            .forEach(j -> blocked.add(String.valueOf(j)));
                      }
                      return null;
                    }),
            vault
                .getRecord(owner, VCARD)
                .map(
                    r -> {
                      vcard = r == null ? null : new JsonObject(r.value()).getString("xml");
                      return null;
                    }),
            vault
                .scan(owner, PEP_PREFIX, null, MAX_NODES)
                .map(
                    list -> {
                      for (StoredRecord r : list) {
                        JsonObject node = new JsonObject(r.value());
                        nodes.put(node.getString("node"), node);
                      }
                      return null;
                    }))
        .mapEmpty();
  }

  boolean blocked(String bareJid) {
    return blocked.contains(bareJid);
  }

  List<String> blockedList() {
    return List.copyOf(blocked);
  }

  /** Adds ({@code block}) or removes addresses; removing none clears the list. */
  Future<Void> block(List<String> jids, boolean block) {
    Set<String> next = new LinkedHashSet<>(blocked);
    if (block) {
      next.addAll(jids);
    } else if (jids.isEmpty()) {
      next.clear();
    } else {
      jids.forEach(next::remove);
    }
    if (next.size() > MAX_BLOCKED) {
      return Future.failedFuture(
          new IllegalArgumentException("a block list holds at most " + MAX_BLOCKED + " addresses"));
    }
    return vault
        .putRecord(
            chat.ownerName(),
            BLOCKED,
            new JsonObject().put("jids", new JsonArray(List.copyOf(next))))
        .map(
            v -> {
              blocked.clear();
              blocked.addAll(next);
              return null;
            });
  }

  String vcard() {
    return vcard;
  }

  Future<Void> vcard(String xml) {
    return vault
        .putRecord(chat.ownerName(), VCARD, new JsonObject().put("xml", xml))
        .map(
            v -> {
              vcard = xml;
              return null;
            });
  }

  JsonObject node(String name) {
    return nodes.get(name);
  }

  /**
   * Publishes an item to a node, creating it with {@code access} (open, presence or whitelist) when
   * new, or changing its access model when given; keeps the newest {@link #MAX_ITEMS_PER_NODE}.
   */
  Future<JsonObject> publish(String node, String itemId, String payloadXml, String access) {
    JsonObject current = nodes.get(node);
    if (current == null && nodes.size() >= MAX_NODES) {
      return Future.failedFuture(
          new IllegalArgumentException("at most " + MAX_NODES + " PEP nodes"));
    }
    JsonObject next =
        current == null
            ? new JsonObject()
                .put("node", node)
                .put("access", "presence")
                .put("items", new JsonArray())
            : current.copy();
    if (access != null) {
      next.put("access", access);
    }
    JsonArray items = new JsonArray();
    for (Object o : next.getJsonArray("items")) {
      JsonObject item = (JsonObject) o;
      if (!item.getString("id").equals(itemId)) {
        items.add(item);
      }
    }
    items.add(new JsonObject().put("id", itemId).put("xml", payloadXml));
    while (items.size() > MAX_ITEMS_PER_NODE) {
      items.remove(0);
    }
    next.put("items", items);
    return vault
        .putRecord(chat.ownerName(), PEP_PREFIX + node, next)
        .map(
            v -> {
              nodes.put(node, next);
              return next;
            });
  }
}
