package dev.kith.chat.im;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.xml.XmlElement;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * Presence and subscriptions (RFC 6121 §3, §4): a resource's available and unavailable presence
 * goes to the owner's other resources and to the contacts subscribed to it; a first available
 * presence probes the contacts the owner is subscribed to and gets the offline messages; the
 * subscription handshake changes both rosters, each in its owner's vault, and a request waits in
 * the roster until the owner answers it.
 */
final class Presences {

  private final ChatInstance chat;

  Presences(ChatInstance chat) {
    this.chat = chat;
  }

  static int priority(XmlElement presence) {
    String text = presence.childText("priority", Ns.CLIENT);
    if (text == null) {
      return 0;
    }
    try {
      return Math.max(-128, Math.min(127, Integer.parseInt(text.trim())));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  Future<Void> fromClient(Resource r, XmlElement presence) {
    String type = presence.attr("type");
    String to = presence.attr("to");
    if (type == null || type.equals("unavailable")) {
      if (to != null) {
        return directed(presence);
      }
      if (type == null) {
        available(r, presence);
      } else {
        unavailable(r, presence);
      }
      return Future.succeededFuture();
    }
    Jid contact = Jid.parseOrNull(to);
    if (contact == null) {
      chat.reject(r, presence, "modify", "jid-malformed", "a subscription needs an address");
      return Future.succeededFuture();
    }
    return switch (type) {
      case "subscribe" -> subscribe(contact.bare(), presence);
      case "subscribed" -> approve(contact.bare(), presence);
      case "unsubscribe", "unsubscribed" -> cancel(contact.bare(), type);
      default -> Future.succeededFuture();
    };
  }

  private void available(Resource r, XmlElement presence) {
    boolean first = !r.available();
    r.presence = presence.toBuilder().attr("to", null).build();
    r.priority = priority(presence);
    // RFC 6121 §4.2.2: to every available resource of the owner, the sender's own included.
    toOwnResources(null, r.presence);
    for (String contact : chat.roster().presenceTo()) {
      toContact(contact, r.presence);
    }
    if (first) {
      // ...and the newly available resource learns of the owner's others.
      for (Resource other : chat.resources().available()) {
        if (other != r) {
          chat.send(
              r, other.presence.toBuilder().attr("from", full(other)).attr("to", full(r)).build());
        }
      }
      XmlElement probe =
          XmlElement.builder("presence", Ns.CLIENT)
              .attr("type", "probe")
              .attr("from", chat.self().withResource(r.name).toString())
              .build();
      for (String contact : chat.roster().presenceFrom()) {
        toContact(contact, probe);
      }
      pendingRequests(r);
    }
    if (r.priority >= 0) {
      chat.messages().flushOffline();
    }
  }

  private void unavailable(Resource r, XmlElement presence) {
    r.presence = null;
    XmlElement gone = presence.toBuilder().attr("to", null).build();
    toOwnResources(r, gone);
    chat.roster().presenceTo().forEach(c -> toContact(c, gone));
  }

  /** A resource ended or its device was lost: it goes unavailable for everyone. */
  void wentAway(Resource r) {
    XmlElement gone =
        XmlElement.builder("presence", Ns.CLIENT)
            .attr("type", "unavailable")
            .attr("from", chat.self().withResource(r.name).toString())
            .build();
    r.presence = null;
    toOwnResources(r, gone);
    chat.roster().presenceTo().forEach(c -> toContact(c, gone));
  }

  private Future<Void> directed(XmlElement presence) {
    Jid to = Jid.parseOrNull(presence.attr("to"));
    String owner = chat.localOwner(to);
    if (owner != null) {
      chat.peers().send(owner, null, presence, false);
    }
    return Future.succeededFuture();
  }

  private void toOwnResources(Resource from, XmlElement presence) {
    for (Resource r : chat.resources().available()) {
      if (r != from) {
        chat.send(r, presence.toBuilder().attr("to", r.name == null ? null : full(r)).build());
      }
    }
  }

  private void toContact(String contact, XmlElement presence) {
    String owner = chat.localOwner(Jid.parseOrNull(contact));
    if (owner != null) {
      chat.peers().send(owner, null, presence.toBuilder().attr("to", contact).build(), false);
    }
  }

  private Future<Void> subscribe(Jid contact, XmlElement presence) {
    JsonObject item = chat.roster().item(contact.toString());
    if (Roster.has(item, "to")) {
      return Future.succeededFuture();
    }
    item.put("ask", "subscribe").put("listed", true);
    return change(item).compose(v -> outward(contact, "subscribe", presence));
  }

  private Future<Void> approve(Jid contact, XmlElement presence) {
    JsonObject item = chat.roster().item(contact.toString());
    if (Roster.has(item, "from")) {
      return Future.succeededFuture();
    }
    item.put("subscription", Roster.change(item.getString("subscription"), "from", true))
        .put("pendingIn", false)
        .put("listed", true);
    return change(item)
        .compose(v -> outward(contact, "subscribed", presence))
        .onSuccess(
            v -> {
              for (Resource r : chat.resources().available()) {
                toContact(contact.toString(), r.presence.toBuilder().attr("from", full(r)).build());
              }
            });
  }

  private Future<Void> cancel(Jid contact, String type) {
    JsonObject item = chat.roster().item(contact.toString());
    String way = type.equals("unsubscribe") ? "to" : "from";
    item.put("subscription", Roster.change(item.getString("subscription"), way, false));
    if (way.equals("to")) {
      item.remove("ask");
    } else {
      item.put("pendingIn", false);
    }
    Future<Void> changed = chat.roster().known(contact.toString()) ? change(item) : done();
    return changed.compose(v -> outward(contact, type, null));
  }

  /** A subscription stanza to a contact, from the owner's bare address; it waits if it must. */
  private Future<Void> outward(Jid contact, String type, XmlElement original) {
    String owner = chat.localOwner(contact);
    if (owner == null) {
      return done();
    }
    XmlElement.Builder p =
        XmlElement.builder("presence", Ns.CLIENT)
            .attr("type", type)
            .attr("from", chat.self().toString())
            .attr("to", contact.toString());
    if (original != null && original.attr("id") != null) {
      p.attr("id", original.attr("id"));
    }
    return chat.peers().send(owner, "sub/" + UUID.randomUUID(), p.build(), true);
  }

  /** A presence for this owner from another owner: availability, a probe or a subscription. */
  Future<Void> incoming(XmlElement presence) {
    Jid from = Jid.parseOrNull(presence.attr("from"));
    String type = presence.attr("type");
    if (from == null) {
      return done();
    }
    if (type == null || type.equals("unavailable")) {
      chat.sendToOwner(presence);
      return done();
    }
    JsonObject item = chat.roster().item(from.bare().toString());
    return switch (type) {
      case "probe" -> answerProbe(from, item);
      case "subscribe" -> requested(from.bare(), item, presence);
      case "subscribed" -> granted(item, presence);
      case "unsubscribe" -> revoked(item, "from", presence);
      case "unsubscribed" -> revoked(item, "to", presence);
      default -> done();
    };
  }

  private Future<Void> answerProbe(Jid from, JsonObject item) {
    if (Roster.has(item, "from")) {
      String owner = chat.localOwner(from);
      for (Resource r : chat.resources().available()) {
        XmlElement p =
            r.presence.toBuilder().attr("from", full(r)).attr("to", from.toString()).build();
        chat.peers().send(owner, null, p, false);
      }
    }
    return done();
  }

  private Future<Void> requested(Jid from, JsonObject item, XmlElement presence) {
    if (Roster.has(item, "from")) {
      return outward(from, "subscribed", null);
    }
    item.put("pendingIn", true).put("request", presence.toXml(Ns.CLIENT));
    return chat.roster().put(item).<Void>mapEmpty().onSuccess(v -> chat.sendToOwner(presence));
  }

  private Future<Void> granted(JsonObject item, XmlElement presence) {
    if (!"subscribe".equals(item.getString("ask")) && !Roster.has(item, "to")) {
      return done();
    }
    item.put("subscription", Roster.change(item.getString("subscription"), "to", true));
    item.remove("ask");
    return change(item).onSuccess(v -> chat.sendToOwner(presence));
  }

  private Future<Void> revoked(JsonObject item, String way, XmlElement presence) {
    if (!chat.roster().known(item.getString("jid"))) {
      return done();
    }
    item.put("subscription", Roster.change(item.getString("subscription"), way, false));
    if (way.equals("to")) {
      item.remove("ask");
    } else {
      item.put("pendingIn", false);
    }
    return change(item).onSuccess(v -> chat.sendToOwner(presence));
  }

  /** Requests that wait for the owner, sent to a resource that just became available. */
  private void pendingRequests(Resource r) {
    for (JsonObject item : chat.roster().pendingIn()) {
      String request = item.getString("request");
      if (request != null) {
        chat.send(r, XmlElement.parse(request, Ns.CLIENT).toBuilder().attr("to", full(r)).build());
      }
    }
  }

  /** Stores a roster item and pushes it to the owner's resources (RFC 6121 §2.1.6). */
  Future<Void> change(JsonObject item) {
    return chat.roster()
        .put(item)
        .map(
            stored -> {
              push(stored);
              return null;
            });
  }

  void push(JsonObject stored) {
    for (Resource r : chat.resources().all()) {
      XmlElement iq =
          XmlElement.builder("iq", Ns.CLIENT)
              .attr("type", "set")
              .attr("id", "push-" + UUID.randomUUID())
              .attr("to", full(r))
              .child(
                  XmlElement.builder("query", Ns.ROSTER)
                      .attr("ver", chat.roster().ver())
                      .child(Roster.element(stored))
                      .build())
              .build();
      chat.send(r, iq);
    }
  }

  private String full(Resource r) {
    return chat.self().withResource(r.name).toString();
  }

  private static Future<Void> done() {
    return Future.succeededFuture();
  }
}
