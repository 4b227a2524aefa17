package dev.kith.chat.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;

/**
 * One session's stream management (XEP-0198): how many stanzas from the client were handled ({@code
 * h} in), what was sent and not yet acknowledged, and the resumption id. A handled stanza is one
 * the owner's instance made durable, so an {@code <a h='n'/>} the server sends promises that the
 * first n stanzas survive a failover.
 */
final class StreamManagement {

  /** How long a broken session waits for its client to resume it. */
  static final int RESUME_SECONDS = 300;

  /** The most unacknowledged stanzas kept for a client; past it the session is not resumable. */
  static final int MAX_UNACKED = 1_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  private record Sent(long seq, String xml) {}

  private boolean enabled;
  private boolean resumable;
  private String secret;
  private long handled;
  private long sent;
  private final Deque<Sent> unacked = new ArrayDeque<>();
  private boolean overflowed;

  boolean enabled() {
    return enabled;
  }

  boolean resumable() {
    return enabled && resumable && !overflowed;
  }

  /** Turns it on; answers the resumption id when {@code resume}, else null. */
  String enable(boolean resume, String device, String session) {
    enabled = true;
    resumable = resume;
    if (!resume) {
      return null;
    }
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return resumptionId(device, session, secret);
  }

  static String resumptionId(String device, String session, String secret) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(
            (device + "/" + session + "/" + secret)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** {@code [device, session, secret]} of a resumption id, or null when it is not one. */
  static String[] parseId(String id) {
    try {
      String text =
          new String(Base64.getUrlDecoder().decode(id), java.nio.charset.StandardCharsets.UTF_8);
      String[] parts = text.split("/", 3);
      return parts.length == 3 ? parts : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  boolean secretMatches(String candidate) {
    return secret != null
        && java.security.MessageDigest.isEqual(
            secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            candidate.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  void handledOne() {
    handled++;
  }

  long handled() {
    return handled;
  }

  /** Counts a stanza sent to the client, kept until the client acknowledges it. */
  void sentOne(String xml) {
    if (!enabled) {
      return;
    }
    sent++;
    unacked.add(new Sent(sent, xml));
    if (unacked.size() > MAX_UNACKED) {
      unacked.poll();
      overflowed = true;
    }
  }

  /** The client acknowledged the first {@code h} stanzas; false when h is more than was sent. */
  boolean acknowledged(long h) {
    if (h > sent) {
      return false;
    }
    while (!unacked.isEmpty() && unacked.peek().seq() <= h) {
      unacked.poll();
    }
    return true;
  }

  int unackedCount() {
    return unacked.size();
  }

  /** What a session on another device needs to resume this one. */
  JsonObject export() {
    JsonArray pending = new JsonArray();
    unacked.forEach(s -> pending.add(new JsonObject().put("seq", s.seq()).put("xml", s.xml())));
    return new JsonObject()
        .put("handled", handled)
        .put("sent", sent)
        .put("secret", secret)
        .put("unacked", pending);
  }

  /**
   * Takes over an exported state; answers the stanzas the client has not acknowledged, given it
   * acknowledged {@code h}, to send again.
   */
  java.util.List<String> adopt(JsonObject state, long h) {
    enabled = true;
    resumable = true;
    handled = state.getLong("handled", 0L);
    sent = state.getLong("sent", 0L);
    secret = state.getString("secret");
    java.util.List<String> again = new java.util.ArrayList<>();
    for (Object o : state.getJsonArray("unacked", new JsonArray())) {
      JsonObject s = (JsonObject) o;
      if (s.getLong("seq") > h) {
        unacked.add(new Sent(s.getLong("seq"), s.getString("xml")));
        again.add(s.getString("xml"));
      }
    }
    return again;
  }
}
