package dev.kith.mail;

import io.vertx.core.json.JsonObject;

/**
 * Reads RFC 5322 messages with mime4j. CONTRACT ONLY: the parsing helper replaces this file.
 *
 * <p>{@link #summary} gives what a mailbox keeps and lists for each message: {@code messageId}
 * (without angle brackets, or null), {@code subject}, {@code from}, {@code to} and {@code cc} (JSON
 * arrays of decoded addresses as {@code "Name <a@b>"} or {@code "a@b"}), {@code date} (epoch
 * millis, or null), {@code inReplyTo} (or null), {@code references} (array), {@code thread} (the
 * root message id: first of References, else In-Reply-To, else its own Message-ID, else null),
 * {@code snippet} (the first 200 characters of its text), {@code text} (at most 4096 characters of
 * its plain text, for search), {@code attachments} (how many) and {@code size} (bytes).
 */
public final class MessageParser {

  private MessageParser() {}

  /** What a mailbox lists of a message; see the class comment. Never throws on bad input. */
  public static JsonObject summary(byte[] raw) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * The whole message for display: {@code headers} (array of {name, value}, decoded), the summary
   * fields, {@code text}, {@code html} (sanitized, or null) and {@code attachments} (array of
   * {index, filename, mediaType, size}).
   */
  public static JsonObject parse(byte[] raw) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Attachment {@code index} (from 0), or null when there is no such attachment. */
  public static Attachment attachment(byte[] raw, int index) {
    throw new UnsupportedOperationException("not yet");
  }

  /** One attachment's decoded bytes. */
  public record Attachment(String filename, String mediaType, byte[] bytes) {}
}
