package dev.kith.mail.mailbox;

import dev.kith.mail.api.Mailboxes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Tells the owner's IMAP sessions on every device which mailboxes changed, so that an IDLE session
 * hears of a new message within a second wherever it was delivered. Changes within {@value
 * #COALESCE_MILLIS} ms go out as one event. An event is only a hint: a session that hears one asks
 * the mailbox instance what changed, so a lost event delays a session's news until its next command
 * or poll, and never makes it wrong.
 */
final class MailChanges {

  static final long COALESCE_MILLIS = 20;

  private final Vertx vertx;
  private final String address;
  private final Set<String> pending = new LinkedHashSet<>();
  private boolean scheduled;

  MailChanges(Vertx vertx, String owner) {
    this.vertx = vertx;
    this.address = Mailboxes.changesAddress(owner);
  }

  /** Notes that {@code box} changed. */
  void touch(String box) {
    pending.add(box);
    if (!scheduled) {
      scheduled = true;
      vertx.setTimer(COALESCE_MILLIS, t -> flush());
    }
  }

  private void flush() {
    scheduled = false;
    if (pending.isEmpty()) {
      return;
    }
    JsonObject event = new JsonObject().put("boxes", new JsonArray(java.util.List.copyOf(pending)));
    pending.clear();
    vertx.eventBus().publish(address, event);
  }
}
