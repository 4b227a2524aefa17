package dev.kith.mail.mailbox;

import dev.kith.mail.MailConfig;
import dev.kith.mail.outbound.Outbox;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Mail that an owner sends, by {@code POST /api/mail/send} or by authenticated SMTP submission: a
 * copy goes into the sender's Sent, mail to the mesh's own owners goes straight into their INBOX
 * and never leaves the mesh, and mail to anyone else is queued in the vault for the outbound
 * sender. The future completes once all of that is durable.
 */
public final class Submission {

  private Submission() {}

  /**
   * Submits {@code raw} from {@code owner} to {@code recipients}; the future gives {@code {id,
   * messageId, local:[..], queued:[..]}}.
   *
   * @throws IllegalArgumentException (as a failed future) for a local recipient that does not exist
   */
  public static Future<JsonObject> submit(
      ServiceContext context,
      String owner,
      String messageId,
      String envelopeFrom,
      List<String> recipients,
      byte[] raw) {
    MailConfig mail = context.config(MailConfig.class);
    Set<String> unique = new LinkedHashSet<>();
    recipients.forEach(r -> unique.add(r.trim()));
    List<String> local = new ArrayList<>();
    List<String> remote = new ArrayList<>();
    for (String rcpt : unique) {
      if (Delivery.localOwner(mail, rcpt) != null) {
        local.add(rcpt);
      } else {
        remote.add(rcpt);
      }
    }
    String dedupe = Delivery.dedupeKey(messageId, raw);
    return checkLocal(context, mail, local)
        .compose(
            checked ->
                Delivery.deliver(
                    context, owner, new Delivery.Incoming(raw, dedupe, "Sent", List.of("seen"))))
        .compose(
            sent -> {
              List<Future<?>> steps = new ArrayList<>();
              Set<String> owners = new LinkedHashSet<>();
              local.forEach(r -> owners.add(Delivery.localOwner(mail, r)));
              for (String to : owners) {
                steps.add(
                    Delivery.deliver(
                        context, to, new Delivery.Incoming(raw, dedupe, "INBOX", List.of())));
              }
              if (!remote.isEmpty()) {
                steps.add(
                    Outbox.enqueue(
                        context, owner, sent.getString("object"), messageId, envelopeFrom, remote));
              }
              return Future.all(steps)
                  .map(
                      done ->
                          new JsonObject()
                              .put("id", sent.getString("id"))
                              .put("messageId", messageId)
                              .put("local", new JsonArray(local))
                              .put("queued", new JsonArray(remote)));
            });
  }

  private static Future<Void> checkLocal(
      ServiceContext context, MailConfig mail, List<String> local) {
    List<Future<Boolean>> checks = new ArrayList<>();
    for (String rcpt : local) {
      checks.add(Delivery.isOwner(context, Delivery.localOwner(mail, rcpt)));
    }
    return Future.all(checks)
        .compose(
            all -> {
              for (int i = 0; i < local.size(); i++) {
                if (!checks.get(i).result()) {
                  return Future.failedFuture(
                      new IllegalArgumentException(local.get(i) + " is not an owner of this mesh"));
                }
              }
              return Future.succeededFuture();
            });
  }
}
