package dev.kith.mail.imap;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The header block of a message or a MIME part, indexed as byte offsets into the stored message:
 * where each field starts, where its name ends, where its value starts and where its last folded
 * line ends. Offsets rather than strings, because BODY[HEADER.FIELDS ...] returns the stored lines
 * octet for octet and most fetches read only a few fields. Line ends are LF with or without CR.
 *
 * <p>As in Dovecot, only an empty line ends the header (a line without a colon is a field with an
 * empty name), and inside a multipart a boundary line ends it too.
 */
final class ImapHeader {

  /** Dovecot treats a longer name as a line without a colon. */
  private static final int MAX_NAME = 1000;

  private static final int[] NO_FIELDS = new int[0];

  private final byte[] raw;

  /** Where the header starts. */
  final int start;

  /** Where the header ends and the body starts (after the blank line, if any). */
  final int end;

  /** Where the blank line that ended the header starts, or -1 if none did. */
  final int blankLine;

  /** Where a boundary line cut the header off, or -1. */
  final int boundaryLine;

  /** Four ints a field: start, end of name (trimmed), start of value (after ':'), end. */
  private final int[] fields;

  private final int count;

  private ImapHeader(
      byte[] raw, int start, int end, int blankLine, int boundaryLine, int[] fields, int count) {
    this.raw = raw;
    this.start = start;
    this.end = end;
    this.blankLine = blankLine;
    this.boundaryLine = boundaryLine;
    this.fields = fields;
    this.count = count;
  }

  /**
   * Indexes the header that starts at {@code start}. {@code boundary}, if not null, tells whether a
   * line starting at an offset (with {@code --}) is a boundary line of an enclosing multipart.
   */
  static ImapHeader parse(byte[] raw, int start, int limit, IntPredicate boundary) {
    int[] f = NO_FIELDS;
    int n = 0;
    int pos = start;
    while (pos < limit) {
      byte b = raw[pos];
      if (b == '-' && boundary != null && pos + 1 < limit && raw[pos + 1] == '-') {
        if (boundary.test(pos)) {
          int cut = pos > start ? pos - newlineBefore(raw, start, pos) : pos;
          return new ImapHeader(raw, start, cut, -1, pos, f, n);
        }
      }
      if (b == '\n' || (b == '\r' && pos + 1 < limit && raw[pos + 1] == '\n')) {
        int after = b == '\n' ? pos + 1 : pos + 2;
        return new ImapHeader(raw, start, after, pos, -1, f, n);
      }
      int next = lineEnd(raw, pos, limit);
      if ((b == ' ' || b == '\t') && n > 0) {
        f[4 * n - 1] = next;
      } else {
        if (4 * n == f.length) {
          f = Arrays.copyOf(f, Math.max(64, f.length * 2));
        }
        addField(raw, f, 4 * n, pos, next);
        n++;
      }
      pos = next;
    }
    return new ImapHeader(raw, start, limit, -1, -1, f, n);
  }

  /** An empty header at {@code at}, cut off by the boundary line at {@code boundaryLine}. */
  static ImapHeader cut(byte[] raw, int at, int boundaryLine) {
    return new ImapHeader(raw, at, at, -1, boundaryLine, NO_FIELDS, 0);
  }

  private static void addField(byte[] raw, int[] f, int at, int pos, int next) {
    int colon = -1;
    for (int i = pos; i < next && raw[i] != '\n'; i++) {
      if (raw[i] == ':') {
        colon = i;
        break;
      }
    }
    int nameEnd = colon;
    while (nameEnd > pos && (raw[nameEnd - 1] == ' ' || raw[nameEnd - 1] == '\t')) {
      nameEnd--;
    }
    if (colon < 0 || nameEnd - pos > MAX_NAME) {
      f[at] = pos;
      f[at + 1] = pos;
      f[at + 2] = pos;
    } else {
      f[at] = pos;
      f[at + 1] = nameEnd;
      f[at + 2] = colon + 1;
    }
    f[at + 3] = next;
  }

  /** The offset after the LF that ends the line at {@code pos}, or {@code limit}. */
  static int lineEnd(byte[] raw, int pos, int limit) {
    for (int i = pos; i < limit; i++) {
      if (raw[i] == '\n') {
        return i + 1;
      }
    }
    return limit;
  }

  /** 2 for a CRLF, 1 for a LF just before {@code pos} (a line start after {@code from}). */
  static int newlineBefore(byte[] raw, int from, int pos) {
    if (pos - 1 < from || raw[pos - 1] != '\n') {
      return 0;
    }
    return pos - 2 >= from && raw[pos - 2] == '\r' ? 2 : 1;
  }

  int count() {
    return count;
  }

  int fieldStart(int i) {
    return fields[4 * i];
  }

  /** Where the field's last line ends, never past the header's end. */
  int fieldEnd(int i) {
    return Math.min(fields[4 * i + 3], end);
  }

  /** Whether field {@code i} is named {@code name} (ASCII letters case-insensitively). */
  boolean nameIs(int i, String name) {
    int from = fields[4 * i];
    int len = fields[4 * i + 1] - from;
    if (len != name.length()) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      int a = raw[from + k] & 0xff;
      int b = name.charAt(k);
      if (a != b && lower(a) != lower(b)) {
        return false;
      }
    }
    return true;
  }

  /** Whether field {@code i} is named {@code name}, given as octets. */
  boolean nameIs(int i, byte[] name) {
    int from = fields[4 * i];
    int len = fields[4 * i + 1] - from;
    if (len != name.length) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      int a = raw[from + k] & 0xff;
      int b = name[k] & 0xff;
      if (a != b && lower(a) != lower(b)) {
        return false;
      }
    }
    return true;
  }

  private static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
  }

  /** The index of the first field named {@code name}, or -1. */
  int first(String name) {
    for (int i = 0; i < count; i++) {
      if (nameIs(i, name)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether field {@code i}'s name starts with {@code prefix} (ASCII, case-insensitively). */
  boolean nameStartsWith(int i, String prefix) {
    int from = fields[4 * i];
    if (fields[4 * i + 1] - from < prefix.length()) {
      return false;
    }
    for (int k = 0; k < prefix.length(); k++) {
      if (lower(raw[from + k] & 0xff) != lower(prefix.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The value as Dovecot hands it to its parsers: white space after the colon skipped (all but one
   * character when the first line holds nothing else), folded lines joined by a LF with the CR
   * before each LF dropped. Octets are read as UTF-8, or ISO-8859-1 where they are not UTF-8.
   */
  String value(int i) {
    int from = fields[4 * i + 2];
    int to = fieldEnd(i);
    int firstEnd = Math.min(lineEnd(raw, from, to), to);
    int contentEnd = trimNewline(from, firstEnd);
    int v = from;
    while (v < contentEnd && (raw[v] == ' ' || raw[v] == '\t')) {
      v++;
    }
    if (v == contentEnd && contentEnd > from) {
      v = from + 1;
    }
    StringBuilder out = new StringBuilder(to - from);
    out.append(decode(v, contentEnd));
    for (int line = firstEnd; line < to; ) {
      int next = lineEnd(raw, line, to);
      out.append('\n').append(decode(line, trimNewline(line, next)));
      line = next;
    }
    return out.toString();
  }

  /** The value unfolded (CR and LF removed, RFC 5322 §2.2.3) and trimmed. */
  String unfolded(int i) {
    String v = value(i);
    if (v.indexOf('\n') >= 0) {
      v = v.replace("\n", "");
    }
    return v.strip();
  }

  /** The unfolded values of all fields named {@code name}, in order. */
  List<String> all(String name) {
    List<String> out = new ArrayList<>(2);
    for (int i = 0; i < count; i++) {
      if (nameIs(i, name)) {
        out.add(unfolded(i));
      }
    }
    return out;
  }

  private int trimNewline(int from, int to) {
    if (to > from && raw[to - 1] == '\n') {
      to--;
      if (to > from && raw[to - 1] == '\r') {
        to--;
      }
    }
    return to;
  }

  /**
   * Octets as text: ASCII and valid UTF-8 as such, anything else as ISO-8859-1 (the usual legacy
   * 8-bit), so that no octet is lost to U+FFFD. NUL becomes U+FFFD, as in Dovecot.
   */
  private String decode(int from, int to) {
    boolean ascii = true;
    for (int i = from; i < to && ascii; i++) {
      ascii = raw[i] >= 0;
    }
    String s;
    if (ascii) {
      s = new String(raw, from, to - from, StandardCharsets.ISO_8859_1);
    } else {
      try {
        s =
            StandardCharsets.UTF_8
                .newDecoder()
                .decode(ByteBuffer.wrap(raw, from, to - from))
                .toString();
      } catch (CharacterCodingException e) {
        s = new String(raw, from, to - from, StandardCharsets.ISO_8859_1);
      }
    }
    return s.indexOf('\0') >= 0 ? s.replace('\0', '\uFFFD') : s;
  }
}
