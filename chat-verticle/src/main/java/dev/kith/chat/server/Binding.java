package dev.kith.chat.server;

import dev.kith.chat.Ns;
import dev.kith.chat.Stanzas;
import dev.kith.chat.api.ChatBox;
import dev.kith.chat.xml.XmlElement;
import dev.kith.mesh.spi.MeshDirectory;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a session gets its resource: binding (RFC 6120 §7) attaches it to the owner's chat instance,
 * and resumption (XEP-0198 §5) takes over a broken session's state, from this device or, over the
 * event bus, from another. When none of the owner's own devices is up, nothing can run the owner's
 * chat, and the login ends with the stream error {@code resource-constraint} and a text that says
 * so: the server lacks what it needs to serve this stream, and the client should try later.
 */
final class Binding {

  private static final Logger log = LoggerFactory.getLogger(Binding.class);

  /** How long binding waits for the owner's instance to be placed before giving up. */
  static final long ATTACH_WAIT_MILLIS = 20_000;

  private final XmppSession session;
  private final BoundSession bound;

  Binding(XmppSession session, BoundSession bound) {
    this.session = session;
    this.bound = bound;
  }

  /** A stanza before a resource is bound: only the bind IQ is taken. */
  void beforeBind(XmlElement el) {
    XmlElement bind = el.name().equals("iq") ? el.child("bind", Ns.BIND) : null;
    if (bind == null || !"set".equals(el.attr("type"))) {
      session.fail("not-authorized", "Bind a resource first");
      return;
    }
    String wanted = bind.childText("resource", Ns.BIND);
    if (wanted != null && (wanted.isBlank() || wanted.length() > 1023 || wanted.contains("/"))) {
      session.write(Stanzas.error(el, "modify", "bad-request", "not a resource").toXml(Ns.CLIENT));
      return;
    }
    session.pause();
    attach(wanted)
        .onSuccess(
            resource -> {
              session.resume();
              XmlElement jid =
                  XmlElement.builder("jid", Ns.BIND)
                      .text(session.bare().withResource(resource).toString())
                      .build();
              session.write(
                  Stanzas.result(el, XmlElement.builder("bind", Ns.BIND).child(jid).build())
                      .toBuilder()
                      .attr("from", null)
                      .attr("to", null)
                      .build()
                      .toXml(Ns.CLIENT));
              session.server().metrics().event("bound");
            })
        .onFailure(e -> session.fail("resource-constraint", e.getMessage()));
  }

  /** Attaches (again) to the owner's instance; answers the bound resource. */
  Future<String> attach(String wanted) {
    long deadline = System.currentTimeMillis() + ATTACH_WAIT_MILLIS;
    return attempt(wanted, deadline);
  }

  private Future<String> attempt(String wanted, long deadline) {
    return bound
        .box()
        .attach(bound.attachment(wanted))
        .map(
            answer -> {
              String resource = answer.getString("resource");
              bound.bound(resource);
              return resource;
            })
        .recover(
            e -> {
              if (BoundSession.status(e) != 503 || bound.isEnded() || session.isClosed()) {
                return Future.failedFuture(e);
              }
              return ownDeviceUp()
                  .compose(
                      up -> {
                        if (!up) {
                          return Future.failedFuture(
                              new IllegalStateException(
                                  "None of "
                                      + session.owner()
                                      + "'s own devices is up, and chat runs only on them;"
                                      + " start one of them and connect again"));
                        }
                        if (System.currentTimeMillis() > deadline) {
                          return Future.failedFuture(
                              new IllegalStateException(
                                  session.owner()
                                      + "'s chat is moving between devices; connect again"));
                        }
                        Future<Void> later =
                            Future.future(
                                p ->
                                    session
                                        .server()
                                        .context()
                                        .vertx()
                                        .setTimer(500, t -> p.complete()));
                        return later.compose(v -> attempt(wanted, deadline));
                      });
            });
  }

  private Future<Boolean> ownDeviceUp() {
    return session
        .server()
        .context()
        .directory()
        .devices()
        .map(
            (List<MeshDirectory.Device> devices) ->
                devices.isEmpty()
                    || devices.stream()
                        .anyMatch(d -> session.owner().equals(d.owner()) && d.alive()));
  }

  /** {@code <resume previd='...' h='n'/>}: takes over a broken session of the same owner. */
  void resume(XmlElement el) {
    String[] id = StreamManagement.parseId(String.valueOf(el.attr("previd")));
    long h = BoundSession.parseH(el.attr("h"));
    if (bound.resource() != null) {
      failed("unexpected-request");
      return;
    }
    if (id == null || h < 0) {
      // XEP-0198 §5: an id this server never made names no session it knows (item-not-found);
      // a missing or malformed h makes the request a bad one.
      failed(id == null ? "item-not-found" : "bad-request");
      return;
    }
    session.pause();
    takeOver(id[0], id[1], id[2])
        .compose(
            state -> {
              if (state == null || !session.owner().equals(state.getString("owner"))) {
                return Future.failedFuture(new IllegalStateException("no such session"));
              }
              List<String> again = bound.sm().adopt(state, h);
              bound.restore(state);
              return attach(state.getString("resource"))
                  .map(
                      resource -> {
                        session.write(
                            "<resumed xmlns='"
                                + Ns.SM
                                + "' previd='"
                                + el.attr("previd")
                                + "' h='"
                                + bound.sm().handled()
                                + "'/>");
                        again.forEach(session::write);
                        session.server().metrics().event("resumed");
                        return null;
                      });
            })
        .onComplete(
            ar -> {
              session.resume();
              if (ar.failed()) {
                log.info(
                    "{}: {} could not resume an XMPP session: {}",
                    session.server().device(),
                    session.owner(),
                    ar.cause().getMessage());
                failed("item-not-found");
              }
            });
  }

  private Future<JsonObject> takeOver(String device, String sessionId, String secret) {
    if (device.equals(session.server().device())) {
      XmppSession old = session.server().session(sessionId);
      if (old == null) {
        return Future.succeededFuture(null);
      }
      io.vertx.core.Promise<JsonObject> handed = io.vertx.core.Promise.promise();
      old.onContext(() -> handed.complete(old.handOver(secret)));
      return handed.future();
    }
    DeliveryOptions options =
        new DeliveryOptions()
            .addHeader(ChatBox.SESSION_HEADER, sessionId)
            .addHeader("kith-takeover", secret)
            .setSendTimeout(5_000);
    return session
        .server()
        .context()
        .vertx()
        .eventBus()
        .<JsonObject>request(ChatBox.sessionsOf(device), "", options)
        .map(m -> m.body());
  }

  private void failed(String condition) {
    session.server().metrics().event("resume-failed");
    session.write(
        "<failed xmlns='"
            + Ns.SM
            + "'><"
            + condition
            + " xmlns='"
            + Ns.STANZA_ERRORS
            + "'/></failed>");
  }
}
