package dev.kith.mail;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Writes outgoing messages. CONTRACT ONLY: the parsing helper replaces this file. */
public final class MessageBuilder {

  private MessageBuilder() {}

  /**
   * A new RFC 5322 message from a send request: {@code to}, {@code cc}, {@code bcc} (arrays of
   * addresses), {@code subject}, {@code text}, optional {@code html}, optional {@code inReplyTo}
   * and {@code references}, optional {@code attachments} ({filename, mediaType, base64}). Bcc is
   * not written into the headers.
   *
   * @throws IllegalArgumentException with a message fit for the user when the request is invalid
   */
  public static byte[] compose(JsonObject request, String from, String messageId, Instant date) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * The envelope recipients of a send request: every address of {@code to}, {@code cc} and {@code
   * bcc}, bare ({@code a@b}), without repeats.
   *
   * @throws IllegalArgumentException when there is none, too many, or one is not an address
   */
  public static java.util.List<String> envelopeRecipients(JsonObject request) {
    throw new UnsupportedOperationException("not yet");
  }

  /** A new unique Message-ID in {@code domain}, without angle brackets. */
  public static String newMessageId(String domain) {
    throw new UnsupportedOperationException("not yet");
  }
}
