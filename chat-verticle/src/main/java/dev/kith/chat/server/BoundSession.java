package dev.kith.chat.server;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.Stanzas;
import dev.kith.chat.api.ChatBox;
import dev.kith.chat.xml.XmlElement;
import dev.kith.mesh.spi.ServiceFailure;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The authenticated part of a session: resource binding, stream management (XEP-0198) and client
 * state indication (XEP-0352), and the stanzas between the client and the owner's chat instance,
 * wherever it runs. The client's stanzas go to the instance one at a time, in order; each counts as
 * handled (and is acknowledged) once the instance answered for it. While the instance moves (503),
 * a stanza is tried again for up to {@link #RETRY_MILLIS}, under the same origin key, so it is
 * handled once.
 */
final class BoundSession {

  static final long RETRY_MILLIS = 30_000;
  private static final long RETRY_STEP_MILLIS = 500;
  private static final int MAX_QUEUED = 500;
  private static final int MAX_HELD_PRESENCES = 200;
  private static final int RECENT_IDS = 2_000;

  private final XmppSession session;
  private final ChatBox box;
  private final StreamManagement sm = new StreamManagement();
  private final Deque<XmlElement> queue = new ArrayDeque<>();
  private final Set<String> recent = new LinkedHashSet<>();
  private final Deque<String> held = new ArrayDeque<>();
  private final RateLimit rate;
  private boolean busy;
  private String resource;
  private XmlElement presence;
  private boolean carbons;
  private String lastArchiveId;
  private boolean inactive;
  private long counter;
  private boolean ended;
  private long resumeTimer = -1;
  private final Binding binding;

  BoundSession(XmppSession session) {
    this.session = session;
    this.box = session.server().context().proxy(ChatBox.class, ChatBox.address(session.owner()));
    this.rate = new RateLimit(session.config().stanzasPerSecond());
    this.binding = new Binding(session, this);
  }

  void fromClient(XmlElement el) {
    if (Ns.SM.equals(el.namespace())) {
      streamManagement(el);
      return;
    }
    if (Ns.CSI.equals(el.namespace())) {
      inactive = el.name().equals("inactive");
      if (!inactive) {
        held.forEach(session::write);
        held.clear();
      }
      return;
    }
    if (!Ns.CLIENT.equals(el.namespace())
        || !(el.name().equals("message")
            || el.name().equals("presence")
            || el.name().equals("iq"))) {
      session.fail("unsupported-stanza-type", "Not a stanza: " + el.name());
      return;
    }
    if (resource == null) {
      binding.beforeBind(el);
      return;
    }
    String from = el.attr("from");
    Jid full = fullJid();
    if (from != null && !from.equals(full.toString()) && !from.equals(full.bare().toString())) {
      session.fail("invalid-from", "A stanza's from must be your own address");
      return;
    }
    if (!rate.take()) {
      session.server().metrics().event("throttled");
      session.pause();
      session.server().context().vertx().setTimer(rate.waitMillis(), t -> session.resume());
    }
    if (queue.size() >= MAX_QUEUED) {
      session.fail("policy-violation", "Too many stanzas waiting; slow down");
      return;
    }
    queue.add(el.toBuilder().attr("from", full.toString()).build());
    if (el.name().equals("presence") && el.attr("to") == null) {
      String type = el.attr("type");
      presence = type == null ? el.toBuilder().attr("from", full.toString()).build() : null;
    }
    if (el.name().equals("iq") && el.child("enable", Ns.CARBONS) != null) {
      carbons = true;
    } else if (el.name().equals("iq") && el.child("disable", Ns.CARBONS) != null) {
      carbons = false;
    }
    next();
  }

  /** Sends the next queued stanza to the instance, when none is on its way. */
  private void next() {
    if (busy || queue.isEmpty() || ended) {
      return;
    }
    busy = true;
    XmlElement el = queue.peek();
    String origin = session.server().device() + "/" + session.id() + "/" + (++counter);
    send(el, origin, System.currentTimeMillis() + RETRY_MILLIS);
  }

  private void send(XmlElement el, String origin, long deadline) {
    box.fromClient(session.server().device(), session.id(), origin, el.toXml(Ns.CLIENT))
        .onComplete(
            ar -> {
              if (ended) {
                return;
              }
              if (ar.succeeded()) {
                handled();
                return;
              }
              int status = status(ar.cause());
              if (status == 409) {
                // The instance that runs now does not know this session: attach, then again.
                binding.attach(resource).onComplete(v -> retryLater(el, origin, deadline));
              } else if (status == 503 && System.currentTimeMillis() < deadline) {
                retryLater(el, origin, deadline);
              } else {
                if (!Stanzas.isAnswer(el)) {
                  session.write(
                      Stanzas.error(
                              el,
                              status == 400 ? "modify" : "wait",
                              status == 400 ? "bad-request" : "resource-constraint",
                              status == 400
                                  ? ar.cause().getMessage()
                                  : "Your chat is moving between your devices; try again")
                          .toXml(Ns.CLIENT));
                }
                handled();
              }
            });
  }

  private void retryLater(XmlElement el, String origin, long deadline) {
    session.server().metrics().event("retry");
    session
        .server()
        .context()
        .vertx()
        .setTimer(
            RETRY_STEP_MILLIS,
            t -> {
              if (!ended) {
                send(el, origin, deadline);
              }
            });
  }

  private void handled() {
    queue.poll();
    sm.handledOne();
    busy = false;
    next();
  }

  static int status(Throwable e) {
    if (e instanceof ServiceFailure f) {
      return f.status();
    }
    if (e instanceof ReplyException r) {
      return r.failureCode() > 0 ? r.failureCode() : 503;
    }
    return 503;
  }

  private void streamManagement(XmlElement el) {
    switch (el.name()) {
      case "enable" -> {
        if (resource == null || sm.enabled()) {
          session.write(
              "<failed xmlns='"
                  + Ns.SM
                  + "'><unexpected-request xmlns='"
                  + Ns.STANZA_ERRORS
                  + "'/></failed>");
          return;
        }
        boolean resume = "true".equals(el.attr("resume")) || "1".equals(el.attr("resume"));
        String id = sm.enable(resume, session.server().device(), session.id());
        session.write(
            XmlElement.builder("enabled", Ns.SM)
                .attr("id", id)
                .attr("resume", id == null ? null : "true")
                .attr("max", id == null ? null : Integer.toString(StreamManagement.RESUME_SECONDS))
                .build()
                .toXml(Ns.CLIENT));
      }
      case "r" -> session.write("<a xmlns='" + Ns.SM + "' h='" + sm.handled() + "'/>");
      case "a" -> {
        long h = parseH(el.attr("h"));
        if (h < 0 || !sm.acknowledged(h)) {
          session.fail("undefined-condition", "The client acknowledged more than it was sent");
        }
      }
      case "resume" -> binding.resume(el);
      default -> session.fail("unsupported-stanza-type", "Unknown stream management element");
    }
  }

  static long parseH(String h) {
    try {
      long v = Long.parseLong(h);
      return v < 0 || v > 0xffffffffL ? -1 : v;
    } catch (NumberFormatException | NullPointerException e) {
      return -1;
    }
  }

  /** A stanza from the owner's instance for this session's client. */
  void fromInstance(String xml, String archiveId) {
    if (archiveId != null) {
      if (!recent.add(archiveId)) {
        session.server().metrics().event("duplicate-dropped");
        return;
      }
      if (recent.size() > RECENT_IDS) {
        recent.remove(recent.iterator().next());
      }
      if (lastArchiveId == null || archiveId.compareTo(lastArchiveId) > 0) {
        lastArchiveId = archiveId;
      }
    }
    session
        .server()
        .metrics()
        .stanza(
            "out",
            xml.startsWith("<message")
                ? "message"
                : xml.startsWith("<presence") ? "presence" : "iq");
    if (inactive && xml.startsWith("<presence") && held.size() < MAX_HELD_PRESENCES) {
      held.add(xml);
      sm.sentOne(xml);
      return;
    }
    sm.sentOne(xml);
    session.write(xml);
  }

  void attachAgain() {
    if (resource != null && !ended) {
      binding.attach(resource);
    }
  }

  /** The connection ended; {@code broken}: without a closing stream tag (it may be resumed). */
  void ended(boolean broken) {
    if (ended) {
      return;
    }
    if (broken && sm.resumable() && resource != null) {
      session.server().metrics().event("waiting-for-resume");
      resumeTimer =
          session
              .server()
              .context()
              .vertx()
              .setTimer(StreamManagement.RESUME_SECONDS * 1000L, t -> detach());
      session.server().keepForResume(session);
      return;
    }
    detach();
  }

  private void detach() {
    ended = true;
    session.server().forget(session);
    if (resource != null) {
      box.detach(session.server().device(), session.id());
    }
  }

  /** This session's state for a session on another device that resumes it; this one ends. */
  JsonObject handOver(String secret) {
    if (!sm.resumable() || secret == null || !sm.secretMatches(secret)) {
      return null;
    }
    JsonObject state =
        sm.export()
            .put("owner", session.owner())
            .put("resource", resource)
            .put("carbons", carbons)
            .put("since", lastArchiveId)
            .put("presence", presence == null ? null : presence.toXml(Ns.CLIENT));
    ended = true;
    if (resumeTimer >= 0) {
      session.server().context().vertx().cancelTimer(resumeTimer);
    }
    session.server().forget(session);
    session.drop();
    return state;
  }

  // For Binding

  StreamManagement sm() {
    return sm;
  }

  ChatBox box() {
    return box;
  }

  void bound(String resource) {
    this.resource = resource;
  }

  String resource() {
    return resource;
  }

  Jid fullJid() {
    return session.bare().withResource(resource);
  }

  JsonObject attachment(String wanted) {
    return new JsonObject()
        .put("device", session.server().device())
        .put("session", session.id())
        .put("resource", wanted == null ? "" : wanted)
        .put("carbons", carbons)
        .put("since", lastArchiveId)
        .put("presence", presence == null ? null : presence.toXml(Ns.CLIENT));
  }

  void restore(JsonObject state) {
    carbons = state.getBoolean("carbons", false);
    lastArchiveId = state.getString("since");
    String p = state.getString("presence");
    presence = p == null ? null : XmlElement.parse(p, Ns.CLIENT);
  }

  boolean isEnded() {
    return ended;
  }
}
