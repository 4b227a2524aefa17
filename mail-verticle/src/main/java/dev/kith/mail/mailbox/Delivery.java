package dev.kith.mail.mailbox;

import dev.kith.mail.MailConfig;
import dev.kith.mail.api.Mailboxes;
import dev.kith.mail.mime.MessageParser;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Files a message into an owner's mailbox, from any device: the edge parses it and hands its bytes
 * to the owner's mailbox instance (wherever it runs), which files it under a stable id, writing the
 * bytes (a vault object) and the message's record in one vault write. The future completes only
 * when the vault holds both durably, with its write quorum; a failure means the message may not be
 * kept and the sender must try again (SMTP 451, HTTP 503). Trying again is safe: a message's id
 * comes from its Message-ID (or, without one, from its bytes), so the mailbox keeps one copy
 * however often it arrives.
 */
public final class Delivery {

  /** The mailboxes every owner has. */
  public static final List<String> STANDARD_BOXES =
      List.of("INBOX", "Sent", "Drafts", "Trash", "Archive", "Junk");

  private Delivery() {}

  /**
   * A message to file.
   *
   * @param raw the bytes as they will be stored (with the Received header already added)
   * @param dedupeKey what makes two arrivals the same message: {@code "<message-id>"} when it has
   *     one, else a hash of the bytes as the sender sent them
   * @param box the mailbox to file it in
   * @param flags its flags ({@code seen}, {@code flagged}, {@code answered})
   */
  public record Incoming(byte[] raw, String dedupeKey, String box, List<String> flags) {}

  /**
   * Files {@code message} for {@code owner}; the future gives {@code {id, uid, box, duplicate}}.
   * Parsing runs on a worker.
   */
  public static Future<JsonObject> deliver(ServiceContext context, String owner, Incoming message) {
    String id = messageId(owner, message.dedupeKey());
    record Parsed(JsonObject summary, String object) {}
    return context
        .vertx()
        .executeBlocking(
            () ->
                new Parsed(
                    MessageParser.summary(message.raw()),
                    HexFormat.of().formatHex(sha256(message.raw()))),
            false)
        .compose(
            parsed ->
                context
                    .proxy(Mailboxes.class, Mailboxes.address(owner))
                    .deliver(
                        id,
                        parsed.object(),
                        message.box(),
                        message.flags(),
                        parsed.summary(),
                        Buffer.buffer(message.raw())));
  }

  /** The dedupe key of a message: its Message-ID, else the SHA-256 of {@code original}. */
  public static String dedupeKey(String messageId, byte[] original) {
    if (messageId != null && !messageId.isBlank()) {
      return "<" + messageId.trim() + ">";
    }
    return "sha256:" + HexFormat.of().formatHex(sha256(original));
  }

  /** The stable id of a message in {@code owner}'s mailbox. */
  public static String messageId(String owner, String dedupeKey) {
    byte[] hash = sha256((owner + "\n" + dedupeKey).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(hash, 0, 16);
  }

  /**
   * The owner a mesh address belongs to, or {@code null} when the address is not in one of the
   * mesh's domains. The owner may still not exist: see {@link #isOwner}.
   */
  public static String localOwner(MailConfig mail, String address) {
    if (address == null) {
      return null;
    }
    int at = address.lastIndexOf('@');
    if (at <= 0 || at == address.length() - 1) {
      return null;
    }
    String domain = address.substring(at + 1).toLowerCase(Locale.ROOT);
    if (!mail.domains().contains(domain)) {
      return null;
    }
    String local = address.substring(0, at).toLowerCase(Locale.ROOT);
    // Subaddresses (alice+lists@) reach alice.
    int plus = local.indexOf('+');
    return plus > 0 ? local.substring(0, plus) : local;
  }

  /** Whether {@code owner} has an account in the mesh; answers are cached briefly. */
  public static Future<Boolean> isOwner(ServiceContext context, String owner) {
    return context.owners().exists(owner);
  }

  /** The SHA-256 of {@code bytes}. */
  public static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
