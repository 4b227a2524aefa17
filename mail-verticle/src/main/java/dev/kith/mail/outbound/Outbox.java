package dev.kith.mail.outbound;

import dev.kith.mail.api.Outbound;
import dev.kith.mail.mailbox.Delivery;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The outbound queue: remote recipients' mail waiting for the one-per-mesh sender ({@link
 * OutboundInstance}). Each entry is a record in the reserved vault {@value #VAULT_OWNER}, one per
 * (Message-ID, recipient), under {@code outbox/<sha256(messageId + "\n" + recipient)>}; the
 * message's bytes stay an object in the sender's own vault. An entry moves through {@code queued}
 * (waiting, or deferred until {@code nextAttemptAt}), {@code sending} (claimed by one sender
 * instance), then {@code delivered}, {@code bouncing} and {@code bounced}, or {@code unknown} and
 * {@code in_doubt}; finished entries move to {@code done/<same hash>}, so that the queue the sender
 * scans every second stays small and queueing the same message again still finds them. See
 * docs/mail.md, "Outbound delivery and idempotency".
 */
public final class Outbox {

  /** The vault that holds the queue; {@code kith-} names belong to the mesh itself. */
  public static final String VAULT_OWNER = "kith-mail";

  /** Queue entries that are not finished. */
  public static final String QUEUE_PREFIX = "outbox/";

  /** Finished entries (delivered, bounced, in doubt), kept so a re-queue cannot resend them. */
  public static final String DONE_PREFIX = "done/";

  static final String QUEUED = "queued";
  static final String SENDING = "sending";
  static final String DELIVERED = "delivered";
  static final String BOUNCING = "bouncing";
  static final String BOUNCED = "bounced";
  static final String UNKNOWN = "unknown";
  static final String IN_DOUBT = "in_doubt";

  private static final int PAGE = 1000;

  private Outbox() {}

  /**
   * Every live record under {@code prefix}, page by page. Pages follow the vault's own cursor when
   * it offers one ({@link Vault#scanPage}): deleted entries count toward a page's size without
   * being returned, so a short page does not mean the end.
   */
  public static Future<List<StoredRecord>> scanAll(Vault vault, String prefix) {
    List<StoredRecord> out = new ArrayList<>();
    return scanFrom(vault, prefix, null, out).map(v -> out);
  }

  private static Future<Void> scanFrom(
      Vault vault, String prefix, String after, List<StoredRecord> out) {
    return vault
        .scanPage(VAULT_OWNER, prefix, after, PAGE)
        .compose(
            page -> {
              out.addAll(page.records());
              return page.next() == null
                  ? Future.succeededFuture()
                  : scanFrom(vault, prefix, page.next(), out);
            });
  }

  /** The hash that names the entry of ({@code messageId}, {@code recipient}). */
  public static String entryId(String messageId, String recipient) {
    String both = (messageId == null ? "" : messageId) + "\n" + recipient;
    return HexFormat.of().formatHex(Delivery.sha256(both.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Queues a message that {@code sender} stored in their vault as object {@code objectId}, for each
   * of {@code recipients} (remote addresses). The future completes once the queue entries are
   * durable (the vault's write quorum); then the outbound sender is told to look. An entry that
   * already exists, queued or finished, is left as it is: queueing the same message again never
   * sends it twice.
   */
  public static Future<Void> enqueue(
      ServiceContext context,
      String sender,
      String objectId,
      String messageId,
      String envelopeFrom,
      List<String> recipients) {
    Vault vault = context.vault();
    Set<String> unique = new LinkedHashSet<>();
    recipients.forEach(r -> unique.add(r.trim()));
    // Without a Message-ID, the object id (a hash of the bytes) names the message.
    String id = messageId == null || messageId.isBlank() ? "sha256:" + objectId : messageId;
    List<Future<?>> writes = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (String rcpt : unique) {
      String hash = entryId(id, rcpt);
      JsonObject entry =
          new JsonObject()
              .put("sender", sender)
              .put("object", objectId)
              .put("messageId", id)
              .put("envelopeFrom", envelopeFrom)
              .put("recipient", rcpt)
              .put("created", now)
              .put("attempts", 0)
              .put("nextAttemptAt", now)
              .put("state", QUEUED)
              .put("lastError", (String) null);
      // Read the queue first, then the finished entries: the sender writes done/ before it
      // deletes outbox/, so an entry moving between the two reads is still seen.
      writes.add(
          vault
              .getRecord(VAULT_OWNER, QUEUE_PREFIX + hash)
              .compose(
                  queued ->
                      queued != null
                          ? Future.succeededFuture((StoredRecord) queued)
                          : vault.getRecord(VAULT_OWNER, DONE_PREFIX + hash))
              .compose(
                  existing ->
                      existing != null
                          ? Future.succeededFuture()
                          : vault.putRecord(VAULT_OWNER, QUEUE_PREFIX + hash, entry)));
    }
    return Future.all(writes)
        .<Void>mapEmpty()
        .onSuccess(
            // The sender scans every second anyway; told now, it sends now. It may be moving.
            done -> context.proxy(Outbound.class, Outbound.ADDRESS).wake().otherwiseEmpty());
  }
}
