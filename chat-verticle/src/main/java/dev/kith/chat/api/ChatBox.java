package dev.kith.chat.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One owner's chat, as the owner's one chat instance serves it, on one of the owner's own devices:
 * the roster, the presences of the owner's resources, the message archive, offline messages, the
 * block list, the vCard and PEP nodes. XMPP sessions on any device attach to it and hand it their
 * stanzas; it sends stanzas for a session to the session's device ({@link #sessionsOf}). Every
 * change a method answers for is durable in the owner's vault before its future completes, so a
 * session acknowledges a stanza (XEP-0198) only after that. Failures carry an HTTP-like status: 400
 * for a bad stanza, 503 while the instance moves or the vault cannot make a change durable.
 */
@ProxyGen
@VertxGen
public interface ChatBox {

  /** The address of {@code owner}'s chat instance. */
  static String address(String owner) {
    return "kith.chat." + owner;
  }

  /**
   * Where {@code device}'s XMPP sessions take stanzas from instances: the body is the stanza's XML,
   * the header {@value #SESSION_HEADER} names the session.
   */
  static String sessionsOf(String device) {
    return "kith.chat.sessions." + device;
  }

  /**
   * Where a chat instance that has just started publishes its owner's name: every device's sessions
   * of that owner attach again, so the new instance learns who is online.
   */
  String STARTED_ADDRESS = "kith.chat.started";

  /** The header that names the session a stanza is for. */
  String SESSION_HEADER = "kith-session";

  /**
   * A session of this owner was bound, or attaches again after the instance moved: {@code {device,
   * session, resource, presence?, priority?, carbons?, since?}}, where {@code resource} is the
   * resource the session asks for (an empty string: the server picks one), {@code presence} its
   * last available presence, and {@code since} the archive id of the last stanza it delivered (the
   * instance sends what was archived for the owner after it). Answers {@code {resource}}: the
   * resource the session is bound to.
   */
  Future<JsonObject> attach(JsonObject session);

  /**
   * Which of {@code sessions} (ids of sessions on {@code device}) this instance does not know:
   * {@code {unknown: [ids]}}. Each device asks every few seconds for the owners it has sessions of,
   * and those sessions attach again: after the instance moved and its call to attach again was
   * lost, or after the device itself was cut off for a while.
   */
  Future<JsonObject> unknown(String device, List<String> sessions);

  /** A session of this owner ended: its resource goes unavailable. */
  Future<Void> detach(String device, String session);

  /**
   * A stanza from one of the owner's sessions, its {@code from} already set to the session's full
   * JID. Answers {@code {}} once the stanza is handled (durable where it changes something);
   * replies go to the session over the event bus.
   *
   * @param origin a key unique to this stanza ({@code device/session/count}): a stanza sent again
   *     after a failure that hid whether it was handled is handled once
   */
  Future<JsonObject> fromClient(String device, String session, String origin, String stanza);

  /**
   * A stanza from another owner of this mesh, addressed to this owner (bare or full JID). Answers
   * once the owner's vault holds what must survive (a message in the archive, a subscription
   * request), so the sender's instance may forget it.
   *
   * @param origin the key the sender's session gave the stanza: a message delivered twice (its
   *     first delivery's answer was lost) is archived and routed once
   */
  Future<JsonObject> deliver(String origin, String stanza);
}
