package dev.kith.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.imap.ImapArg.Atom;
import dev.kith.mail.imap.ImapArg.Group;
import dev.kith.mail.imap.ImapArg.Str;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading IMAP commands from a stream (ImapParser)")
class ImapParserTest {

  private static final int MAX_LINE = 65536;
  private static final long MAX_LITERAL = 26214400;

  /** What the parser told the session, in order; commands as themselves, the rest as text. */
  private final List<Object> events = new ArrayList<>();

  /** Commands after which the session asks for a raw line (as IDLE and AUTHENTICATE do). */
  private Set<String> rawAfter = Set.of();

  private ImapParser parser = parser(MAX_LINE, MAX_LITERAL);

  private ImapParser parser(int maxLine, long maxLiteral) {
    ImapParser[] self = new ImapParser[1];
    self[0] =
        new ImapParser(
            maxLine,
            maxLiteral,
            new ImapParser.Listener() {
              @Override
              public void command(ImapCommand command) {
                events.add(command);
                if (rawAfter.contains(command.name())) {
                  self[0].rawLine();
                }
              }

              @Override
              public void literalWanted(String tag, long size) {
                events.add("+ " + tag + " " + size);
              }

              @Override
              public void line(String text) {
                events.add("line " + text);
              }

              @Override
              public void refused(String tag, String reply, boolean fatal) {
                events.add((fatal ? "FATAL " : "refused ") + tag + " " + reply);
              }
            });
    return self[0];
  }

  private List<Object> feed(String input) {
    parser.handle(Buffer.buffer(input.getBytes(StandardCharsets.ISO_8859_1)));
    return events;
  }

  private List<Object> feedByteByByte(String input) {
    for (byte b : input.getBytes(StandardCharsets.ISO_8859_1)) {
      parser.handle(Buffer.buffer(new byte[] {b}));
    }
    return events;
  }

  private static ImapCommand command(String tag, String name, ImapArg... args) {
    return new ImapCommand(tag, name, List.of(args));
  }

  private static Atom atom(String text) {
    return new Atom(text);
  }

  private static Str str(String text) {
    return new Str(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Group group(ImapArg... items) {
    return new Group(List.of(items));
  }

  @Test
  @DisplayName("reads a tag, an upper-cased name and atoms and strings")
  void simpleCommands() {
    assertThat(feed("A1 NOOP\r\na2 login alice \"s3cret\"\r\n"))
        .containsExactly(
            command("A1", "NOOP"), command("a2", "LOGIN", atom("alice"), str("s3cret")));
  }

  @Test
  @DisplayName("joins UID and the command after it into the name")
  void uidJoin() {
    assertThat(feed("A3 uid fetch 1:*,7 (FLAGS UID)\r\nA4 UID\r\nA5 UID \r\n"))
        .containsExactly(
            command("A3", "UID FETCH", atom("1:*,7"), group(atom("FLAGS"), atom("UID"))),
            "refused A4 BAD Missing command after UID",
            "refused A5 BAD Missing command after UID");
  }

  @Test
  @DisplayName("undoes \\\" and \\\\ in quoted strings, and keeps UTF-8 as its bytes")
  void quotedEscapes() {
    byte[] utf8 = "A1 CREATE \"Entwürfe\"\r\n".getBytes(StandardCharsets.UTF_8);
    feed("A1 LOGIN \"a\\\"b\" \"c\\\\d\"\r\nA2 SELECT \"\"\r\n");
    parser.handle(Buffer.buffer(utf8));
    assertThat(events)
        .containsExactly(
            command("A1", "LOGIN", str("a\"b"), str("c\\d")),
            command("A2", "SELECT", str("")),
            command("A1", "CREATE", str("Entwürfe")));
  }

  @Test
  @DisplayName("asks for a synchronizing literal's octets, and reads the line on after them")
  void synchronizingLiterals() {
    assertThat(feed("A1 LOGIN {5}\r\n")).containsExactly("+ A1 5");
    assertThat(feed("alice {6}\r\n")).containsExactly("+ A1 5", "+ A1 6");
    assertThat(feed("secret\r\n"))
        .containsExactly("+ A1 5", "+ A1 6", command("A1", "LOGIN", str("alice"), str("secret")));
  }

  @Test
  @DisplayName("reads non-synchronizing literals ({n+}, {n-}, ~{n}) without asking")
  void nonSynchronizingLiterals() {
    assertThat(feed("A1 LOGIN {5+}\r\nalice {6-}\r\nsecret\r\nA2 APPEND x ~{3+}\r\nabc\r\n"))
        .containsExactly(
            command("A1", "LOGIN", str("alice"), str("secret")),
            command("A2", "APPEND", atom("x"), str("abc")));
  }

  @Test
  @DisplayName("reads a literal's octets as they are: CRLF, NUL and 8-bit included")
  void binaryLiteral() {
    byte[] octets = {'a', '\r', '\n', 0, (byte) 0xff, '\r', '\n', '}'};
    feed("A1 APPEND INBOX {8+}\r\n");
    parser.handle(Buffer.buffer(octets));
    feed(" {0}\r\n\r\n");
    assertThat(events)
        .containsExactly(
            "+ A1 0", command("A1", "APPEND", atom("INBOX"), new Str(octets), str("")));
  }

  @Test
  @DisplayName("reads the same commands whether fed whole or a byte at a time")
  void byteByByte() {
    String input =
        "\r\nA1 APPEND Drafts (\\Seen \\Draft) \"07-Feb-1994 21:52:25 -0800\" {12}\r\n"
            + "Hi\r\n\r\nthere!\r\n"
            + "A2 UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.2048> FLAGS)\r\n"
            + "A3 LOGIN {5+}\r\nalice \"pass\\\"word\"\r\n"
            + "A4 STORE 1 +FLAGS ((\\Seen\r\n"
            + "A5 SEARCH OR (FROM a) (TO b)\n";
    List<Object> whole = List.copyOf(feed(input));
    events.clear();
    parser = parser(MAX_LINE, MAX_LITERAL);
    assertThat(feedByteByByte(input)).isEqualTo(whole);
    assertThat(whole)
        .hasSize(6)
        .contains(
            "+ A1 12",
            command(
                "A1",
                "APPEND",
                atom("Drafts"),
                group(atom("\\Seen"), atom("\\Draft")),
                str("07-Feb-1994 21:52:25 -0800"),
                str("Hi\r\n\r\nthere!")),
            "refused A4 BAD Unbalanced parentheses: missing )");
  }

  @Test
  @DisplayName("reads the same commands wherever the chunks are split")
  void randomSplits() {
    String input =
        "A1 APPEND INBOX {10+}\r\n0123456789 {4}\r\nabcd\r\nA2 FETCH 1 BODY[1.2]\r\n"
            + "A3 NOOP \"x\r\nA4 CHECK\r\n";
    List<Object> whole = List.copyOf(feed(input));
    byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      events.clear();
      parser = parser(MAX_LINE, MAX_LITERAL);
      int pos = 0;
      while (pos < bytes.length) {
        int n = Math.min(bytes.length - pos, 1 + random.nextInt(12));
        parser.handle(Buffer.buffer(bytes).getBuffer(pos, pos + n));
        pos += n;
      }
      assertThat(events).isEqualTo(whole);
    }
  }

  @Test
  @DisplayName("reads fetch items with sections and partials as one atom each")
  void fetchAtoms() {
    feed(
        "A1 FETCH 1:3 (BODY[] BODY.PEEK[1.2.MIME] BINARY[1]<0.10>"
            + " BODY[HEADER.FIELDS.NOT (\"X-A\" B)] BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.2048>)\r\n"
            + "A2 UID FETCH 5 BODY[TEXT]<100>\r\n"
            + "A3 LIST \"\" foo[bar\r\n");
    assertThat(events)
        .containsExactly(
            command(
                "A1",
                "FETCH",
                atom("1:3"),
                group(
                    atom("BODY[]"),
                    atom("BODY.PEEK[1.2.MIME]"),
                    atom("BINARY[1]<0.10>"),
                    atom("BODY[HEADER.FIELDS.NOT (\"X-A\" B)]"),
                    atom("BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.2048>"))),
            command("A2", "UID FETCH", atom("5"), atom("BODY[TEXT]<100>")),
            command("A3", "LIST", str(""), atom("foo[bar")));
  }

  @Test
  @DisplayName("reads nested lists")
  void nestedLists() {
    feed(
        "A1 STORE 1 +FLAGS (\\Seen $Junk)\r\n"
            + "A2 SEARCH OR (FROM a) (TO b)\r\n"
            + "A3 SELECT INBOX (QRESYNC (1 2 1:5))\r\n"
            + "A4 X ()\r\n");
    assertThat(events)
        .containsExactly(
            command("A1", "STORE", atom("1"), atom("+FLAGS"), group(atom("\\Seen"), atom("$Junk"))),
            command(
                "A2",
                "SEARCH",
                atom("OR"),
                group(atom("FROM"), atom("a")),
                group(atom("TO"), atom("b"))),
            command(
                "A3",
                "SELECT",
                atom("INBOX"),
                group(atom("QRESYNC"), group(atom("1"), atom("2"), atom("1:5")))),
            command("A4", "X", group()));
  }

  @Test
  @DisplayName("takes a literal inside a list and goes on with the list after it")
  void literalInList() {
    feed("A1 SEARCH CHARSET UTF-8 (SUBJECT {4+}\r\ncafé FROM x)\r\n");
    assertThat(events)
        .containsExactly(
            command(
                "A1",
                "SEARCH",
                atom("CHARSET"),
                atom("UTF-8"),
                group(
                    atom("SUBJECT"),
                    new Str("café".getBytes(StandardCharsets.ISO_8859_1)),
                    atom("FROM"),
                    atom("x"))));
  }

  @Test
  @DisplayName("hands IDLE's DONE to the session as a raw line when it asks, then reads commands")
  void rawLineForDone() {
    rawAfter = Set.of("IDLE", "AUTHENTICATE");
    feed("A1 IDLE\r\nDONE\r\nA2 AUTHENTICATE PLAIN\r\n\r\nA3 NOOP\r\n");
    assertThat(events)
        .containsExactly(
            command("A1", "IDLE"),
            "line DONE",
            command("A2", "AUTHENTICATE", atom("PLAIN")),
            "line ",
            command("A3", "NOOP"));
  }

  @Test
  @DisplayName("refuses a line too long, discards it to its end and reads the next command")
  void lineTooLong() {
    parser = parser(64, MAX_LITERAL);
    String fits = "A1 NOOP " + "x".repeat(64 - 8);
    String over = "A2 NOOP " + "x".repeat(200);
    feedByteByByte(fits + "\r\n" + fits + "x\r\n" + fits + "x\n" + over + "\r\nA3 NOOP\r\n");
    assertThat(events)
        .containsExactly(
            command("A1", "NOOP", atom("x".repeat(56))),
            "refused A1 BAD Command line too long (over 64 octets)",
            "refused A1 BAD Command line too long (over 64 octets)",
            "refused A2 BAD Command line too long (over 64 octets)",
            command("A3", "NOOP"));
  }

  @Test
  @DisplayName("counts all the lines of a command with literals against the line limit")
  void lineLimitOverLiterals() {
    parser = parser(64, MAX_LITERAL);
    feed("A1 X " + "a".repeat(40) + " {1+}\r\nb " + "c".repeat(30) + "\r\nA2 NOOP\r\n");
    assertThat(events)
        .containsExactly(
            "refused A1 BAD Command line too long (over 64 octets)", command("A2", "NOOP"));
  }

  @Test
  @DisplayName("refuses a synchronizing literal over the limit without asking for it")
  void synchronizingLiteralTooBig() {
    feed("A1 APPEND INBOX {99999999}\r\nA2 NOOP\r\n");
    assertThat(events)
        .containsExactly(
            "refused A1 NO [TOOBIG] Literal of 99999999 octets is over the limit of 26214400",
            command("A2", "NOOP"));
  }

  @Test
  @DisplayName("gives up on the connection for a non-synchronizing literal over the limit")
  void nonSynchronizingLiteralTooBig() {
    parser = parser(MAX_LINE, 100);
    feed("A1 APPEND INBOX {101+}\r\n" + "A2 NOOP\r\n".repeat(20));
    assertThat(events)
        .containsExactly(
            "FATAL A1 BAD [TOOBIG] Non-synchronizing literal of 101 octets is over the limit of"
                + " 100");
  }

  @Test
  @DisplayName("gives up on the connection for a LITERAL- literal over 4096 octets")
  void literalMinusTooBig() {
    feed("A1 APPEND INBOX {4096-}\r\n" + "x".repeat(4096) + "\r\nA2 APPEND INBOX {4097-}\r\n");
    assertThat(events)
        .containsExactly(
            command("A1", "APPEND", atom("INBOX"), str("x".repeat(4096))),
            "FATAL A2 BAD [TOOBIG] Non-synchronizing literal of 4097 octets is over the limit of"
                + " 4096");
    feed("A3 NOOP\r\n");
    assertThat(events).hasSize(2);
  }

  @Test
  @DisplayName("bounds the literals of one command together, and skips a refused one's octets")
  void literalTotal() {
    long max = 40000;
    long total = max + ImapParser.LITERAL_TOTAL_MARGIN;
    parser = parser(MAX_LINE, max);
    String literal = "x".repeat((int) max);
    feed("A1 X {40000}\r\n" + literal + " {40000}\r\n" + literal + " {40000}\r\n");
    feed("A2 X {40000+}\r\n" + literal + " {40000+}\r\n" + literal + " {40000+}\r\n" + literal);
    feed(" \"rest\"\r\nA3 NOOP\r\n");
    String refusal =
        " NO [TOOBIG] The literals of this command add up to over " + total + " octets";
    assertThat(events)
        .containsExactly(
            "+ A1 40000",
            "+ A1 40000",
            "refused A1" + refusal,
            "refused A2" + refusal,
            command("A3", "NOOP"));
  }

  @Test
  @DisplayName("refuses lists nested over 32 deep")
  void nestingDepth() {
    feed("A1 X " + "(".repeat(32) + ")".repeat(32) + "\r\n");
    feed("A2 X " + "(".repeat(33) + ")".repeat(33) + "\r\nA3 NOOP\r\n");
    assertThat(events).hasSize(3);
    assertThat(events.get(1)).isEqualTo("refused A2 BAD Lists nested too deep (over 32 levels)");
    assertThat(events.get(2)).isEqualTo(command("A3", "NOOP"));
  }

  @Test
  @DisplayName("ignores empty lines")
  void emptyLines() {
    assertThat(feed("\r\n\r\n\nA1 NOOP\r\n\r\n")).containsExactly(command("A1", "NOOP"));
  }

  @Test
  @DisplayName("refuses what cannot be read, saying why, and reads the next command")
  void syntaxErrors() {
    String[][] cases = {
      {"A1", "A1 BAD Missing command name"},
      {"A1 ", "A1 BAD Missing command name"},
      {" NOOP", "null BAD Missing tag"},
      {"* NOOP", "null BAD Invalid tag"},
      {"A+1 NOOP", "null BAD Invalid tag"},
      {"A1 NO(OP", "A1 BAD Invalid command name"},
      {"A1 STORE 1 +FLAGS (\\Seen", "A1 BAD Unbalanced parentheses: missing )"},
      {"A1 CHECK a)", "A1 BAD Unbalanced parentheses: ) without ("},
      {"A1 CHECK ( a b )", "A1 BAD Unexpected space: arguments are separated by exactly one"},
      {"A1 CHECK a  b", "A1 BAD Unexpected space: arguments are separated by exactly one"},
      {"A1 CHECK a ", "A1 BAD Missing argument after a space at the end of the line"},
      {"A1 CHECK (a)b", "A1 BAD Expected a space or ) after an argument, found 'b'"},
      {"A1 LOGIN \"abc", "A1 BAD Unterminated quoted string"},
      {"A1 LOGIN \"abc\\", "A1 BAD Unterminated quoted string"},
      {
        "A1 LOGIN \"a\\bc\"",
        "A1 BAD Invalid escape in a quoted string: only \\\" and \\\\ may be escaped, not \\b"
      },
      {"A1 LOGIN \"a\0b\"", "A1 BAD NUL in a quoted string"},
      {"A1 LOGIN \"caf\u00e9\"", "A1 BAD 8-bit characters in a quoted string that are not UTF-8"},
      {"A1 SELECT caf\u00e9", "A1 BAD 8-bit character 0xE9 in an atom"},
      {"A1 SELECT a\0b", "A1 BAD NUL in an atom"},
      {"A1 SELECT a\u0001b", "A1 BAD Control character 0x01 in an atom"},
      {"A1 SELECT a{b", "A1 BAD Unexpected character '{' in an atom"},
      {
        "A1 LOGIN {5}x",
        "A1 BAD Invalid literal: expected {size}, {size+} or {size-} at the end" + " of the line"
      },
      {
        "A1 LOGIN {x}",
        "A1 BAD Invalid literal: expected {size}, {size+} or {size-} at the end" + " of the line"
      },
      {
        "A1 FETCH 1 BODY[HEADER.FIELDS ({4}",
        "A1 BAD A literal inside a section [...] is not" + " supported"
      },
    };
    for (String[] c : cases) {
      events.clear();
      feed(c[0] + "\r\nA9 NOOP\r\n");
      assertThat(events).as(c[0]).containsExactly("refused " + c[1], command("A9", "NOOP"));
    }
  }

  @Test
  @DisplayName("skips the octets of a non-synchronizing literal after a refused line")
  void skipsLiteralOfRefusedLine() {
    feed("A1 LOGIN \"a\\q\" {11+}\r\nA2 LOGOUT\r\n more \"x\r\nA3 NOOP\r\n");
    assertThat(events)
        .containsExactly(
            "refused A1 BAD Invalid escape in a quoted string: only \\\" and \\\\ may be escaped,"
                + " not \\q",
            command("A3", "NOOP"));
  }

  @Test
  @DisplayName("skips the octets of a non-synchronizing literal at the end of a line too long")
  void skipsLiteralOfLongLine() {
    parser = parser(64, MAX_LITERAL);
    feed("A1 LOGIN " + "x".repeat(100) + " {11+}\r\nA2 LOGOUT\r\n\r\nA3 NOOP\r\n");
    feed("A4 LOGIN " + "x".repeat(100) + " {99999999999999999999999999+}\r\nA5 LOGOUT\r\n");
    assertThat(events)
        .containsExactly(
            "refused A1 BAD Command line too long (over 64 octets)",
            command("A3", "NOOP"),
            "refused A4 BAD Command line too long (over 64 octets)",
            "FATAL A4 BAD [TOOBIG] Non-synchronizing literal of 9223372036854775807 octets is over"
                + " the limit of 26214400");
  }

  @Test
  @DisplayName("refuses a raw line too long untagged, and reads commands after it")
  void rawLineTooLong() {
    parser = parser(64, MAX_LITERAL);
    rawAfter = Set.of("AUTHENTICATE");
    feed("A1 AUTHENTICATE PLAIN\r\n" + "A".repeat(100) + "\r\nA2 NOOP\r\n");
    assertThat(events)
        .containsExactly(
            command("A1", "AUTHENTICATE", atom("PLAIN")),
            "refused null BAD Line too long (over 64 octets)",
            command("A2", "NOOP"));
  }

  @Test
  @DisplayName("never throws on random bytes, and refuses only with a reply")
  void randomBytes() {
    Random random = new Random(7);
    byte[] alphabet =
        "AB1 ()[]{}<>\"\\+-~*%:.\r\n\0\u00e9xyz0123456789".getBytes(StandardCharsets.ISO_8859_1);
    for (int round = 0; round < 300; round++) {
      events.clear();
      parser = parser(128, 1000);
      for (int chunk = 0; chunk < 20; chunk++) {
        byte[] bytes = new byte[random.nextInt(40)];
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = alphabet[random.nextInt(alphabet.length)];
        }
        parser.handle(Buffer.buffer(bytes));
      }
      assertThat(events)
          .noneMatch(e -> e.toString().contains("Internal error"))
          .allMatch(
              e ->
                  e instanceof ImapCommand
                      || e.toString().matches("\\+ \\S+ \\d+")
                      || e.toString().matches("(refused|FATAL) \\S+ (BAD|NO \\[TOOBIG\\]) .+"));
    }
  }

  @Test
  @DisplayName("closes rather than throw when the session fails on a command")
  void listenerFailure() {
    List<String> refusals = new ArrayList<>();
    ImapParser failing =
        new ImapParser(
            MAX_LINE,
            MAX_LITERAL,
            new ImapParser.Listener() {
              @Override
              public void command(ImapCommand command) {
                throw new IllegalStateException("session bug");
              }

              @Override
              public void literalWanted(String tag, long size) {}

              @Override
              public void line(String text) {}

              @Override
              public void refused(String tag, String reply, boolean fatal) {
                refusals.add(tag + " " + reply + " " + fatal);
              }
            });
    failing.handle(Buffer.buffer("A1 NOOP\r\nA2 NOOP\r\n"));
    assertThat(refusals).containsExactly("null BAD Internal error while reading the command true");
  }
}
