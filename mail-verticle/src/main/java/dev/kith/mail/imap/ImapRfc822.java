package dev.kith.mail.imap;

/**
 * A cursor over one header value that reads RFC 5322 / RFC 2045 tokens: comments, white space,
 * atoms, quoted strings, phrases, domains and MIME tokens. It follows Dovecot's lib-mail
 * rfc822-parser step for step (return values included: 1 more input, 0 end of input, -1 error)
 * because ENVELOPE and BODYSTRUCTURE answers are meant to match Dovecot's for broken headers too,
 * and those answers fall out of exactly where each step stops.
 */
final class ImapRfc822 {

  /** atext (RFC 5322) other than the MIME tspecials {@code / = ?}; 8-bit characters count. */
  private static final int ATEXT = 1;

  /** {@code / = ?}: atext, but tspecials in a MIME token. */
  private static final int TSPECIAL_ATEXT = 2;

  private static final byte[] CLASS = new byte[128];

  static {
    for (char c = 'a'; c <= 'z'; c++) {
      CLASS[c] = ATEXT;
      CLASS[c - 'a' + 'A'] = ATEXT;
    }
    for (char c = '0'; c <= '9'; c++) {
      CLASS[c] = ATEXT;
    }
    for (char c : "!#$%&'*+-^_`{|}~".toCharArray()) {
      CLASS[c] = ATEXT;
    }
    for (char c : "/=?".toCharArray()) {
      CLASS[c] = TSPECIAL_ATEXT;
    }
  }

  final String s;
  final int end;
  int pos;

  /** Collects the text of the last comment skipped, or null when not wanted. */
  final StringBuilder lastComment;

  ImapRfc822(String s, StringBuilder lastComment) {
    this.s = s;
    this.end = s.length();
    this.lastComment = lastComment;
  }

  static boolean isAtext(char c) {
    return c >= 0x80 || CLASS[c] != 0;
  }

  private static boolean isTokenChar(char c) {
    return c >= 0x80 || CLASS[c] == ATEXT || c == '.';
  }

  /** The character at the cursor, or NUL at the end (NUL never occurs in the value itself). */
  char peek() {
    return pos < end ? s.charAt(pos) : '\0';
  }

  boolean atEnd() {
    return pos >= end;
  }

  int more() {
    return pos < end ? 1 : 0;
  }

  /** Skips a comment; the cursor is on its {@code (}. */
  int skipComment() {
    if (lastComment != null) {
      lastComment.setLength(0);
    }
    int level = 1;
    int start = ++pos;
    for (; pos < end; pos++) {
      char c = s.charAt(pos);
      if (c == '(') {
        level++;
      } else if (c == ')') {
        if (--level == 0) {
          appendComment(start, pos);
          pos++;
          return more();
        }
      } else if (c == '\n') {
        appendComment(start, pos > start && s.charAt(pos - 1) == '\r' ? pos - 1 : pos);
        start = pos + 1;
      } else if (c == '\\') {
        pos++;
        if (pos >= end) {
          return -1;
        }
        char e = s.charAt(pos);
        if (e == '\r' || e == '\n') {
          pos--;
        } else {
          appendComment(start, pos - 1);
          start = pos;
        }
      }
    }
    return -1;
  }

  private void appendComment(int from, int to) {
    if (lastComment != null) {
      lastComment.append(s, from, to);
    }
  }

  /** Skips white space, line breaks and comments. */
  int skipLwsp() {
    while (pos < end) {
      char c = s.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        pos++;
      } else if (c == '(') {
        if (skipComment() < 0) {
          return -1;
        }
      } else {
        break;
      }
    }
    return more();
  }

  int parseAtom(StringBuilder out) {
    if (pos >= end || !isAtext(s.charAt(pos))) {
      return -1;
    }
    int start = pos++;
    while (pos < end && isAtext(s.charAt(pos))) {
      pos++;
    }
    out.append(s, start, pos);
    return pos < end ? skipLwsp() : 0;
  }

  int parseDotAtom(StringBuilder out) {
    if (pos >= end || !isAtext(s.charAt(pos))) {
      return -1;
    }
    int start = pos++;
    while (pos < end) {
      if (isAtext(s.charAt(pos))) {
        pos++;
        continue;
      }
      if (start == pos) {
        return -1;
      }
      out.append(s, start, pos);
      int ret = skipLwsp();
      if (ret <= 0) {
        return ret;
      }
      if (s.charAt(pos) != '.') {
        return 1;
      }
      pos++;
      out.append('.');
      if (skipLwsp() <= 0) {
        return -1;
      }
      start = pos;
    }
    out.append(s, start, pos);
    return 0;
  }

  /** A MIME token (RFC 2045), dots allowed; may be empty. */
  int parseMimeToken(StringBuilder out) {
    int start = pos;
    while (pos < end && isTokenChar(s.charAt(pos))) {
      pos++;
    }
    out.append(s, start, pos);
    return pos < end ? skipLwsp() : 0;
  }

  /** A quoted string, unescaped, folding line breaks removed; the cursor is on its {@code "}. */
  int parseQuotedString(StringBuilder out) {
    int start = ++pos;
    for (; pos < end; pos++) {
      char c = s.charAt(pos);
      if (c == '"') {
        out.append(s, start, pos);
        pos++;
        return skipLwsp();
      } else if (c == '\n') {
        out.append(s, start, pos > start && s.charAt(pos - 1) == '\r' ? pos - 1 : pos);
        start = pos + 1;
      } else if (c == '\\') {
        pos++;
        if (pos >= end) {
          return -1;
        }
        char e = s.charAt(pos);
        if (e == '\r' || e == '\n') {
          pos--;
        } else {
          out.append(s, start, pos - 1);
          start = pos;
        }
      }
    }
    return -1;
  }

  private int parseAtomOrDot(StringBuilder out) {
    int start = pos;
    while (pos < end && (isAtext(s.charAt(pos)) || s.charAt(pos) == '.')) {
      pos++;
    }
    out.append(s, start, pos);
    return pos < end ? skipLwsp() : 0;
  }

  /** A phrase (display name): words joined by one space. */
  int parsePhrase(StringBuilder out) {
    if (pos >= end) {
      return 0;
    }
    if (s.charAt(pos) == '.') {
      return -1;
    }
    for (; ; ) {
      int ret = s.charAt(pos) == '"' ? parseQuotedString(out) : parseAtomOrDot(out);
      if (ret <= 0) {
        return ret;
      }
      char c = s.charAt(pos);
      if (!isAtext(c) && c != '"' && c != '.') {
        break;
      }
      out.append(' ');
    }
    return skipLwsp();
  }

  private int parseDomainLiteral(StringBuilder out) {
    int start = pos++;
    for (; pos < end; pos++) {
      char c = s.charAt(pos);
      if (c == '[') {
        return -1;
      } else if (c == ']') {
        out.append(s, start, pos + 1);
        pos++;
        return skipLwsp();
      } else if (c == '\n') {
        out.append(s, start, pos > start && s.charAt(pos - 1) == '\r' ? pos - 1 : pos);
        start = pos + 1;
      } else if (c == '\\') {
        pos++;
        if (pos >= end) {
          return -1;
        }
        char e = s.charAt(pos);
        if (e == '\r' || e == '\n') {
          out.append(s, start, pos);
          start = pos;
          pos--;
        }
      }
    }
    return -1;
  }

  /** A domain after {@code @}; the cursor is on the {@code @}. */
  int parseDomain(StringBuilder out) {
    pos++;
    if (skipLwsp() <= 0) {
      return -1;
    }
    return s.charAt(pos) == '[' ? parseDomainLiteral(out) : parseDotAtom(out);
  }

  /**
   * {@code type/subtype} of a Content-Type into {@code out}. On some errors {@code out} keeps what
   * was read ({@code text} alone), on others nothing, as Dovecot's parser leaves it.
   */
  int parseContentType(StringBuilder out) {
    int start = out.length();
    if (skipLwsp() <= 0) {
      return -1;
    }
    if (parseMimeToken(out) <= 0 || out.length() == start) {
      return -1;
    }
    if (s.charAt(pos) != '/') {
      out.setLength(start);
      return -1;
    }
    pos++;
    if (skipLwsp() <= 0) {
      out.setLength(start);
      return -1;
    }
    out.append('/');
    int sub = out.length();
    int ret = parseMimeToken(out);
    if (ret < 0 || out.length() == sub || (pos < end && s.charAt(pos) != ';')) {
      out.setLength(start);
      return -1;
    }
    return ret;
  }

  /**
   * One {@code ; key=value} parameter: 1 with {@code key[0]} and {@code value} set, 0 at the end,
   * -1 when broken.
   */
  int parseContentParam(String[] key, StringBuilder value) {
    key[0] = null;
    value.setLength(0);
    if (pos >= end) {
      return 0;
    }
    if (s.charAt(pos) != ';') {
      return -1;
    }
    pos++;
    if (skipLwsp() <= 0) {
      return -1;
    }
    StringBuilder name = new StringBuilder();
    if (parseMimeToken(name) <= 0 || s.charAt(pos) != '=') {
      return -1;
    }
    pos++;
    int ret = skipLwsp();
    if (ret > 0) {
      char c = s.charAt(pos);
      if (c == '"') {
        ret = parseQuotedString(value);
      } else if (c == '=') {
        // Broken input seen in the wild: name==?utf-8?b?...?=
        while (pos < end && ";\t\r\n ".indexOf(s.charAt(pos)) < 0) {
          value.append(s.charAt(pos++));
        }
      } else {
        ret = parseMimeToken(value);
      }
    }
    key[0] = name.toString();
    return ret < 0 ? -1 : 1;
  }
}
