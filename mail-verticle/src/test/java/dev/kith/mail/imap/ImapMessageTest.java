package dev.kith.mail.imap;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ImapMessage} on tricky messages, checked against a real Dovecot's answers.
 *
 * <p>How the expectations were obtained: the messages in {@code imap/messages/*.eml} (simple text,
 * no Content-Type, multipart/alternative, nested multipart/mixed with an attachment and a
 * message/rfc822, group addresses, quoted names with commas and escapes, encoded words, bare LF, a
 * missing final boundary, a header-only message, 8-bit headers, a multipart without boundary,
 * broken MIME, broken addresses, boundary prefixes, an empty message, latin-1 junk with a NUL, a
 * multipart/digest, 105 nested multiparts) were put in a throwaway Maildir, Debian's Dovecot
 * 2.3.19.1 ({@code apt-get install dovecot-imapd}) was run as {@code /usr/lib/dovecot/imap -c
 * dovecot.conf} in preauth mode on stdin/stdout as user nobody (no daemon, no port), and each
 * message was asked {@code FETCH n (item)} for every item in {@code imap/dovecot-items.txt}, one at
 * a time, after one BODYSTRUCTURE fetch had settled Dovecot's cache ({@code
 * imap/capture-dovecot-answers.py} does all that again, as root). {@code imap/dovecot-answers.tsv}
 * holds Dovecot's answers octet for octet; {@link #answersAsDovecot} checks every one of them, and
 * {@link #ours} lists where this class answers otherwise on purpose. The other tests restate the
 * important cases readably.
 */
class ImapMessageTest {

  private static final String BARE_LF = "07-bare-lf.eml";

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dovecotAnswers")
  void answersAsDovecot(String file, String item, byte[] dovecot) {
    ImapMessage message = new ImapMessage(message(file));
    byte[] answer = fetch(message, item);
    byte[] expected = ours(file, item, dovecot, message);
    assertThat(new String(answer, ISO_8859_1)).isEqualTo(new String(expected, ISO_8859_1));
  }

  /**
   * What this class answers where it differs from Dovecot on purpose: stored octets rather than
   * CRLF-converted ones (sizes too), NUL kept (the renderer sends a literal8 or replaces it), 8-bit
   * header text that is not UTF-8 read as ISO-8859-1, BINARY of a multipart or message/rfc822 not
   * decoded inside, and one header/boundary corner.
   */
  private static byte[] ours(String file, String item, byte[] dovecot, ImapMessage m) {
    String key = file + " " + item;
    if (file.equals(BARE_LF)) {
      return switch (item) {
        case "RFC822.SIZE" -> "209".getBytes(UTF_8);
        case "BODY" ->
            ("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)(\"text\" \"plain\""
                    + " (\"charset\" \"utf-8\") NIL NIL \"7bit\" 16 1) \"mixed\")")
                .getBytes(UTF_8);
        case "BODYSTRUCTURE" ->
            ("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)"
                    + "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 16 1 NIL NIL NIL NIL)"
                    + " \"mixed\" (\"boundary\" \"lf\") NIL NIL NIL)")
                .getBytes(UTF_8);
        case "BODY[]<10.20>" -> "xample.org\nTo: bob@e".getBytes(UTF_8);
        default -> lfOnly(dovecot);
      };
    }
    return switch (key) {
      case "03-alternative.eml BINARY[]",
          "04-nested.eml BINARY[]",
          "14-broken-mime.eml BINARY[]",
          "23-message-rfc822-digest-default.eml BINARY[]" ->
          m.section("");
      case "04-nested.eml BINARY[3]" -> m.section("3");
      case "23-message-rfc822-digest-default.eml BINARY[2]" -> m.section("2");
      case "13-odd-headers.eml BINARY[]", "15-bad-addresses.eml BINARY[]" ->
          concat(m.section("HEADER"), m.binary("1"));
      case "19-latin1-junk.eml ENVELOPE" ->
          ("(NIL {16}\r\ncafé ÿþ\uFFFDnul (({14}\r\nMüller, Jörg NIL \"j\" \"example.de\"))"
                  + " (({14}\r\nMüller, Jörg NIL \"j\" \"example.de\")) (({14}\r\nMüller, Jörg NIL"
                  + " \"j\" \"example.de\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL NIL NIL)")
              .getBytes(UTF_8);
      case "21-rfc822-cut.eml BODY[2.MIME]" ->
          "Content-Type: message/rfc822\r\n\r\n".getBytes(UTF_8);
      default -> file.equals("19-latin1-junk.eml") ? withNul(dovecot) : dovecot;
    };
  }

  @Test
  void simpleMessage() {
    ImapMessage m = new ImapMessage(message("01-simple.eml"));
    assertThat(m.envelope())
        .isEqualTo(
            "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"afternoon meeting\""
                + " ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))"
                + " ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))"
                + " ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))"
                + " ((NIL NIL \"mooch\" \"owatagu.siam.edu.example\")) NIL NIL NIL"
                + " \"<B27397-0100000@Blurdybloop.example>\")");
    // Dovecot's fixed lower-case answer for a plain 7-bit us-ascii message.
    assertThat(m.bodyStructure(true))
        .isEqualTo(
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 55 1 NIL NIL NIL NIL)");
    assertThat(m.bodyStructure(false))
        .isEqualTo("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 55 1)");
    assertThat(m.size()).isEqualTo(326);
    assertThat(text(m.section("1")))
        .isEqualTo("Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
    assertThat(m.section("")).isSameAs(m.section(""));
  }

  @Test
  void noContentTypeIsPlainUsAscii() {
    ImapMessage m = new ImapMessage(message("02-no-content-type.eml"));
    assertThat(m.bodyStructure(true))
        .isEqualTo(
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 22 3 NIL NIL NIL NIL)");
    // A folded subject is sent as a literal, as Dovecot does.
    assertThat(m.envelope()).startsWith("(\"Tue, 1 Jan 2030 10:00:00 +0000\" {20}\r\nplain folded");
    assertThat(m.header("subject")).isEqualTo("plain folded subject");
  }

  @Test
  void groupsAndQuotedNames() {
    ImapMessage m = new ImapMessage(message("05-groups.eml"));
    String from = "(({14}\r\nDoe, John \"JD\" NIL \"john\" \"example.org\"))";
    assertThat(m.envelope())
        .isEqualTo(
            "(\"Thu, 3 Jan 2030 12:00:00 +0000\" \"groups\" "
                + from
                + " "
                + from
                + " "
                + from
                + " ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"
                + " ((NIL NIL \"Friends\" NIL)(NIL NIL \"a\" \"example.org\")"
                + "(\"Smith, B\" NIL \"b\" \"example.org\")(NIL NIL NIL NIL)"
                + "(NIL NIL \"solo\" \"example.org\"))"
                + " ((\"Comment, Two\" NIL \"c\" \"example.org\")"
                + "(NIL \"@route.example,@r2.example\" \"d\" \"example.org\")) NIL NIL)");
  }

  @Test
  void encodedWordsStayEncoded() {
    ImapMessage m = new ImapMessage(message("06-encoded.eml"));
    assertThat(m.envelope())
        .contains("{43}\r\n=?UTF-8?B?w4ljb2xl?= =?UTF-8?Q?_caf=C3=A9?= ")
        .contains("((\"=?UTF-8?Q?Andr=C3=A9?=\" NIL \"andre\" \"example.org\"))");
    assertThat(m.bodyStructure(false)).contains("\"name\" \"=?UTF-8?Q?na=C3=AFve.txt?=\"");
  }

  @Test
  void nestedMultipart() {
    ImapMessage m = new ImapMessage(message("04-nested.eml"));
    assertThat(m.bodyStructure(true))
        .isEqualTo(
            "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)"
                + "(\"text\" \"html\" (\"charset\" \"us-ascii\") \"<html@example.org>\""
                + " \"The HTML part\" \"7bit\" 16 0 NIL NIL (\"en\" \"de\")"
                + " \"http://example.org/x.html\") \"alternative\" (\"boundary\" \"inner\") NIL NIL"
                + " NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL \"base64\" 16 NIL"
                + " (\"attachment\" (\"filename\" \"report.pdf\" \"size\" \"12\")) NIL NIL)"
                + "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 330 (\"Thu, 3 Jan 2030 12:00:00"
                + " -0500\" \"forwarded\" ((\"Inner Sender\" NIL \"inner\" \"example.net\"))"
                + " ((\"Inner Sender\" NIL \"inner\" \"example.net\")) ((\"Inner Sender\" NIL"
                + " \"inner\" \"example.net\")) ((NIL NIL \"nest\" \"example.org\")) NIL NIL NIL"
                + " NIL) ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0 NIL NIL"
                + " NIL NIL)(\"image\" \"png\" NIL NIL NIL \"base64\" 12 NIL NIL NIL NIL) \"mixed\""
                + " (\"boundary\" \"deep\") NIL NIL NIL) 17 NIL (\"inline\" NIL) NIL NIL) \"mixed\""
                + " (\"boundary\" \"outer\") NIL NIL NIL)");
    assertThat(text(m.section("1.1"))).isEqualTo("plain body");
    assertThat(text(m.section("1.2.MIME")))
        .startsWith("Content-Type: text/html;")
        .endsWith("\r\n\r\n");
    assertThat(text(m.section("2"))).isEqualTo("SGVsbG8sIFBERiE=");
    assertThat(text(m.binary("2"))).isEqualTo("Hello, PDF!");
    assertThat(text(m.section("3.MIME")))
        .isEqualTo("Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n");
    assertThat(text(m.section("3.HEADER.FIELDS (subject)")))
        .isEqualTo("Subject: forwarded\r\n\r\n");
    assertThat(text(m.section("3.TEXT"))).startsWith("--deep\r\n").endsWith("--deep--\r\n");
    assertThat(text(m.section("3.1"))).isEqualTo("deep text");
    assertThat(text(m.section("2.1"))).isEqualTo("SGVsbG8sIFBERiE="); // 1 of a leaf is the leaf
    assertThat(m.section("1.HEADER")).isEmpty(); // HEADER of a part that is no message
    assertThat(m.section("4")).isEmpty(); // no such part: empty, as Dovecot answers
  }

  @Test
  void bareLfStaysAsStored() {
    ImapMessage m = new ImapMessage(message(BARE_LF));
    assertThat(m.size()).isEqualTo(209);
    assertThat(text(m.section("2"))).isEqualTo("second\ntwo lines");
    assertThat(text(m.section("2.MIME"))).isEqualTo("Content-Type: text/plain; charset=utf-8\n\n");
    assertThat(text(m.section("HEADER.FIELDS (SUBJECT)"))).isEqualTo("Subject: bare lf\n\n");
  }

  @Test
  void brokenMultiparts() {
    ImapMessage truncated = new ImapMessage(message("08-missing-final-boundary.eml"));
    assertThat(text(truncated.section("2"))).isEqualTo("<p>cut off here\r\n");
    ImapMessage noBoundary = new ImapMessage(message("11-multipart-no-boundary.eml"));
    assertThat(noBoundary.bodyStructure(true))
        .isEqualTo(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
                + " \"mixed\" NIL NIL NIL NIL)");
    assertThat(noBoundary.section("1")).isEmpty();
    ImapMessage headerOnly = new ImapMessage(message("09-header-only.eml"));
    assertThat(headerOnly.bodyStructure(false))
        .isEqualTo("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
    assertThat(text(headerOnly.section("HEADER.FIELDS (FROM)")))
        .isEqualTo("From: ho@example.org\r\n\r\n");
    assertThat(text(headerOnly.section("HEADER.FIELDS.NOT (FROM)")))
        .isEqualTo("To: bob@example.org\r\nSubject: header only\r\n");
  }

  @Test
  void eightBitHeadersAreLiterals() {
    ImapMessage m = new ImapMessage(message("10-8bit-headers.eml"));
    assertThat(m.envelope())
        .isEqualTo(
            "(\"Sat, 5 Jan 2030 08:00:00 +0100\" {17}\r\nGrüße aus Köln"
                + " (({15}\r\nJürgen Müller NIL \"juergen\" \"example.de\"))"
                + " (({15}\r\nJürgen Müller NIL \"juergen\" \"example.de\"))"
                + " (({15}\r\nJürgen Müller NIL \"juergen\" \"example.de\"))"
                + " (({4}\r\nZoë NIL \"zoe\" \"example.de\")) NIL NIL NIL NIL)");
  }

  @Test
  void headersAreReadUnfolded() {
    ImapMessage m = new ImapMessage(message("13-odd-headers.eml"));
    assertThat(m.header("X-DUP")).isEqualTo("one");
    assertThat(m.headers("x-dup")).containsExactly("one", "two  continued");
    assertThat(m.header("Missing")).isNull();
    assertThat(text(m.section("HEADER.FIELDS (X-Dup)")))
        .isEqualTo("X-Dup: one\r\nX-Dup: two\r\n  continued\r\n\r\n");
    assertThat(m.binary("1")).containsExactly("Voil\u00e0 soft\r\n".getBytes(ISO_8859_1));
  }

  @Test
  void unknownTransferEncodingHasNoBinary() {
    ImapMessage m = new ImapMessage(message("14-broken-mime.eml"));
    assertThat(m.binary("3")).isNull();
    assertThat(m.binary("9")).isEmpty();
    assertThatThrownBy(() -> m.binary("1.MIME")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void imapStrings() {
    assertThat(ImapMessage.string((String) null)).isEqualTo("NIL");
    assertThat(ImapMessage.string("")).isEqualTo("\"\"");
    assertThat(ImapMessage.string("a \"b\" \\c")).isEqualTo("\"a \\\"b\\\" \\\\c\"");
    assertThat(ImapMessage.string("\"\"\"\"\"")).isEqualTo("{5}\r\n\"\"\"\"\"");
    assertThat(ImapMessage.string("two\r\nlines")).isEqualTo("{10}\r\ntwo\r\nlines");
    assertThat(ImapMessage.string("Zoë")).isEqualTo("{4}\r\nZoë");
    assertThat(ImapMessage.string("😀")).isEqualTo("{4}\r\n😀");
    assertThat(ImapMessage.string("Zo\u00eb".getBytes(ISO_8859_1)))
        .isEqualTo("{3}\r\nZo\u00eb".getBytes(ISO_8859_1));
    assertThat(text(ImapMessage.string("plain".getBytes(UTF_8)))).isEqualTo("\"plain\"");
    assertThat(text(ImapMessage.string((byte[]) null))).isEqualTo("NIL");
  }

  @Test
  void partials() {
    byte[] b = "0123456789".getBytes(UTF_8);
    assertThat(text(ImapMessage.partial(b, 2, 3))).isEqualTo("234");
    assertThat(text(ImapMessage.partial(b, 8, 100))).isEqualTo("89");
    assertThat(ImapMessage.partial(b, 10, 5)).isEmpty();
    assertThat(ImapMessage.partial(b, 0, Long.MAX_VALUE)).isSameAs(b);
    assertThat(ImapMessage.partial(b, 3, 0)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "MIME",
        "1.",
        ".1",
        "0",
        "1.0",
        "01",
        "1..2",
        "BODY",
        "HEADER.FIELDS",
        "HEADER.FIELDS ()",
        "HEADER.FIELDS (A",
        "HEADER.FIELDS (A) x",
        "HEADER.FIELDS (A  B)",
        "1.HEADERX",
        "TEXT.MIME",
        "HEADER.FIELDS (\"A)"
      })
  void malformedSectionsAreRejected(String spec) {
    ImapMessage m = new ImapMessage(message("04-nested.eml"));
    assertThatThrownBy(() -> m.section(spec)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sectionSpecsAreCaseInsensitive() {
    ImapMessage m = new ImapMessage(message("04-nested.eml"));
    assertThat(m.section("3.header")).isEqualTo(m.section("3.HEADER"));
    assertThat(m.section("header.fields.not (\"Subject\" to)"))
        .isEqualTo(m.section("HEADER.FIELDS.NOT (SUBJECT TO)"));
    assertThat(m.section("99999999999")).isEmpty();
  }

  /** Every prefix of every message, and random junk: answers, never an exception. */
  @Test
  void neverThrowsOnBrokenMessages() {
    List<byte[]> inputs = new ArrayList<>();
    for (String file : List.of("04-nested.eml", "14-broken-mime.eml", "05-groups.eml")) {
      byte[] whole = message(file);
      for (int n = 0; n <= whole.length; n++) {
        inputs.add(java.util.Arrays.copyOf(whole, n));
      }
    }
    Random random = new Random(42);
    String alphabet = "--\r\n:;=\"\\()<>@,.ab \tContent-Type: multipart/mixed; boundary=a\u00ff";
    for (int i = 0; i < 500; i++) {
      StringBuilder junk = new StringBuilder();
      for (int k = random.nextInt(300); k > 0; k--) {
        junk.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      inputs.add(junk.toString().getBytes(ISO_8859_1));
    }
    for (byte[] raw : inputs) {
      ImapMessage m = new ImapMessage(raw);
      assertThat(m.envelope()).startsWith("(").endsWith(")");
      assertThat(m.bodyStructure(true)).startsWith("(").endsWith(")");
      for (String spec : List.of("1", "1.MIME", "2.1", "3.TEXT", "TEXT", "HEADER.FIELDS (TO)")) {
        assertThat(m.section(spec)).isNotNull();
      }
      m.binary("1");
      m.binary("");
    }
  }

  static Stream<Arguments> dovecotAnswers() {
    List<Arguments> out = new ArrayList<>();
    for (String line : resource("/imap/dovecot-answers.tsv").split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", 3);
      out.add(Arguments.of(f[0], f[1], unescape(f[2])));
    }
    return out.stream();
  }

  /** What a FETCH of {@code item} answers, as the Dovecot answer file writes it. */
  private static byte[] fetch(ImapMessage m, String item) {
    switch (item) {
      case "RFC822.SIZE":
        return Long.toString(m.size()).getBytes(UTF_8);
      case "ENVELOPE":
        return m.envelope().getBytes(UTF_8);
      case "BODY":
        return m.bodyStructure(false).getBytes(UTF_8);
      case "BODYSTRUCTURE":
        return m.bodyStructure(true).getBytes(UTF_8);
      default:
        break;
    }
    int open = item.indexOf('[');
    int close = item.lastIndexOf(']');
    String spec = item.substring(open + 1, close);
    byte[] value;
    if (item.startsWith("BINARY")) {
      value = m.binary(spec);
      if (value == null) {
        return "!NO [UNKNOWN-CTE]".getBytes(UTF_8);
      }
    } else {
      value = m.section(spec);
    }
    String partial = item.substring(close + 1);
    if (!partial.isEmpty()) {
      String[] on = partial.substring(1, partial.length() - 1).split("\\.");
      value = ImapMessage.partial(value, Long.parseLong(on[0]), Long.parseLong(on[1]));
    }
    return value;
  }

  private static byte[] message(String file) {
    return bytes("/imap/messages/" + file);
  }

  private static String resource(String path) {
    return new String(bytes(path), UTF_8);
  }

  private static byte[] bytes(String path) {
    try (InputStream in = ImapMessageTest.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("no resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] unescape(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        out.write(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 'r' -> out.write('\r');
        case 'n' -> out.write('\n');
        case 't' -> out.write('\t');
        case 'x' -> {
          out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
          i += 2;
        }
        default -> out.write(e);
      }
    }
    return out.toByteArray();
  }

  /** Dovecot's answer for a bare-LF message with its CRLFs back to the stored LFs. */
  private static byte[] lfOnly(byte[] b) {
    return new String(b, ISO_8859_1).replace("\r\n", "\n").getBytes(ISO_8859_1);
  }

  /** Dovecot's answer with the NULs it turned into 0x80 back as stored. */
  private static byte[] withNul(byte[] b) {
    byte[] out = b.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] == (byte) 0x80) {
        out[i] = 0;
      }
    }
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String text(byte[] b) {
    return new String(b, UTF_8);
  }
}
