package dev.kith.mail.smtp;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Gives every single-line reply of the SMTP edge an enhanced status code (RFC 3463), because the
 * edge advertises ENHANCEDSTATUSCODES and subethasmtp writes many of its own replies without one
 * ({@code 500 Error: command not implemented}). Replies that carry a code already pass unchanged,
 * and so do the greeting and multi-line replies (EHLO), which RFC 2034 leaves without codes. It
 * sits between subethasmtp and the socket, so it must pass bytes through untouched once TLS starts:
 * then it would see ciphertext, and {@link SmtpTlsSocket} puts a new one above TLS.
 */
final class SmtpReplies extends FilterOutputStream {

  private static final Pattern HAS_CODE =
      Pattern.compile("\\d{3}[ -][245]\\.\\d{1,3}\\.\\d{1,3}.*");
  private static final Pattern REPLY = Pattern.compile("[245]\\d\\d( .*)?");
  private static final Pattern CODE = Pattern.compile("[2-5]\\d\\d");
  private static final int MAX_LINE = 4096;

  private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
  private volatile boolean passThrough;
  private volatile int lastCode;
  private boolean inMultiLine;

  SmtpReplies(OutputStream out) {
    super(out);
  }

  /** The code of the last reply line written, or 0 before any. */
  int lastCode() {
    return lastCode;
  }

  /** From now on every byte passes unchanged (STARTTLS has begun). */
  void passThrough() {
    passThrough = true;
  }

  @Override
  public void write(int b) throws IOException {
    if (passThrough) {
      out.write(b);
      return;
    }
    line.write(b);
    if (b == '\n' || line.size() >= MAX_LINE) {
      emit();
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (passThrough) {
      out.write(b, off, len);
      return;
    }
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  @Override
  public void flush() throws IOException {
    if (!passThrough && line.size() > 0 && !endsWithNewline()) {
      // A partial line stays until its end arrives; subethasmtp always ends replies with CRLF.
      out.flush();
      return;
    }
    emit();
    out.flush();
  }

  private boolean endsWithNewline() {
    byte[] bytes = line.toByteArray();
    return bytes.length > 0 && bytes[bytes.length - 1] == '\n';
  }

  private void emit() throws IOException {
    if (line.size() == 0) {
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.length() >= 3 && CODE.matcher(text.substring(0, 3)).matches()) {
      lastCode = Integer.parseInt(text.substring(0, 3));
    }
    out.write(rewrite(text).getBytes(StandardCharsets.UTF_8));
  }

  private String rewrite(String text) {
    boolean continuation = text.length() > 3 && text.charAt(3) == '-';
    boolean partOfMulti = inMultiLine || continuation;
    inMultiLine = continuation;
    String bare = text.endsWith("\r\n") ? text.substring(0, text.length() - 2) : text;
    if (partOfMulti || !REPLY.matcher(bare).matches() || HAS_CODE.matcher(bare).matches()) {
      return text;
    }
    return withCode(bare) + "\r\n";
  }

  /** {@code reply} ({@code "NNN text"}) with the enhanced code that fits its basic code. */
  static String withCode(String reply) {
    String code = reply.substring(0, 3);
    String rest = reply.length() > 4 ? reply.substring(4) : "";
    if (code.equals("220") || code.startsWith("3")) {
      return reply;
    }
    if (code.equals("501") && rest.toLowerCase(Locale.ROOT).contains("line length")) {
      // The command line was longer than RFC 5321 allows; subethasmtp has stopped reading it.
      return "500 5.5.2 Line too long";
    }
    String enhanced =
        switch (code) {
          case "235" -> "2.7.0";
          case "221", "250", "251", "252" -> "2.0.0";
          case "421" -> rest.toLowerCase(Locale.ROOT).contains("timeout") ? "4.4.2" : "4.7.0";
          case "450", "451" -> "4.3.0";
          case "452" -> "4.5.3";
          case "454" -> "4.7.0";
          case "500" -> "5.5.2";
          case "501", "504", "555" -> "5.5.4";
          case "502", "503" -> "5.5.1";
          case "530" -> "5.7.0";
          case "535" -> "5.7.8";
          case "538" -> "5.7.11";
          case "552" -> "5.3.4";
          case "553" -> "5.1.3";
          default -> code.charAt(0) + ".0.0";
        };
    return code + " " + enhanced + (rest.isEmpty() ? "" : " " + rest);
  }
}
