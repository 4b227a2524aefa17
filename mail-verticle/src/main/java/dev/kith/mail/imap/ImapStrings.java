package dev.kith.mail.imap;

import java.io.ByteArrayOutputStream;

/**
 * IMAP string encoding (RFC 3501 §4.3, §9 {@code nstring}), with Dovecot's choices: a quoted string
 * unless the value holds CR, LF, an 8-bit character or more than four {@code "} and {@code \}
 * together, then a literal. Strings are meant to be sent as UTF-8, so a literal's length counts
 * UTF-8 octets. Kept apart from {@link ImapMessage} because ENVELOPE, BODYSTRUCTURE and other
 * responses all encode strings the same way.
 */
final class ImapStrings {

  /** Past this many {@code "} and {@code \}, a literal is shorter than a quoted string. */
  private static final int QUOTED_MAX_ESCAPES = 4;

  private ImapStrings() {}

  /** {@code s} as an IMAP nstring: NIL, a quoted string or a literal. */
  static String nstring(String s) {
    StringBuilder out = new StringBuilder(s == null ? 3 : s.length() + 2);
    appendNstring(out, s);
    return out.toString();
  }

  /** Appends {@code s} as an IMAP nstring: NIL, a quoted string or a literal. */
  static void appendNstring(StringBuilder out, String s) {
    if (s == null) {
      out.append("NIL");
      return;
    }
    int escapes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        if (escapes++ < QUOTED_MAX_ESCAPES) {
          continue;
        }
        appendLiteral(out, s);
        return;
      }
      if (c == '\r' || c == '\n' || c >= 0x80) {
        appendLiteral(out, s);
        return;
      }
    }
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    out.append('"');
  }

  /**
   * Appends a header value as Dovecot does for Date, Message-ID, Content-ID and the like: line
   * breaks left by folding are removed (with a space put in where the next line does not start with
   * one), then the value is an nstring.
   */
  static void appendNstringNoLf(StringBuilder out, String s) {
    if (s == null || (s.indexOf('\n') < 0 && s.indexOf('\r') < 0)) {
      appendNstring(out, s);
      return;
    }
    StringBuilder clean = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\r' && c != '\n') {
        clean.append(c);
      } else if (i + 1 < s.length()) {
        char next = s.charAt(i + 1);
        if (next != ' ' && next != '\t' && next != '\r' && next != '\n') {
          clean.append(' ');
        }
      }
    }
    appendNstring(out, clean.toString());
  }

  /**
   * Appends text meant for people (a subject, a display name) as Dovecot does: runs of white space
   * and line breaks become one space and the ends are trimmed; anything changed, or holding {@code
   * "}, {@code \} or 8-bit characters, is sent as a literal.
   */
  static void appendForHumans(StringBuilder out, String s) {
    boolean modify = false;
    boolean lastSpace = true;
    for (int i = 0; i < s.length() && !modify; i++) {
      char c = s.charAt(i);
      boolean space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
      modify = (space && (lastSpace || c != ' ')) || c == '"' || c == '\\' || c >= 0x80;
      lastSpace = space;
    }
    if (!modify && !lastSpace) {
      out.append('"').append(s).append('"');
      return;
    }
    if (!modify && s.isEmpty()) {
      out.append("\"\"");
      return;
    }
    StringBuilder clean = new StringBuilder(s.length());
    lastSpace = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        if (!lastSpace) {
          clean.append(' ');
        }
        lastSpace = true;
      } else {
        clean.append(c);
        lastSpace = false;
      }
    }
    if (lastSpace && clean.length() > 0) {
      clean.setLength(clean.length() - 1);
    }
    if (clean.length() == 0) {
      out.append("\"\"");
    } else {
      appendLiteral(out, clean);
    }
  }

  /** {@code b} as an IMAP nstring, octet for octet (no character decoding). */
  static byte[] nstring(byte[] b) {
    if (b == null) {
      return new byte[] {'N', 'I', 'L'};
    }
    int escapes = 0;
    boolean literal = false;
    for (byte x : b) {
      if (x == '"' || x == '\\') {
        literal |= escapes++ >= QUOTED_MAX_ESCAPES;
      } else if (x == '\r' || x == '\n' || x < 0 || x == 0) {
        literal = true;
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 8);
    if (literal) {
      byte[] head = ("{" + b.length + "}\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      out.writeBytes(head);
      out.writeBytes(b);
      return out.toByteArray();
    }
    out.write('"');
    for (byte x : b) {
      if (x == '"' || x == '\\') {
        out.write('\\');
      }
      out.write(x);
    }
    out.write('"');
    return out.toByteArray();
  }

  private static void appendLiteral(StringBuilder out, CharSequence s) {
    out.append('{').append(utf8Length(s)).append("}\r\n").append(s);
  }

  /** The number of octets {@code s} takes in UTF-8 (a lone surrogate counts as {@code ?}). */
  static int utf8Length(CharSequence s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        n++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
