package dev.kith.chat.im;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.Stanzas;
import dev.kith.chat.xml.XmlElement;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * IQs (RFC 6120 §8.2.3): those for the owner's account or the server, answered here (roster,
 * service discovery, ping, vCard, blocking, carbons, the archive, PEP), and those for another
 * owner's account or resource, passed to that owner's instance, whose answer comes back the same
 * way. An IQ nobody here understands gets {@code service-unavailable}.
 */
final class Queries {

  /** Features the server and each account advertise (XEP-0030). */
  static final List<String> SERVER_FEATURES =
      List.of(
          Ns.DISCO_INFO,
          Ns.DISCO_ITEMS,
          Ns.PING,
          Ns.VCARD,
          Ns.BLOCKING,
          Ns.CARBONS,
          Ns.ROSTER,
          "msgoffline",
          Ns.STANZA_ID);

  static final List<String> ACCOUNT_FEATURES =
      List.of(
          Ns.MAM,
          Ns.STANZA_ID,
          Ns.PUBSUB + "#publish",
          Ns.PUBSUB + "#publish-options",
          Ns.PUBSUB + "#auto-create",
          Ns.PUBSUB + "#retrieve-items",
          Ns.PUBSUB + "#access-presence",
          Ns.PUBSUB + "#access-open");

  private final ChatInstance chat;
  private final MamQuery mam;
  private final Pep pep;

  Queries(ChatInstance chat) {
    this.chat = chat;
    this.mam = new MamQuery(chat);
    this.pep = new Pep(chat);
  }

  Future<Void> fromClient(Resource r, XmlElement iq) {
    String type = iq.attr("type");
    if (type == null || iq.attr("id") == null) {
      chat.reject(r, iq, "modify", "bad-request", "an iq needs a type and an id");
      return Future.succeededFuture();
    }
    Jid to = iq.attr("to") == null ? null : Jid.parseOrNull(iq.attr("to"));
    if (iq.attr("to") != null && to == null) {
      chat.reject(r, iq, "modify", "jid-malformed", "bad address");
      return Future.succeededFuture();
    }
    boolean toServer = to != null && to.local() == null && chat.chatConfig().local(to.domain());
    boolean toSelf = to == null || to.equals(chat.self());
    if (Stanzas.isAnswer(iq)) {
      return forward(r, to, iq);
    }
    XmlElement payload = Stanzas.payload(iq);
    if (payload == null) {
      chat.reject(r, iq, "modify", "bad-request", "an iq get or set needs one payload");
      return Future.succeededFuture();
    }
    if (toServer || (toSelf && !ownAccount(payload.namespace()))) {
      return server(r, iq, payload, type);
    }
    if (toSelf) {
      return account(r, iq, payload, type);
    }
    if (to.equals(chat.self().withResource(r.name))) {
      return server(r, iq, payload, type);
    }
    return forward(r, to, iq);
  }

  /** Namespaces that the account's bare address answers rather than the server. */
  private static boolean ownAccount(String ns) {
    return ns.equals(Ns.MAM)
        || ns.equals(Ns.PUBSUB)
        || ns.equals(Ns.DISCO_INFO)
        || ns.equals(Ns.VCARD);
  }

  private Future<Void> server(Resource r, XmlElement iq, XmlElement payload, String type) {
    String ns = payload.namespace();
    boolean get = type.equals("get");
    if (ns.equals(Ns.PING) || ns.equals(Ns.SESSION)) {
      chat.send(r, Stanzas.result(iq));
    } else if (ns.equals(Ns.DISCO_INFO) && get) {
      chat.send(r, Stanzas.result(iq, discoInfo(payload, "server", "im", SERVER_FEATURES)));
    } else if (ns.equals(Ns.DISCO_ITEMS) && get) {
      chat.send(r, Stanzas.result(iq, XmlElement.builder("query", Ns.DISCO_ITEMS).build()));
    } else if (ns.equals(Ns.ROSTER)) {
      return get ? rosterGet(r, iq, payload) : rosterSet(r, iq, payload);
    } else if (ns.equals(Ns.CARBONS) && !get) {
      r.carbons = payload.name().equals("enable");
      chat.send(r, Stanzas.result(iq));
    } else if (ns.equals(Ns.BLOCKING)) {
      return blocking(r, iq, payload, get);
    } else {
      chat.reject(r, iq, "cancel", "service-unavailable", null);
    }
    return Future.succeededFuture();
  }

  private Future<Void> account(Resource r, XmlElement iq, XmlElement payload, String type) {
    String ns = payload.namespace();
    boolean get = type.equals("get");
    if (ns.equals(Ns.MAM) && !get && payload.name().equals("query")) {
      return mam.run(r, iq);
    } else if (ns.equals(Ns.MAM) && get) {
      chat.send(r, Stanzas.result(iq, mamForm()));
    } else if (ns.equals(Ns.PUBSUB)) {
      return pep.fromOwner(r, iq, payload, get);
    } else if (ns.equals(Ns.DISCO_INFO) && get) {
      List<String> features = new ArrayList<>(ACCOUNT_FEATURES);
      chat.send(r, Stanzas.result(iq, discoInfo(payload, "account", "registered", features)));
    } else if (ns.equals(Ns.VCARD)) {
      if (get) {
        chat.send(r, Stanzas.result(iq, vcard()));
      } else {
        return chat.extras()
            .vcard(payload.toXml(Ns.CLIENT))
            .onSuccess(v -> chat.send(r, Stanzas.result(iq)));
      }
    } else {
      chat.reject(r, iq, "cancel", "service-unavailable", null);
    }
    return Future.succeededFuture();
  }

  /** An IQ for another owner's address, or an answer to one: their instance handles it. */
  private Future<Void> forward(Resource r, Jid to, XmlElement iq) {
    String owner = chat.localOwner(to);
    if (owner == null) {
      chat.reject(
          r,
          iq,
          "cancel",
          to != null && chat.chatConfig().local(to.domain())
              ? "service-unavailable"
              : "remote-server-not-found",
          null);
      return Future.succeededFuture();
    }
    if (owner.equals(chat.ownerName())) {
      return incoming(iq);
    }
    return chat.peers()
        .send(owner, null, iq, false)
        .recover(
            e -> {
              chat.reject(r, iq, "wait", "recipient-unavailable", "the contact is not reachable");
              return Future.succeededFuture();
            });
  }

  /** An IQ from another owner (or another resource of this one) for this owner. */
  Future<Void> incoming(XmlElement iq) {
    Jid to = Jid.parseOrNull(iq.attr("to"));
    Jid from = Jid.parseOrNull(iq.attr("from"));
    if (to == null || from == null) {
      return Future.succeededFuture();
    }
    if (to.resource() != null) {
      Resource r = chat.resources().named(to.resource());
      if (r != null) {
        chat.send(r, iq);
      } else if (!Stanzas.isAnswer(iq)) {
        answer(from, Stanzas.error(iq, "cancel", "service-unavailable", null));
      }
      return Future.succeededFuture();
    }
    if (Stanzas.isAnswer(iq)) {
      return Future.succeededFuture();
    }
    XmlElement payload = Stanzas.payload(iq);
    String ns = payload == null ? "" : payload.namespace();
    boolean get = "get".equals(iq.attr("type"));
    if (ns.equals(Ns.VCARD) && get) {
      answer(from, Stanzas.result(iq, vcard()));
    } else if (ns.equals(Ns.PING) && get) {
      answer(from, Stanzas.result(iq));
    } else if (ns.equals(Ns.DISCO_INFO) && get) {
      answer(
          from, Stanzas.result(iq, discoInfo(payload, "account", "registered", ACCOUNT_FEATURES)));
    } else if (ns.equals(Ns.PUBSUB) && get) {
      answer(from, pep.itemsFor(from, iq, payload));
    } else {
      answer(from, Stanzas.error(iq, "cancel", "service-unavailable", null));
    }
    return Future.succeededFuture();
  }

  /** Sends an answer to the asker, wherever its instance is. */
  void answer(Jid asker, XmlElement reply) {
    String owner = chat.localOwner(asker);
    if (owner == null) {
      return;
    }
    if (owner.equals(chat.ownerName())) {
      chat.sendToOwner(reply);
    } else {
      chat.peers().send(owner, null, reply, false);
    }
  }

  private Future<Void> rosterGet(Resource r, XmlElement iq, XmlElement payload) {
    String ver = payload.attr("ver");
    if (ver != null && ver.equals(chat.roster().ver())) {
      chat.send(r, Stanzas.result(iq));
    } else {
      chat.send(r, Stanzas.result(iq, chat.roster().query()));
    }
    return Future.succeededFuture();
  }

  private Future<Void> rosterSet(Resource r, XmlElement iq, XmlElement payload) {
    List<XmlElement> items = payload.children("item", Ns.ROSTER);
    Jid jid = items.size() == 1 ? Jid.parseOrNull(items.get(0).attr("jid")) : null;
    if (jid == null) {
      chat.reject(r, iq, "modify", "bad-request", "a roster set holds exactly one item");
      return Future.succeededFuture();
    }
    XmlElement item = items.get(0);
    String contact = jid.bare().toString();
    JsonObject stored = chat.roster().item(contact);
    if ("remove".equals(item.attr("subscription"))) {
      boolean had = stored.getBoolean("listed", false);
      Future<Void> unsubscribed = had ? removeSubscriptions(r, stored) : Future.succeededFuture();
      return unsubscribed
          .compose(
              v ->
                  chat.presences()
                      .change(
                          chat.roster()
                              .item(contact)
                              .put("listed", false)
                              .put("subscription", "none")
                              .put("pendingIn", false)))
          .onSuccess(v -> chat.send(r, Stanzas.result(iq)));
    }
    List<String> groups = new ArrayList<>();
    item.children("group", Ns.ROSTER).forEach(g -> groups.add(g.text()));
    stored.put("name", item.attr("name")).put("groups", groups).put("listed", true);
    return chat.presences().change(stored).onSuccess(v -> chat.send(r, Stanzas.result(iq)));
  }

  private Future<Void> removeSubscriptions(Resource r, JsonObject item) {
    List<Future<Void>> sent = new ArrayList<>();
    XmlElement.Builder base =
        XmlElement.builder("presence", Ns.CLIENT).attr("to", item.getString("jid"));
    if (Roster.has(item, "to") || "subscribe".equals(item.getString("ask"))) {
      sent.add(chat.presences().fromClient(r, base.attr("type", "unsubscribe").build()));
    }
    if (Roster.has(item, "from")) {
      sent.add(chat.presences().fromClient(r, base.attr("type", "unsubscribed").build()));
    }
    return Future.all(sent).mapEmpty();
  }

  private Future<Void> blocking(Resource r, XmlElement iq, XmlElement payload, boolean get) {
    if (get && payload.name().equals("blocklist")) {
      XmlElement.Builder list = XmlElement.builder("blocklist", Ns.BLOCKING);
      chat.extras()
          .blockedList()
          .forEach(j -> list.child(XmlElement.builder("item", Ns.BLOCKING).attr("jid", j).build()));
      chat.send(r, Stanzas.result(iq, list.build()));
      return Future.succeededFuture();
    }
    boolean block = payload.name().equals("block");
    if (get || !(block || payload.name().equals("unblock"))) {
      chat.reject(r, iq, "modify", "bad-request", null);
      return Future.succeededFuture();
    }
    List<String> jids = new ArrayList<>();
    for (XmlElement item : payload.children("item", Ns.BLOCKING)) {
      Jid j = Jid.parseOrNull(item.attr("jid"));
      if (j == null) {
        chat.reject(r, iq, "modify", "jid-malformed", "bad address in the block list");
        return Future.succeededFuture();
      }
      jids.add(j.bare().toString());
    }
    if (block && jids.isEmpty()) {
      chat.reject(r, iq, "modify", "bad-request", "block what?");
      return Future.succeededFuture();
    }
    return chat.extras()
        .block(jids, block)
        .onSuccess(
            v -> {
              chat.send(r, Stanzas.result(iq));
              for (Resource other : chat.resources().all()) {
                if (other != r) {
                  chat.send(
                      other,
                      XmlElement.builder("iq", Ns.CLIENT)
                          .attr("type", "set")
                          .attr("id", "block-" + System.nanoTime())
                          .child(payload)
                          .build());
                }
              }
            });
  }

  private XmlElement vcard() {
    String xml = chat.extras().vcard();
    return xml == null
        ? XmlElement.builder("vCard", Ns.VCARD).build()
        : XmlElement.parse(xml, Ns.CLIENT);
  }

  private static XmlElement discoInfo(
      XmlElement query, String category, String type, List<String> features) {
    XmlElement.Builder info =
        XmlElement.builder("query", Ns.DISCO_INFO)
            .attr("node", query.attr("node"))
            .child(
                XmlElement.builder("identity", Ns.DISCO_INFO)
                    .attr("category", category)
                    .attr("type", type)
                    .attr("name", "Kith")
                    .build());
    features.forEach(
        f -> info.child(XmlElement.builder("feature", Ns.DISCO_INFO).attr("var", f).build()));
    return info.build();
  }

  private static XmlElement mamForm() {
    XmlElement.Builder form = XmlElement.builder("x", Ns.DATA_FORMS).attr("type", "form");
    form.child(
        XmlElement.builder("field", Ns.DATA_FORMS)
            .attr("var", "FORM_TYPE")
            .attr("type", "hidden")
            .child(XmlElement.builder("value", Ns.DATA_FORMS).text(Ns.MAM).build())
            .build());
    for (String var : List.of("with", "start", "end")) {
      form.child(XmlElement.builder("field", Ns.DATA_FORMS).attr("var", var).build());
    }
    return XmlElement.builder("query", Ns.MAM).child(form.build()).build();
  }
}
