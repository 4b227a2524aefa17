package dev.kith.chat.im;

import dev.kith.chat.Ns;
import dev.kith.chat.xml.XmlElement;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The owner's roster (RFC 6121 §2) and the subscription state of each contact, one record {@code
 * chat/roster/<bare JID>} each: {@code {jid, name, groups, subscription, ask, pendingIn, listed,
 * ver}}. A contact that only asked to subscribe is kept unlisted ({@code listed: false}) until the
 * owner answers. The roster's version (§2.6) is the highest {@code ver} of any item, removed ones
 * too (a removal keeps its record, unlisted), so one write changes an item and the version at once.
 */
final class Roster {

  static final String PREFIX = "chat/roster/";
  private static final int MAX_ITEMS = 5_000;

  private final Vault vault;
  private final String owner;
  private final Map<String, JsonObject> items = new LinkedHashMap<>();
  private long version;

  Roster(Vault vault, String owner) {
    this.vault = vault;
    this.owner = owner;
  }

  Future<Void> load() {
    return Scans.each(
        vault,
        owner,
        PREFIX,
        r -> {
          JsonObject item = new JsonObject(r.value());
          items.put(item.getString("jid"), item);
          version = Math.max(version, item.getLong("ver", 0L));
        });
  }

  /** The item for {@code jid} (a copy), or a new unlisted one with no subscription. */
  JsonObject item(String jid) {
    JsonObject item = items.get(jid);
    return item == null
        ? new JsonObject().put("jid", jid).put("subscription", "none").put("listed", false)
        : item.copy();
  }

  boolean known(String jid) {
    return items.containsKey(jid);
  }

  /** Makes {@code item} durable under a new roster version; answers it as stored. */
  Future<JsonObject> put(JsonObject item) {
    if (!items.containsKey(item.getString("jid")) && items.size() >= MAX_ITEMS) {
      return Future.failedFuture(
          new IllegalArgumentException("a roster holds at most " + MAX_ITEMS + " contacts"));
    }
    long ver = version + 1;
    JsonObject stored = item.copy().put("ver", ver);
    return vault
        .putRecord(owner, PREFIX + stored.getString("jid"), stored)
        .map(
            v -> {
              version = Math.max(version, ver);
              items.put(stored.getString("jid"), stored);
              return stored;
            });
  }

  long version() {
    return version;
  }

  /** The listed items. */
  List<JsonObject> listed() {
    return items.values().stream().filter(i -> i.getBoolean("listed", false)).toList();
  }

  /** Contacts that asked to subscribe and wait for the owner's answer. */
  List<JsonObject> pendingIn() {
    return items.values().stream().filter(i -> i.getBoolean("pendingIn", false)).toList();
  }

  /** Contacts whose presence the owner's goes to: subscription from or both. */
  List<String> presenceTo() {
    return items.values().stream()
        .filter(i -> has(i, "from"))
        .map(i -> i.getString("jid"))
        .toList();
  }

  /** Contacts whose presence the owner gets: subscription to or both. */
  List<String> presenceFrom() {
    return items.values().stream().filter(i -> has(i, "to")).map(i -> i.getString("jid")).toList();
  }

  /** Whether the item's subscription includes {@code way} ("to" or "from"). */
  static boolean has(JsonObject item, String way) {
    String s = item.getString("subscription", "none");
    return s.equals("both") || s.equals(way);
  }

  /** The subscription with {@code way} added or taken away. */
  static String change(String subscription, String way, boolean add) {
    boolean to = subscription.equals("both") || subscription.equals("to");
    boolean from = subscription.equals("both") || subscription.equals("from");
    if (way.equals("to")) {
      to = add;
    } else {
      from = add;
    }
    return to && from ? "both" : to ? "to" : from ? "from" : "none";
  }

  /** The {@code <item/>} of a roster result or push (removed: {@code subscription="remove"}). */
  static XmlElement element(JsonObject item) {
    boolean listed = item.getBoolean("listed", false);
    XmlElement.Builder el =
        XmlElement.builder("item", Ns.ROSTER)
            .attr("jid", item.getString("jid"))
            .attr("name", item.getString("name"))
            .attr("subscription", listed ? item.getString("subscription", "none") : "remove")
            .attr("ask", listed && "subscribe".equals(item.getString("ask")) ? "subscribe" : null);
    JsonArray groups = item.getJsonArray("groups", new JsonArray());
    if (listed) {
      for (Object g : groups) {
        el.child(XmlElement.builder("group", Ns.ROSTER).text(String.valueOf(g)).build());
      }
    }
    return el.build();
  }

  /** The {@code <query/>} of a full roster result. */
  XmlElement query() {
    XmlElement.Builder q = XmlElement.builder("query", Ns.ROSTER).attr("ver", ver());
    List<JsonObject> listed = new ArrayList<>(listed());
    listed.forEach(i -> q.child(element(i)));
    return q.build();
  }

  String ver() {
    return Long.toString(version);
  }
}
