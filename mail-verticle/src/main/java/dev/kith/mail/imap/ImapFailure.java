package dev.kith.mail.imap;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * A command that ends with a tagged {@code NO} or {@code BAD}: {@link #reply} is the text after the
 * tag, response code included ({@code NO [TRYCREATE] No mailbox 'x'}).
 */
final class ImapFailure extends RuntimeException {

  final String reply;

  private ImapFailure(String reply) {
    super(reply, null, false, false);
    this.reply = reply;
  }

  static ImapFailure no(String text) {
    return new ImapFailure("NO " + text);
  }

  static ImapFailure bad(String text) {
    return new ImapFailure("BAD " + text);
  }

  /**
   * The tagged reply for a failure of the mailbox instance or the vault: the caller's mistakes as
   * {@code NO} with the instance's own words, and a mailbox on the move as {@code NO [UNAVAILABLE]}
   * that invites a retry.
   */
  static String replyFor(Throwable e) {
    if (e instanceof ImapFailure f) {
      return f.reply;
    }
    if (e instanceof ReplyException r && r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return code(r.failureCode(), r.getMessage());
    }
    if (e instanceof IllegalArgumentException) {
      return "BAD " + e.getMessage();
    }
    return "NO [UNAVAILABLE] The mailbox cannot answer now (" + e.getMessage() + "); try again";
  }

  private static String code(int status, String message) {
    return switch (status) {
      case 400 -> "NO [CANNOT] " + message;
      case 404 -> "NO [NONEXISTENT] " + message;
      case 409 -> "NO [ALREADYEXISTS] " + message;
      default -> "NO [UNAVAILABLE] " + message + "; try again";
    };
  }

  /**
   * A failure of a command that names a target mailbox: an unknown one is {@code NO [TRYCREATE]}
   * (RFC 3501 §6.3.11), so that the client can CREATE it and try again.
   */
  static <T> io.vertx.core.Future<T> tryCreate(Throwable e, String box) {
    return io.vertx.core.Future.failedFuture(
        replyFor(e).startsWith("NO [NONEXISTENT]")
            ? no("[TRYCREATE] No mailbox '" + box + "'")
            : e);
  }
}
