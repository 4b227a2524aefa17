package dev.kith.chat.im;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.Stanzas;
import dev.kith.chat.xml.XmlElement;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * The owner's personal eventing nodes (XEP-0163): publishing (with {@code publish-options}'s access
 * model, XEP-0060 §7.1.5, so OMEMO clients can publish device lists and bundles openly), retrieving
 * items, and notifications as {@code headline} messages to the owner's resources and to the
 * contacts subscribed to the owner's presence.
 */
final class Pep {

  private static final List<String> ACCESS_MODELS = List.of("open", "presence", "whitelist");

  private final ChatInstance chat;

  Pep(ChatInstance chat) {
    this.chat = chat;
  }

  Future<Void> fromOwner(Resource r, XmlElement iq, XmlElement pubsub, boolean get) {
    XmlElement publish = pubsub.child("publish", Ns.PUBSUB);
    XmlElement items = pubsub.child("items", Ns.PUBSUB);
    if (get && items != null) {
      chat.send(r, items(iq, items));
      return Future.succeededFuture();
    }
    if (get || publish == null || publish.attr("node") == null) {
      chat.reject(r, iq, "cancel", "feature-not-implemented", null);
      return Future.succeededFuture();
    }
    XmlElement item = publish.child("item", Ns.PUBSUB);
    if (item == null || item.children().size() != 1) {
      chat.reject(r, iq, "modify", "bad-request", "publish one item with one payload");
      return Future.succeededFuture();
    }
    String access = accessModel(pubsub.child("publish-options", Ns.PUBSUB));
    if (access != null && !ACCESS_MODELS.contains(access)) {
      chat.reject(r, iq, "modify", "not-acceptable", "unknown access model " + access);
      return Future.succeededFuture();
    }
    String node = publish.attr("node");
    String id = item.attr("id") == null ? UUID.randomUUID().toString() : item.attr("id");
    XmlElement payload = item.children().get(0);
    return chat.extras()
        .publish(node, id, payload.toXml(Ns.CLIENT), access)
        .map(
            stored -> {
              chat.send(
                  r,
                  Stanzas.result(
                      iq,
                      XmlElement.builder("pubsub", Ns.PUBSUB)
                          .child(
                              XmlElement.builder("publish", Ns.PUBSUB)
                                  .attr("node", node)
                                  .child(
                                      XmlElement.builder("item", Ns.PUBSUB).attr("id", id).build())
                                  .build())
                          .build()));
              notify(node, id, payload, stored.getString("access"));
              return null;
            });
  }

  /** Items of a node for another owner, if the node's access model lets them see it. */
  XmlElement itemsFor(Jid asker, XmlElement iq, XmlElement pubsub) {
    XmlElement items = pubsub.child("items", Ns.PUBSUB);
    if (items == null) {
      return Stanzas.error(iq, "cancel", "feature-not-implemented", null);
    }
    JsonObject node = chat.extras().node(items.attr("node"));
    if (node == null) {
      return Stanzas.error(iq, "cancel", "item-not-found", null);
    }
    if (!allowed(asker, node.getString("access"))) {
      return Stanzas.error(iq, "auth", "forbidden", null);
    }
    return items(iq, items);
  }

  private XmlElement items(XmlElement iq, XmlElement request) {
    JsonObject node = chat.extras().node(request.attr("node"));
    if (node == null) {
      return Stanzas.error(iq, "cancel", "item-not-found", null);
    }
    XmlElement.Builder out =
        XmlElement.builder("items", Ns.PUBSUB).attr("node", request.attr("node"));
    for (Object o : node.getJsonArray("items")) {
      JsonObject item = (JsonObject) o;
      out.child(
          XmlElement.builder("item", Ns.PUBSUB)
              .attr("id", item.getString("id"))
              .child(XmlElement.parse(item.getString("xml"), Ns.CLIENT))
              .build());
    }
    return Stanzas.result(iq, XmlElement.builder("pubsub", Ns.PUBSUB).child(out.build()).build());
  }

  private boolean allowed(Jid asker, String access) {
    if (asker.bare().equals(chat.self()) || "open".equals(access)) {
      return true;
    }
    return "presence".equals(access)
        && Roster.has(chat.roster().item(asker.bare().toString()), "from");
  }

  private void notify(String node, String id, XmlElement payload, String access) {
    XmlElement event =
        XmlElement.builder("event", Ns.PUBSUB_EVENT)
            .child(
                XmlElement.builder("items", Ns.PUBSUB_EVENT)
                    .attr("node", node)
                    .child(
                        XmlElement.builder("item", Ns.PUBSUB_EVENT)
                            .attr("id", id)
                            .child(payload)
                            .build())
                    .build())
            .build();
    XmlElement message =
        XmlElement.builder("message", Ns.CLIENT)
            .attr("type", "headline")
            .attr("from", chat.self().toString())
            .child(event)
            .build();
    chat.sendToOwner(message);
    if ("whitelist".equals(access)) {
      return;
    }
    for (String contact : chat.roster().presenceTo()) {
      String owner = chat.localOwner(Jid.parseOrNull(contact));
      if (owner != null) {
        chat.peers().send(owner, null, message.toBuilder().attr("to", contact).build(), false);
      }
    }
  }

  private static String accessModel(XmlElement options) {
    XmlElement form = options == null ? null : options.child("x", Ns.DATA_FORMS);
    if (form == null) {
      return null;
    }
    for (XmlElement field : form.children("field", Ns.DATA_FORMS)) {
      if ("pubsub#access_model".equals(field.attr("var"))) {
        return field.childText("value", Ns.DATA_FORMS);
      }
    }
    return null;
  }
}
