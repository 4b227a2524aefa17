package dev.kith.mail.outbound;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The notices the outbound sender files in a sender's INBOX: a delivery status notification (RFC
 * 3464, {@code multipart/report; report-type=delivery-status}) when a message could not be
 * delivered, and a plain notice when its delivery status is unknown (the sender crashed after
 * handing the message over and before hearing the answer; see docs/mail.md). Both carry the
 * original message's header section ({@code text/rfc822-headers}), never its body.
 */
final class Bounce {

  private static final Pattern ENHANCED = Pattern.compile("\\b([245]\\.\\d{1,3}\\.\\d{1,3})\\b");
  private static final DateTimeFormatter RFC_5322 =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private Bounce() {}

  /** What the notices say about one queue entry. */
  record Failed(
      String domain,
      String to,
      String recipient,
      String messageId,
      long createdMillis,
      long nowMillis,
      String remote,
      String diagnostic,
      boolean expired) {}

  /** A DSN for a message that could not be delivered to {@code f.recipient()}. */
  static byte[] dsn(Failed f, byte[] original, String boundarySeed) {
    String boundary = "kith-dsn-" + boundarySeed;
    String status = status(f);
    String why =
        f.expired()
            ? "It could not be delivered for too long, so the mail system gave up."
            : "The recipient's mail server refused it permanently.";
    StringBuilder m = new StringBuilder();
    headers(m, f, "Undelivered mail: returned to sender", boundarySeed);
    m.append("Content-Type: multipart/report; report-type=delivery-status;\r\n")
        .append("\tboundary=\"")
        .append(boundary)
        .append("\"\r\n\r\n");
    m.append("--").append(boundary).append("\r\n");
    m.append("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    m.append("Your message to ")
        .append(f.recipient())
        .append(" was not delivered.\r\n")
        .append(why)
        .append("\r\n\r\n");
    if (f.diagnostic() != null) {
      m.append("The last answer was: ").append(oneLine(f.diagnostic())).append("\r\n\r\n");
    }
    m.append("Check the address, then send the message again.\r\n\r\n");
    m.append("--").append(boundary).append("\r\n");
    m.append("Content-Type: message/delivery-status\r\n\r\n");
    m.append("Reporting-MTA: dns; ").append(f.domain()).append("\r\n");
    m.append("Arrival-Date: ").append(date(f.createdMillis())).append("\r\n\r\n");
    m.append("Final-Recipient: rfc822; ").append(f.recipient()).append("\r\n");
    m.append("Action: failed\r\n");
    m.append("Status: ").append(status).append("\r\n");
    if (f.remote() != null) {
      m.append("Remote-MTA: dns; ").append(f.remote()).append("\r\n");
    }
    if (f.diagnostic() != null) {
      m.append("Diagnostic-Code: smtp; ").append(oneLine(f.diagnostic())).append("\r\n");
    }
    m.append("Last-Attempt-Date: ").append(date(f.nowMillis())).append("\r\n\r\n");
    originalHeaders(m, boundary, original);
    m.append("--").append(boundary).append("--\r\n");
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A notice that the delivery of a message to {@code f.recipient()} may or may not have worked.
   */
  static byte[] unknown(Failed f, byte[] original, String boundarySeed) {
    String boundary = "kith-unknown-" + boundarySeed;
    StringBuilder m = new StringBuilder();
    headers(m, f, "Delivery status unknown", boundarySeed);
    m.append("Content-Type: multipart/mixed; boundary=\"").append(boundary).append("\"\r\n\r\n");
    m.append("--").append(boundary).append("\r\n");
    m.append("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    m.append("Your message to ")
        .append(f.recipient())
        .append(" may or may not have been delivered.\r\n\r\n")
        .append("The device that was sending it stopped after handing it to ")
        .append(f.remote() == null ? "the recipient's mail server" : f.remote())
        .append(" and before hearing whether it was accepted. To never send a message twice,\r\n")
        .append("the mail system does not send it again by itself. If you get no answer,\r\n")
        .append("send it again yourself.\r\n\r\n");
    originalHeaders(m, boundary, original);
    m.append("--").append(boundary).append("--\r\n");
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void headers(StringBuilder m, Failed f, String subject, String seed) {
    m.append("From: Mail Delivery System <mailer-daemon@").append(f.domain()).append(">\r\n");
    m.append("To: <").append(f.to()).append(">\r\n");
    m.append("Subject: ").append(subject).append("\r\n");
    m.append("Date: ").append(date(f.nowMillis())).append("\r\n");
    m.append("Message-ID: <").append(seed).append("@").append(f.domain()).append(">\r\n");
    if (f.messageId() != null && !f.messageId().startsWith("sha256:")) {
      m.append("In-Reply-To: <").append(f.messageId()).append(">\r\n");
      m.append("References: <").append(f.messageId()).append(">\r\n");
    }
    m.append("Auto-Submitted: auto-replied\r\n");
    m.append("MIME-Version: 1.0\r\n");
  }

  private static void originalHeaders(StringBuilder m, String boundary, byte[] original) {
    if (original == null) {
      return;
    }
    m.append("--").append(boundary).append("\r\n");
    m.append("Content-Type: text/rfc822-headers\r\n\r\n");
    String text = new String(original, StandardCharsets.UTF_8);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      end = text.indexOf("\n\n");
    }
    String head = end < 0 ? text : text.substring(0, end);
    for (String line : head.split("\r?\n", -1)) {
      m.append(line).append("\r\n");
    }
    m.append("\r\n");
  }

  /** The RFC 3463 status: the reply's own enhanced code, else one that fits the failure. */
  static String status(Failed f) {
    if (f.expired()) {
      return "4.4.7";
    }
    if (f.diagnostic() != null) {
      Matcher m = ENHANCED.matcher(f.diagnostic());
      if (m.find() && m.group(1).startsWith("5")) {
        return m.group(1);
      }
    }
    return "5.0.0";
  }

  private static String date(long millis) {
    return RFC_5322.format(Instant.ofEpochMilli(millis));
  }

  private static String oneLine(String s) {
    String flat = s.replaceAll("[\\r\\n\\t]+", " ");
    return flat.length() > 900 ? flat.substring(0, 900) : flat;
  }
}
