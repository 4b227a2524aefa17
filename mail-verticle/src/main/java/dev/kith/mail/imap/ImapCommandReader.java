package dev.kith.mail.imap;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The grammar of one IMAP command (RFC 3501 §9, RFC 9051 §9), read a line at a time: {@link
 * ImapParser} frames the bytes into lines and literal octets and hands them here, and this turns
 * them into a tag, a name and arguments. A command with literals comes as several lines, each but
 * the last ending in a literal's {@code {size}}; what was read so far (open lists included) is kept
 * between them. Kept apart from the framing so that each can be read on its own.
 *
 * <p>A syntax error comes back as a {@link Bad} outcome, never as an exception; after a {@link Bad}
 * or a {@link Complete}, {@link #reset()} readies it for the next command.
 */
final class ImapCommandReader {

  /** How deep parenthesized lists may nest. */
  static final int MAX_DEPTH = 32;

  /** What a line of a command came to. */
  sealed interface Outcome permits Complete, Literal, Bad {}

  /** The line ended the command. */
  record Complete(ImapCommand command) implements Outcome {}

  /** The line ended in a literal's announcement; its octets follow (see {@link #literal}). */
  record Literal(long size, LiteralKind kind) implements Outcome {}

  /** The command cannot be read: {@code reply} is the response after the tag, {@code BAD ...}. */
  record Bad(String reply) implements Outcome {}

  /** {@code {n}} waits for a continuation; {@code {n+}} (LITERAL+) and {@code {n-}} do not. */
  enum LiteralKind {
    SYNC,
    PLUS,
    MINUS
  }

  /** What may come next on the line. */
  private enum Expect {
    /** An argument: after a space. */
    ARG,
    /** An argument or the end of a list: after {@code (}. */
    ARG_OR_CLOSE,
    /** A space, {@code )} or the end of the line: after an argument or the command name. */
    SEPARATOR
  }

  private String tag;
  private String name;

  /** The lists being filled: the command's arguments first, then each open list. */
  private final List<List<ImapArg>> open = new ArrayList<>();

  private Expect expect;
  private byte[] line;
  private int pos;
  private int end;

  ImapCommandReader() {
    reset();
  }

  /** Forgets the command read so far. */
  void reset() {
    tag = null;
    name = null;
    open.clear();
    open.add(new ArrayList<>());
    expect = Expect.SEPARATOR;
    line = null;
  }

  /** The command's tag, or null when it has not been read (or could not be). */
  String tag() {
    return tag;
  }

  /**
   * Reads the next line of the command, without its CRLF: the first line, or the one after a
   * literal's octets.
   */
  Outcome line(byte[] bytes, int length) {
    line = bytes;
    pos = 0;
    end = length;
    try {
      if (name == null) {
        readTagAndName();
      }
      return readArguments();
    } catch (Refusal refusal) {
      return new Bad("BAD " + refusal.getMessage());
    } finally {
      line = null;
    }
  }

  /** The octets of the literal that the previous line announced. */
  void literal(byte[] octets) {
    open.get(open.size() - 1).add(new ImapArg.Str(octets));
    expect = Expect.SEPARATOR;
  }

  private void readTagAndName() {
    while (pos < end && isTagChar(line[pos])) {
      pos++;
    }
    if (pos == 0 || (pos < end && line[pos] != ' ')) {
      throw new Refusal(end > 0 && line[0] == ' ' ? "Missing tag" : "Invalid tag");
    }
    tag = ascii(0, pos);
    if (pos == end) {
      throw new Refusal("Missing command name");
    }
    pos++;
    name = commandWord("Missing command name");
    if (name.equals("UID")) {
      if (pos == end) {
        throw new Refusal("Missing command after UID");
      }
      pos++;
      name = "UID " + commandWord("Missing command after UID");
    }
    expect = Expect.SEPARATOR;
  }

  private String commandWord(String missing) {
    int start = pos;
    while (pos < end && isNameChar(line[pos])) {
      pos++;
    }
    if (pos == start && (pos == end || line[pos] == ' ')) {
      throw new Refusal(missing);
    }
    if (pos < end && line[pos] != ' ') {
      throw new Refusal("Invalid command name");
    }
    return ascii(start, pos).toUpperCase(Locale.ROOT);
  }

  private Outcome readArguments() {
    while (pos < end) {
      byte c = line[pos];
      if (expect == Expect.SEPARATOR) {
        separator(c);
      } else if (c == ')' && expect == Expect.ARG_OR_CLOSE) {
        closeList();
      } else if (c == '{' || (c == '~' && pos + 1 < end && line[pos + 1] == '{')) {
        return literalAnnouncement();
      } else {
        argument(c);
      }
    }
    if (expect == Expect.ARG) {
      throw new Refusal("Missing argument after a space at the end of the line");
    }
    if (open.size() > 1) {
      throw new Refusal("Unbalanced parentheses: missing )");
    }
    return new Complete(new ImapCommand(tag, name, open.get(0)));
  }

  private void separator(byte c) {
    if (c == ' ') {
      pos++;
      expect = Expect.ARG;
    } else if (c == ')') {
      closeList();
    } else {
      throw new Refusal("Expected a space or ) after an argument, found " + name(c));
    }
  }

  private void argument(byte c) {
    if (c == ' ') {
      throw new Refusal("Unexpected space: arguments are separated by exactly one");
    } else if (c == ')') {
      throw new Refusal("Missing argument before )");
    } else if (c == '(') {
      if (open.size() > MAX_DEPTH) {
        throw new Refusal("Lists nested too deep (over " + MAX_DEPTH + " levels)");
      }
      pos++;
      open.add(new ArrayList<>());
      expect = Expect.ARG_OR_CLOSE;
    } else if (c == '"') {
      add(new ImapArg.Str(quoted()));
    } else {
      add(new ImapArg.Atom(atom()));
    }
  }

  private void add(ImapArg arg) {
    open.get(open.size() - 1).add(arg);
    expect = Expect.SEPARATOR;
  }

  private void closeList() {
    if (open.size() == 1) {
      throw new Refusal("Unbalanced parentheses: ) without (");
    }
    pos++;
    List<ImapArg> items = open.remove(open.size() - 1);
    add(new ImapArg.Group(items));
  }

  /** {@code {n}}, {@code {n+}}, {@code {n-}} or {@code ~{n}}, which must end the line. */
  private Outcome literalAnnouncement() {
    Literal literal = literalAt(line, pos, end);
    if (literal == null) {
      throw new Refusal(
          "Invalid literal: expected {size}, {size+} or {size-} at the end of the line");
    }
    return literal;
  }

  /**
   * An atom, which runs to a space, a {@code )} or the end of the line; a {@code [} in it runs to
   * its {@code ]} whatever lies between (a fetch section: {@code BODY[HEADER.FIELDS (FROM)]}). What
   * follows the {@code ]}, a partial such as {@code <0.2048>} included, belongs to the atom.
   */
  private String atom() {
    int start = pos;
    while (pos < end) {
      byte c = line[pos];
      if (c == ' ' || c == ')') {
        break;
      }
      if (c == '[') {
        pos = sectionEnd(start, pos);
      } else if (isAtomChar(c)) {
        pos++;
      } else {
        throw new Refusal(describe(c) + " in an atom");
      }
    }
    return ascii(start, pos);
  }

  /**
   * Where the section that {@code [} opens at {@code open} ends: just past its {@code ]}; or just
   * past the {@code [} when no {@code ]} closes it on this line (then it was an ordinary atom
   * character, as in a mailbox name). A fetch item's section may not hold a literal.
   */
  private int sectionEnd(int atomStart, int open) {
    int i = open + 1;
    while (i < end) {
      byte c = line[i];
      if (c == ']') {
        return i + 1;
      }
      if (c == '"') {
        i = quotedEnd(i);
      } else if (c < ' ' || c == 0x7f) {
        throw new Refusal(describe(c) + " in a section [...]");
      } else {
        i++;
      }
    }
    String item = ascii(atomStart, open).toUpperCase(Locale.ROOT);
    if ((item.startsWith("BODY") || item.startsWith("BINARY"))
        && literalAtEnd(line, end, false) != null) {
      throw new Refusal("A literal inside a section [...] is not supported");
    }
    return open + 1;
  }

  /** Just past the closing quote of the quoted string at {@code at}. */
  private int quotedEnd(int at) {
    int i = at + 1;
    while (i < end && line[i] != '"') {
      if (line[i] < ' ' || line[i] == 0x7f) {
        throw new Refusal(describe(line[i]) + " in a section [...]");
      }
      i += line[i] == '\\' ? 2 : 1;
    }
    if (i >= end) {
      throw new Refusal("Unterminated quoted string");
    }
    return i + 1;
  }

  /** A quoted string's bytes, its escapes undone. */
  private byte[] quoted() {
    int start = ++pos;
    boolean escaped = false;
    boolean eightBit = false;
    while (true) {
      if (pos >= end) {
        throw new Refusal("Unterminated quoted string");
      }
      byte c = line[pos];
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        if (pos + 1 < end && line[pos + 1] != '"' && line[pos + 1] != '\\') {
          throw new Refusal(
              "Invalid escape in a quoted string: only \\\" and \\\\ may be escaped, not \\"
                  + (char) (line[pos + 1] & 0xff));
        }
        escaped = true;
        pos += 2;
        continue;
      }
      if (c == 0 || c == '\r' || c == '\n') {
        throw new Refusal(describe(c) + " in a quoted string");
      }
      eightBit |= c < 0;
      pos++;
    }
    byte[] bytes = escaped ? unescape(start, pos) : Arrays.copyOfRange(line, start, pos);
    pos++;
    if (eightBit && !isUtf8(bytes)) {
      throw new Refusal("8-bit characters in a quoted string that are not UTF-8");
    }
    return bytes;
  }

  private byte[] unescape(int from, int to) {
    byte[] out = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      if (line[i] == '\\') {
        i++;
      }
      out[n++] = line[i];
    }
    return Arrays.copyOf(out, n);
  }

  /**
   * The literal announced at the end of a line of {@code length} bytes, or null. When {@code
   * truncated}, the line's start is missing (only its end was kept), and digits that run to the
   * start are taken for a size too large to accept.
   */
  static Literal literalAtEnd(byte[] bytes, int length, boolean truncated) {
    int i = length - 1;
    if (i < 0 || bytes[i] != '}') {
      return null;
    }
    i--;
    if (i >= 0 && (bytes[i] == '+' || bytes[i] == '-')) {
      i--;
    }
    int lastDigit = i;
    while (i >= 0 && bytes[i] >= '0' && bytes[i] <= '9') {
      i--;
    }
    if (i == lastDigit) {
      return null;
    }
    if (i < 0) {
      // Only digits were kept: a size too long to have been meant.
      return truncated ? new Literal(Long.MAX_VALUE, kindOf(bytes[length - 2])) : null;
    }
    if (bytes[i] != '{') {
      return null;
    }
    return literalAt(bytes, i > 0 && bytes[i - 1] == '~' ? i - 1 : i, length);
  }

  /** The literal announced by the bytes from {@code from} to exactly {@code to}, or null. */
  private static Literal literalAt(byte[] bytes, int from, int to) {
    int i = from;
    if (i < to && bytes[i] == '~') {
      i++;
    }
    if (i >= to || bytes[i++] != '{') {
      return null;
    }
    long size = 0;
    int digits = 0;
    for (; i < to && bytes[i] >= '0' && bytes[i] <= '9'; i++, digits++) {
      int digit = bytes[i] - '0';
      size = size > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : size * 10 + digit;
    }
    LiteralKind kind = kindOf(i < to ? bytes[i] : 0);
    if (kind != LiteralKind.SYNC) {
      i++;
    }
    if (digits == 0 || i != to - 1 || bytes[i] != '}') {
      return null;
    }
    return new Literal(size, kind);
  }

  /** The kind of literal whose {@code }} follows {@code c}. */
  private static LiteralKind kindOf(byte c) {
    return c == '+' ? LiteralKind.PLUS : c == '-' ? LiteralKind.MINUS : LiteralKind.SYNC;
  }

  /**
   * The tag at the start of a line, when it is one followed by a space; else null. For a reply to a
   * line that is refused before it could be read.
   */
  static String tagOf(byte[] bytes, int length) {
    int i = 0;
    while (i < length && isTagChar(bytes[i])) {
      i++;
    }
    return i > 0 && i < length && bytes[i] == ' '
        ? new String(bytes, 0, i, StandardCharsets.US_ASCII)
        : null;
  }

  /** RFC 3501 tag: ASTRING-CHAR but {@code +}. */
  private static boolean isTagChar(byte c) {
    return isAtomChar(c) && c != '%' && c != '*' && c != '\\' && c != '+';
  }

  /**
   * What an argument's atom may hold: ATOM-CHAR with {@code ]}, {@code \}, {@code %}, {@code *}.
   */
  private static boolean isAtomChar(byte c) {
    return c > ' ' && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"';
  }

  private static boolean isNameChar(byte c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '_'
        || c == '.';
  }

  private static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private String ascii(int from, int to) {
    return new String(line, from, to - from, StandardCharsets.US_ASCII);
  }

  /** A character that does not belong where it is, to start a reply's text. */
  private static String describe(byte c) {
    String name = name(c);
    return name.startsWith("'")
        ? "Unexpected character " + name
        : Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }

  private static String name(byte c) {
    int b = c & 0xff;
    if (b >= 0x80) {
      return String.format("8-bit character 0x%02X", b);
    }
    if (b < 0x20 || b == 0x7f) {
      return b == 0 ? "NUL" : String.format("control character 0x%02X", b);
    }
    return "'" + (char) b + "'";
  }

  /** A syntax error: its message is the reply's text after {@code BAD}. */
  private static final class Refusal extends RuntimeException {
    Refusal(String message) {
      super(message, null, false, false);
    }
  }
}
