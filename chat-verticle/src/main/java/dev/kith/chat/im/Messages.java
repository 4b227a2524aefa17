package dev.kith.chat.im;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.xml.XmlElement;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Messages (RFC 6121 §5, §8.5): what a resource sends, and what arrives for the owner. A message
 * with a body is archived (XEP-0313) under a stanza id (XEP-0359) before it goes anywhere, in the
 * sender's archive and in the recipient's; the recipient's copy goes to the resources RFC 6121
 * chooses, as a carbon (XEP-0280) to the owner's other resources that asked for carbons, or waits
 * as an offline message when no resource is available.
 */
final class Messages {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Messages.class);

  private final ChatInstance chat;
  private boolean flushing;
  private boolean flushAgain;

  Messages(ChatInstance chat) {
    this.chat = chat;
  }

  /** A message from one of the owner's resources. */
  Future<Void> fromClient(Resource from, String origin, XmlElement message) {
    String toText = message.attr("to");
    Jid to = toText == null ? chat.self() : Jid.parseOrNull(toText);
    if (to == null) {
      chat.reject(from, message, "modify", "jid-malformed", "the recipient is not an address");
      return Future.succeededFuture();
    }
    XmlElement stamped = withoutOurIds(message).toBuilder().attr("to", to.toString()).build();
    String owner = chat.localOwner(to);
    if (owner == null) {
      chat.reject(
          from,
          message,
          "cancel",
          to.local() == null && chat.chatConfig().local(to.domain())
              ? "service-unavailable"
              : "remote-server-not-found",
          to.local() == null
              ? "messages to the server are not taken"
              : "this server does not talk to other servers yet");
      return Future.succeededFuture();
    }
    if (chat.extras().blocked(to.bare().toString())) {
      chat.reject(from, message, "cancel", "not-acceptable", "you blocked this address");
      return Future.succeededFuture();
    }
    if (owner.equals(chat.ownerName())) {
      return incoming(origin, stamped);
    }
    return chat.serviceContext()
        .owners()
        .exists(owner)
        .compose(
            exists -> {
              if (!exists) {
                chat.reject(from, message, "cancel", "service-unavailable", "no such user");
                return Future.succeededFuture();
              }
              return archiveOutgoing(origin, to, stamped)
                  .compose(
                      v -> {
                        sentCarbons(from, stamped);
                        return chat.peers().send(owner, origin, stamped, true);
                      });
            });
  }

  private Future<Void> archiveOutgoing(String origin, Jid to, XmlElement message) {
    if (!archivable(message)) {
      return Future.succeededFuture();
    }
    String key = origin == null ? null : origin + ">";
    if (chat.archive().archivedAs(key) != null) {
      return Future.succeededFuture();
    }
    String id = chat.archive().nextId();
    return chat.archive().add(id, to.bare().toString(), key, message.toXml(Ns.CLIENT));
  }

  /** A message for this owner, from another owner's instance or from the owner's own resource. */
  Future<Void> incoming(String origin, XmlElement message) {
    Jid from = Jid.parseOrNull(message.attr("from"));
    String with = from == null ? chat.self().toString() : from.bare().toString();
    XmlElement clean = withoutOurIds(message);
    if (!archivable(clean)) {
      route(clean, null);
      return Future.succeededFuture();
    }
    if (chat.archive().archivedAs(origin) != null) {
      return Future.succeededFuture();
    }
    String id = chat.archive().nextId();
    XmlElement stamped =
        clean.toBuilder()
            .child(
                XmlElement.builder("stanza-id", Ns.STANZA_ID)
                    .attr("by", chat.self().toString())
                    .attr("id", id)
                    .build())
            .build();
    return chat.archive()
        .add(id, with, origin, stamped.toXml(Ns.CLIENT))
        .compose(
            v -> {
              // Behind messages that wait offline, a message to the bare address waits too, so
              // that the owner's resources get them all in archive order.
              if (!queuedBehindOffline(stamped) && route(stamped, id)) {
                return Future.succeededFuture();
              }
              return chat.offline()
                  .keep(id)
                  .map(
                      kept -> {
                        flushOffline();
                        return null;
                      });
            });
  }

  private boolean queuedBehindOffline(XmlElement message) {
    if (chat.offline().size() == 0) {
      return false;
    }
    Jid to = Jid.parseOrNull(message.attr("to"));
    return to == null || to.resource() == null || chat.resources().named(to.resource()) == null;
  }

  /**
   * Sends an incoming message to the resources it is for, with carbons to the others; false when no
   * resource could take it (it must wait offline).
   */
  private boolean route(XmlElement message, String archiveId) {
    Jid to = Jid.parseOrNull(message.attr("to"));
    Resources resources = chat.resources();
    List<Resource> targets = new ArrayList<>();
    Resource named = to == null || to.resource() == null ? null : resources.named(to.resource());
    if (named != null) {
      targets.add(named);
    } else if ("headline".equals(message.attr("type"))) {
      resources.available().stream().filter(r -> r.priority >= 0).forEach(targets::add);
    } else if (!"groupchat".equals(message.attr("type"))) {
      targets.addAll(resources.chatTargets());
    }
    for (Resource r : targets) {
      XmlElement copy =
          named == null
              ? message.toBuilder().attr("to", chat.self().withResource(r.name).toString()).build()
              : message;
      chat.send(r, copy, archiveId);
    }
    if (carbonable(message)) {
      for (Resource r : resources.available()) {
        if (r.carbons && !targets.contains(r)) {
          chat.send(r, carbon("received", r, message), archiveId);
        }
      }
    }
    return !targets.isEmpty();
  }

  /** Copies of a message a resource sent, to the owner's other resources that want carbons. */
  private void sentCarbons(Resource from, XmlElement message) {
    if (!carbonable(message)) {
      return;
    }
    for (Resource r : chat.resources().available()) {
      if (r.carbons && r != from) {
        chat.send(r, carbon("sent", r, message));
      }
    }
  }

  private XmlElement carbon(String kind, Resource to, XmlElement message) {
    return XmlElement.builder("message", Ns.CLIENT)
        .attr("from", chat.self().toString())
        .attr("to", chat.self().withResource(to.name).toString())
        .attr("type", message.attr("type"))
        .child(
            XmlElement.builder(kind, Ns.CARBONS)
                .child(XmlElement.builder("forwarded", Ns.FORWARD).child(message).build())
                .build())
        .build();
  }

  /**
   * Delivers the messages waiting offline, oldest first, one at a time, to the resources a message
   * to the bare address goes to now; each is forgotten once sent. One delivery runs at a time; a
   * call while one runs makes it look again at the end. A failure (the vault cannot be read now)
   * stops it, and it tries again in a few seconds.
   */
  void flushOffline() {
    if (flushing) {
      flushAgain = true;
      return;
    }
    List<String> ids = chat.offline().waiting();
    if (ids.isEmpty() || chat.resources().chatTargets().isEmpty()) {
      return;
    }
    flushing = true;
    flushAgain = false;
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(v -> deliverOffline(id));
    }
    chain.onComplete(
        ar -> {
          flushing = false;
          if (ar.failed()) {
            log.warn(
                "{}: offline messages of {} wait: {}; trying again in 2 s",
                chat.deviceName(),
                chat.ownerName(),
                ar.cause().getMessage());
            chat.vertx().setTimer(2_000, t -> flushOffline());
          } else if (flushAgain || chat.offline().size() > 0) {
            flushOffline();
          }
        });
  }

  private Future<Void> deliverOffline(String id) {
    List<Resource> targets = chat.resources().chatTargets();
    if (targets.isEmpty()) {
      return Future.succeededFuture();
    }
    return chat.archive()
        .get(id)
        .compose(
            entry -> {
              if (entry != null) {
                XmlElement m =
                    withDelay(XmlElement.parse(entry.getString("stanza"), Ns.CLIENT), entry);
                for (Resource r : targets) {
                  chat.send(
                      r,
                      m.toBuilder().attr("to", chat.self().withResource(r.name).toString()).build(),
                      id);
                }
              }
              return chat.offline().delivered(id);
            });
  }

  /**
   * Sends a session that attached again what the archive got for the owner after {@code since}: the
   * messages it missed while the instance moved. The session drops any it delivered already.
   */
  void replay(Resource r, String since) {
    Future<Void> chain = Future.succeededFuture();
    for (Archive.Entry e : chat.archive().after(since)) {
      chain =
          chain.compose(
              v ->
                  chat.archive()
                      .get(e.id())
                      .map(
                          entry -> {
                            if (entry != null) {
                              XmlElement m = XmlElement.parse(entry.getString("stanza"), Ns.CLIENT);
                              Jid from = Jid.parseOrNull(m.attr("from"));
                              boolean sent =
                                  from != null
                                      && chat.self().equals(from.bare())
                                      && !e.with().equals(chat.self().toString());
                              chat.send(r, sent ? carbon("sent", r, m) : m, e.id());
                            }
                            return null;
                          }));
    }
  }

  private static XmlElement withDelay(XmlElement m, JsonObject entry) {
    return m.toBuilder()
        .child(
            XmlElement.builder("delay", Ns.DELAY)
                .attr("stamp", Instant.ofEpochMilli(entry.getLong("ts", 0L)).toString())
                .build())
        .build();
  }

  /** Messages with a body, of type chat or normal, are archived (XEP-0313 §5.1.1 default). */
  static boolean archivable(XmlElement m) {
    String type = m.attr("type") == null ? "normal" : m.attr("type");
    if (m.child("no-store", Ns.HINTS) != null) {
      return false;
    }
    return (type.equals("chat") || type.equals("normal"))
        && (m.child("body", Ns.CLIENT) != null || m.child("store", Ns.HINTS) != null);
  }

  /** XEP-0280 §6: chat messages, and normal ones with a body, unless private or no-copy. */
  static boolean carbonable(XmlElement m) {
    String type = m.attr("type") == null ? "normal" : m.attr("type");
    if (m.child("private", Ns.CARBONS) != null || m.child("no-copy", Ns.HINTS) != null) {
      return false;
    }
    return type.equals("chat") || (type.equals("normal") && m.child("body", Ns.CLIENT) != null);
  }

  /** A sender may not forge this server's stanza ids (XEP-0359 §3.3). */
  private XmlElement withoutOurIds(XmlElement m) {
    if (m.child("stanza-id", Ns.STANZA_ID) == null) {
      return m;
    }
    XmlElement.Builder b = XmlElement.builder(m.name(), m.namespace());
    m.attrs().forEach(b::attr);
    for (XmlElement c : m.children()) {
      if (!(c.name().equals("stanza-id") && Ns.STANZA_ID.equals(c.namespace()))) {
        b.child(c);
      }
    }
    String text = m.text();
    if (text != null && !text.isBlank()) {
      b.text(text);
    }
    return b.build();
  }
}
