package dev.kith.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("IMAP SEARCH")
class ImapSearchTest {

  /** A message with settable parts; 15 Mar 2024 12:00 UTC, 1000 octets, no flags by default. */
  static final class Message implements ImapSearch.Candidate {
    long seq = 1;
    long uid = 1;
    Set<String> flags = new LinkedHashSet<>();
    long modseq = 1;
    long size = 1000;
    long internalDate = Instant.parse("2024-03-15T12:00:00Z").toEpochMilli();
    final Map<String, List<String>> headers = new HashMap<>();
    String headerSection;
    String text;
    long largestSeq = 10;
    long largestUid = 100;
    final List<String> calls = new ArrayList<>();

    Message seq(long value) {
      seq = value;
      return this;
    }

    Message uid(long value) {
      uid = value;
      return this;
    }

    Message flags(String... values) {
      flags = Set.of(values);
      return this;
    }

    Message modseq(long value) {
      modseq = value;
      return this;
    }

    Message size(long value) {
      size = value;
      return this;
    }

    Message internalDate(String instant) {
      internalDate = Instant.parse(instant).toEpochMilli();
      return this;
    }

    Message header(String name, String... values) {
      headers.put(name.toLowerCase(), List.of(values));
      return this;
    }

    Message headerSection(String value) {
      headerSection = value;
      return this;
    }

    Message text(String value) {
      text = value;
      return this;
    }

    @Override
    public long seq() {
      return seq;
    }

    @Override
    public long uid() {
      return uid;
    }

    @Override
    public Set<String> flags() {
      return flags;
    }

    @Override
    public long modseq() {
      return modseq;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public long internalDate() {
      return internalDate;
    }

    @Override
    public List<String> header(String name) {
      calls.add("header " + name);
      return headers.getOrDefault(name.toLowerCase(), List.of());
    }

    @Override
    public String headerSection() {
      return headerSection;
    }

    @Override
    public String text() {
      calls.add("text");
      return text;
    }

    @Override
    public long largestSeq() {
      return largestSeq;
    }

    @Override
    public long largestUid() {
      return largestUid;
    }
  }

  static Message message() {
    return new Message();
  }

  /**
   * The arguments of a command line after SEARCH, as the parser would give them: atoms, quoted
   * strings and parenthesized lists (enough of the grammar for these tests).
   */
  static List<ImapArg> args(String line) {
    List<ImapArg> args = new ArrayList<>();
    int end = read(line, 0, args);
    assertThat(end).as("unbalanced parentheses in %s", line).isEqualTo(line.length());
    return args;
  }

  private static int read(String line, int at, List<ImapArg> into) {
    int i = at;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == ' ') {
        i++;
      } else if (c == ')') {
        return i;
      } else if (c == '(') {
        List<ImapArg> items = new ArrayList<>();
        i = read(line, i + 1, items) + 1;
        into.add(new ImapArg.Group(items));
      } else if (c == '"') {
        StringBuilder text = new StringBuilder();
        for (i++; line.charAt(i) != '"'; i++) {
          text.append(line.charAt(i) == '\\' ? line.charAt(++i) : line.charAt(i));
        }
        i++;
        into.add(new ImapArg.Str(text.toString().getBytes(StandardCharsets.UTF_8)));
      } else {
        int start = i;
        while (i < line.length() && " ()".indexOf(line.charAt(i)) < 0) {
          i++;
        }
        into.add(new ImapArg.Atom(line.substring(start, i)));
      }
    }
    return i;
  }

  static ImapSearch search(String line) {
    return ImapSearch.parse(args(line));
  }

  static boolean matches(String line, Message message) {
    return search(line).matches(message);
  }

  static void refused(String line, String message) {
    assertThatThrownBy(() -> search(line))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Nested
  @DisplayName("matches flags")
  class Flags {

    @ParameterizedTest(name = "{0} / UN{0}")
    @CsvSource({
      "ANSWERED, \\Answered",
      "DELETED, \\Deleted",
      "DRAFT, \\Draft",
      "FLAGGED, \\Flagged",
      "SEEN, \\Seen"
    })
    @DisplayName("system flags and their UN forms")
    void systemFlags(String key, String flag) {
      Message with = message().flags(flag, "$Junk");
      Message without = message().flags("$Junk");
      assertThat(matches(key, with)).isTrue();
      assertThat(matches(key, without)).isFalse();
      assertThat(matches("UN" + key, with)).isFalse();
      assertThat(matches("UN" + key, without)).isTrue();
      assertThat(matches(key.toLowerCase(), with)).as("keys in any case").isTrue();
    }

    @Test
    @DisplayName("system flags in any case the store keeps them")
    void flagCase() {
      assertThat(matches("SEEN", message().flags("\\SEEN"))).isTrue();
    }

    @Test
    @DisplayName("KEYWORD and UNKEYWORD, case-insensitively")
    void keywords() {
      Message junk = message().flags("$Junk", "\\Seen");
      assertThat(matches("KEYWORD $junk", junk)).isTrue();
      assertThat(matches("KEYWORD $Phishing", junk)).isFalse();
      assertThat(matches("UNKEYWORD $JUNK", junk)).isFalse();
      assertThat(matches("UNKEYWORD $Phishing", junk)).isTrue();
    }

    @Test
    @DisplayName("RECENT and NEW never (no \\Recent in Kith), OLD and ALL always")
    void recent() {
      Message unseen = message();
      assertThat(matches("RECENT", unseen)).isFalse();
      assertThat(matches("NEW", unseen)).isFalse();
      assertThat(matches("OLD", unseen)).isTrue();
      assertThat(matches("ALL", unseen)).isTrue();
      assertThat(matches("NOT ALL", unseen)).isFalse();
      assertThat(matches("NOT RECENT", unseen)).isTrue();
    }
  }

  @Nested
  @DisplayName("matches sizes, numbers and mod-sequences")
  class SizesAndNumbers {

    @Test
    @DisplayName("LARGER and SMALLER are strict")
    void sizes() {
      Message m = message().size(1000);
      assertThat(matches("LARGER 999", m)).isTrue();
      assertThat(matches("LARGER 1000", m)).isFalse();
      assertThat(matches("SMALLER 1001", m)).isTrue();
      assertThat(matches("SMALLER 1000", m)).isFalse();
      assertThat(matches("LARGER 9223372036854775807", m)).isFalse();
    }

    @Test
    @DisplayName("a bare sequence set with ranges, single numbers and *")
    void sequenceSet() {
      assertThat(matches("1:5,7,9:*", message().seq(3))).isTrue();
      assertThat(matches("1:5,7,9:*", message().seq(7))).isTrue();
      assertThat(matches("1:5,7,9:*", message().seq(10))).isTrue();
      assertThat(matches("1:5,7,9:*", message().seq(6))).isFalse();
      assertThat(matches("1:5,7,9:*", message().seq(8))).isFalse();
      assertThat(matches("*", message().seq(10))).isTrue();
      assertThat(matches("*", message().seq(9))).isFalse();
      assertThat(matches("5:2", message().seq(3))).as("reversed range").isTrue();
    }

    @Test
    @DisplayName("n:* includes the last message even when n is past it")
    void starBelowStart() {
      Message last = message().seq(10).uid(100);
      assertThat(matches("UID 559:*", last)).isTrue();
      assertThat(matches("UID 559:*", message().seq(9).uid(99))).isFalse();
      assertThat(matches("*:20", last)).isTrue();
    }

    @Test
    @DisplayName("UID sets read UIDs and the largest UID, not sequence numbers")
    void uidSet() {
      Message m = message().seq(3).uid(42);
      assertThat(matches("UID 40:45", m)).isTrue();
      assertThat(matches("UID 3", m)).isFalse();
      assertThat(matches("UID 1,42", m)).isTrue();
      assertThat(matches("UID *", message().uid(100))).isTrue();
      assertThat(matches("uid 1:*", m)).isTrue();
    }

    @Test
    @DisplayName("a set whose * changes with the mailbox is read again for the new largest number")
    void starFollowsMailbox() {
      ImapSearch search = search("8:*");
      assertThat(search.matches(message().seq(9))).isTrue();
      Message shrunk = message().seq(9);
      shrunk.largestSeq = 5;
      assertThat(search.matches(shrunk)).isFalse();
      shrunk.seq = 6;
      assertThat(search.matches(shrunk)).isTrue();
    }

    @Test
    @DisplayName("MODSEQ with and without an entry name")
    void modSeq() {
      Message m = message().modseq(620162338);
      assertThat(matches("MODSEQ 620162338", m)).isTrue();
      assertThat(matches("MODSEQ 620162339", m)).isFalse();
      assertThat(matches("MODSEQ \"/flags/\\\\draft\" all 620162338", m)).isTrue();
      assertThat(matches("MODSEQ \"/flags/$Junk\" priv 620162339", m)).isFalse();
      assertThat(matches("MODSEQ 0", m)).isTrue();
      assertThat(search("MODSEQ 5").usesModSeq()).isTrue();
      assertThat(search("NOT (SEEN OR 1 MODSEQ 5)").usesModSeq()).isTrue();
      assertThat(search("SEEN").usesModSeq()).isFalse();
    }
  }

  @Nested
  @DisplayName("matches dates")
  class Dates {

    @Test
    @DisplayName("BEFORE, ON and SINCE by the INTERNALDATE's day in UTC")
    void internalDate() {
      Message m = message().internalDate("2024-03-15T23:30:00Z");
      assertThat(matches("ON 15-Mar-2024", m)).isTrue();
      assertThat(matches("ON 16-Mar-2024", m)).isFalse();
      assertThat(matches("BEFORE 16-Mar-2024", m)).isTrue();
      assertThat(matches("BEFORE 15-Mar-2024", m)).isFalse();
      assertThat(matches("SINCE 15-Mar-2024", m)).isTrue();
      assertThat(matches("SINCE 16-Mar-2024", m)).isFalse();
      assertThat(matches("SINCE \"1-mar-2024\"", m)).as("quoted, one digit, any case").isTrue();
    }

    @Test
    @DisplayName("midnight UTC belongs to the new day; dates before 1970 work")
    void edges() {
      assertThat(matches("ON 16-Mar-2024", message().internalDate("2024-03-16T00:00:00Z")))
          .isTrue();
      assertThat(matches("ON 31-Dec-1969", message().internalDate("1969-12-31T23:59:59Z")))
          .isTrue();
    }

    @Test
    @DisplayName("SENTBEFORE, SENTON and SENTSINCE by the Date field's day, ignoring time and zone")
    void sentDate() {
      Message m =
          message()
              .internalDate("2024-03-20T12:00:00Z")
              .header("Date", "Fri, 15 Mar 2024 23:30:00 -0800 (PST)");
      assertThat(matches("SENTON 15-Mar-2024", m)).isTrue();
      assertThat(matches("SENTON 16-Mar-2024", m)).isFalse();
      assertThat(matches("SENTBEFORE 16-Mar-2024", m)).isTrue();
      assertThat(matches("SENTBEFORE 15-Mar-2024", m)).isFalse();
      assertThat(matches("SENTSINCE 15-Mar-2024", m)).isTrue();
      assertThat(matches("SENTSINCE 16-Mar-2024", m)).isFalse();
      assertThat(search("SENTON 15-Mar-2024").needsHeaders()).isTrue();
      assertThat(search("ON 15-Mar-2024").needsHeaders()).isFalse();
    }

    @Test
    @DisplayName("a Date without a day name, with a two-digit year")
    void oldDates() {
      assertThat(matches("SENTON 7-Nov-1999", message().header("Date", "7 nov 99 10:00 GMT")))
          .isTrue();
      assertThat(matches("SENTON 7-Nov-2009", message().header("Date", "7 Nov 09 10:00 GMT")))
          .isTrue();
    }

    @Test
    @DisplayName("without a readable Date field, SENT* use the INTERNALDATE")
    void sentFallback() {
      Message none = message().internalDate("2024-03-20T12:00:00Z");
      assertThat(matches("SENTON 20-Mar-2024", none)).isTrue();
      Message broken = message().internalDate("2024-03-20T12:00:00Z").header("Date", "soon");
      assertThat(matches("SENTON 20-Mar-2024", broken)).isTrue();
      Message impossible =
          message().internalDate("2024-03-20T12:00:00Z").header("Date", "31 Feb 2024 10:00");
      assertThat(matches("SENTON 20-Mar-2024", impossible)).isTrue();
    }
  }

  @Nested
  @DisplayName("matches strings")
  class Strings {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"FROM", "TO", "CC", "BCC", "SUBJECT"})
    @DisplayName("address and subject fields, substring and case-insensitive")
    void fields(String key) {
      Message m = message().header(key, "Alice Example <alice@kith.example>");
      assertThat(matches(key + " ALICE@kith", m)).isTrue();
      assertThat(matches(key + " \"example <\"", m)).isTrue();
      assertThat(matches(key + " bob", m)).isFalse();
      assertThat(matches(key + " alice", message())).as("no such field").isFalse();
      assertThat(search(key + " x").needsHeaders()).isTrue();
      assertThat(search(key + " x").needsText()).isFalse();
    }

    @Test
    @DisplayName("every occurrence of a field")
    void occurrences() {
      Message m = message().header("To", "a@example.org", "b@example.org");
      assertThat(matches("TO b@", m)).isTrue();
    }

    @Test
    @DisplayName("encoded words decoded, Unicode folded")
    void encodedWords() {
      Message m = message().header("Subject", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=");
      assertThat(matches("SUBJECT \"GRÜSSE\"", m)).as("ß is not folded to ss").isFalse();
      assertThat(matches("SUBJECT \"MÜNCHEN\"", m)).isTrue();
      assertThat(matches("SUBJECT grüße", m)).isTrue();
      assertThat(matches("SUBJECT =?UTF-8?", m)).isFalse();
    }

    @Test
    @DisplayName("HEADER by any field name; an empty string finds messages with the field")
    void header() {
      Message m = message().header("X-Mailer", "Kith 1.0");
      assertThat(matches("HEADER x-mailer kith", m)).isTrue();
      assertThat(matches("HEADER X-Mailer Outlook", m)).isFalse();
      assertThat(matches("HEADER X-Mailer \"\"", m)).isTrue();
      assertThat(matches("HEADER X-Spam \"\"", m)).isFalse();
      assertThat(m.calls).contains("header X-Mailer", "header x-mailer");
    }

    @Test
    @DisplayName("BODY in the text only")
    void body() {
      Message m =
          message().text("Hallo Jürgen, anbei die Datei.").headerSection("Subject: Akte\r\n");
      assertThat(matches("BODY JÜRGEN", m)).isTrue();
      assertThat(matches("BODY Akte", m)).isFalse();
      assertThat(matches("BODY jürgen", message())).as("text not loaded").isFalse();
      assertThat(search("BODY x").needsText()).isTrue();
      assertThat(search("BODY x").needsHeaders()).isFalse();
    }

    @Test
    @DisplayName("TEXT in the header section (unfolded, decoded) and the text")
    void text() {
      Message m =
          message()
              .text("Hallo Jürgen")
              .headerSection("Subject: =?UTF-8?Q?=C3=84pfel?= und\r\n Birnen\r\nFrom: a@b\r\n");
      assertThat(matches("TEXT jürgen", m)).isTrue();
      assertThat(matches("TEXT \"äpfel und birnen\"", m)).isTrue();
      assertThat(matches("TEXT \"from: a@b\"", m)).isTrue();
      assertThat(matches("TEXT kiwi", m)).isFalse();
      assertThat(matches("TEXT hallo", message())).as("nothing loaded").isFalse();
      assertThat(search("OR SEEN TEXT x").needsText()).isTrue();
    }

    @Test
    @DisplayName("reads a message's text once however many keys look at it")
    void textOnce() {
      Message m = message().text("one two three");
      assertThat(matches("BODY one BODY two NOT BODY four", m)).isTrue();
      assertThat(m.calls).containsExactly("text");
    }

    @Test
    @DisplayName("a literal's bytes as UTF-8")
    void literal() {
      List<ImapArg> args =
          List.of(
              new ImapArg.Atom("SUBJECT"),
              new ImapArg.Str("Grüße".getBytes(StandardCharsets.UTF_8)));
      assertThat(ImapSearch.parse(args).matches(message().header("Subject", "Viele Grüße")))
          .isTrue();
    }

    @Test
    @DisplayName("a flags-only search needs neither headers nor text")
    void needsNothing() {
      ImapSearch search = search("SEEN UNFLAGGED 1:* LARGER 5 SINCE 1-Jan-2024");
      assertThat(search.needsHeaders()).isFalse();
      assertThat(search.needsText()).isFalse();
    }
  }

  @Nested
  @DisplayName("combines keys")
  class Combining {

    @Test
    @DisplayName("keys in a row are ANDed")
    void and() {
      Message m = message().flags("\\Seen").size(500);
      assertThat(matches("SEEN SMALLER 600", m)).isTrue();
      assertThat(matches("SEEN SMALLER 400", m)).isFalse();
    }

    @Test
    @DisplayName("OR and NOT")
    void orNot() {
      Message seen = message().flags("\\Seen");
      assertThat(matches("OR SEEN FLAGGED", seen)).isTrue();
      assertThat(matches("OR FLAGGED SEEN", seen)).isTrue();
      assertThat(matches("OR FLAGGED DRAFT", seen)).isFalse();
      assertThat(matches("NOT SEEN", seen)).isFalse();
      assertThat(matches("NOT NOT SEEN", seen)).isTrue();
      assertThat(matches("OR NOT SEEN NOT FLAGGED", seen)).isTrue();
    }

    @Test
    @DisplayName("parentheses group keys, inside OR and NOT too")
    void groups() {
      Message m = message().flags("\\Seen").size(500).seq(3);
      assertThat(matches("(SEEN SMALLER 600)", m)).isTrue();
      assertThat(matches("OR (FLAGGED LARGER 1) (SEEN 1:3)", m)).isTrue();
      assertThat(matches("OR (FLAGGED LARGER 1) (SEEN 4:5)", m)).isFalse();
      assertThat(matches("NOT (SEEN FLAGGED)", m)).isTrue();
      assertThat(matches("((((SEEN))))", m)).isTrue();
      assertThat(matches("OR OR DRAFT FLAGGED (NOT DELETED) ", m)).isTrue();
    }

    @Test
    @DisplayName("nesting up to 32 levels deep")
    void depth() {
      assertThat(matches("NOT ".repeat(32) + "UNSEEN", message())).isTrue();
      assertThat(matches("(".repeat(32) + "ALL" + ")".repeat(32), message())).isTrue();
      refused("NOT ".repeat(33) + "SEEN", "Search keys nested more than 32 levels deep");
      refused(
          "(".repeat(33) + "ALL" + ")".repeat(33), "Search keys nested more than 32 levels deep");
      refused("OR ".repeat(33) + "SEEN", "Search keys nested more than 32 levels deep");
      refused(
          "NOT ".repeat(20) + "(".repeat(13) + "ALL" + ")".repeat(13),
          "Search keys nested more than 32 levels deep");
    }

    @Test
    @DisplayName("at most 1000 keys")
    void count() {
      assertThat(matches("SEEN ".repeat(1000), message().flags("\\Seen"))).isTrue();
      refused("SEEN ".repeat(1001), "SEARCH has more than 1000 search keys");
      refused("(" + "SEEN ".repeat(1000) + ")", "SEARCH has more than 1000 search keys");
    }
  }

  @Nested
  @DisplayName("reads CHARSET")
  class Charset {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"UTF-8", "utf-8", "US-ASCII", "\"UTF-8\""})
    @DisplayName("UTF-8 and US-ASCII")
    void accepted(String charset) {
      assertThat(matches("CHARSET " + charset + " FROM alice", message().header("From", "alice")))
          .isTrue();
    }

    @Test
    @DisplayName("after RETURN")
    void afterReturn() {
      assertThat(search("RETURN (COUNT) CHARSET UTF-8 ALL").extended()).isTrue();
    }

    @Test
    @DisplayName("others are BADCHARSET, not BAD")
    void refusedCharset() {
      assertThatThrownBy(() -> search("CHARSET ISO-8859-1 FROM x"))
          .isInstanceOf(ImapSearch.BadCharset.class)
          .isNotInstanceOf(IllegalArgumentException.class)
          .hasMessage("Unsupported charset ISO-8859-1")
          .extracting(e -> ((ImapSearch.BadCharset) e).charset())
          .isEqualTo("ISO-8859-1");
      assertThat(ImapSearch.CHARSETS).containsExactly("UTF-8", "US-ASCII");
    }
  }

  @Nested
  @DisplayName("answers")
  class Answers {

    @Test
    @DisplayName("* SEARCH with the numbers in order")
    void classic() {
      ImapSearch search = search("ALL");
      assertThat(search.extended()).isFalse();
      assertThat(search.respond("A1", false, List.of(7L, 2L, 5L), 0)).isEqualTo("* SEARCH 2 5 7");
      assertThat(search.respond("A1", true, List.of(), 0)).isEqualTo("* SEARCH");
    }

    @Test
    @DisplayName("(MODSEQ n) after a non-empty result when MODSEQ was searched")
    void classicModSeq() {
      ImapSearch search = search("MODSEQ 620162338");
      assertThat(search.respond("a", false, List.of(2L, 5L), 917162500))
          .isEqualTo("* SEARCH 2 5 (MODSEQ 917162500)");
      assertThat(search.respond("a", false, List.of(), 917162500)).isEqualTo("* SEARCH");
    }

    @Test
    @DisplayName("ESEARCH with MIN, MAX, COUNT and ALL in the short set form")
    void esearch() {
      ImapSearch search = search("RETURN (MIN MAX COUNT ALL) UNSEEN");
      assertThat(search.extended()).isTrue();
      assertThat(search.respond("A1", true, List.of(2L, 3L, 4L, 7L, 9L, 10L), 0))
          .isEqualTo("* ESEARCH (TAG \"A1\") UID MIN 2 MAX 10 COUNT 6 ALL 2:4,7,9:10");
      assertThat(search.respond("A1", false, List.of(5L), 0))
          .isEqualTo("* ESEARCH (TAG \"A1\") MIN 5 MAX 5 COUNT 1 ALL 5");
    }

    @Test
    @DisplayName("RETURN () means ALL; options in any case and order")
    void returnForms() {
      assertThat(search("RETURN () ALL").respond("t", false, List.of(1L, 2L), 0))
          .isEqualTo("* ESEARCH (TAG \"t\") ALL 1:2");
      assertThat(search("RETURN (count min) ALL").respond("t", false, List.of(4L, 1L), 0))
          .isEqualTo("* ESEARCH (TAG \"t\") MIN 1 COUNT 2");
      assertThat(search("RETURN (MAX) ALL").respond("t", true, List.of(4L, 1L), 0))
          .isEqualTo("* ESEARCH (TAG \"t\") UID MAX 4");
    }

    @Test
    @DisplayName("nothing matched: COUNT 0, no MIN, MAX or ALL")
    void empty() {
      ImapSearch search = search("RETURN (MIN MAX COUNT ALL) ALL");
      assertThat(search.respond("A1", false, List.of(), 0))
          .isEqualTo("* ESEARCH (TAG \"A1\") COUNT 0");
      assertThat(search("RETURN (MIN) ALL").respond("A1", true, List.of(), 0))
          .isEqualTo("* ESEARCH (TAG \"A1\") UID");
    }

    @Test
    @DisplayName("ESEARCH with MODSEQ, over the messages MIN and MAX name")
    void esearchModSeq() {
      ImapSearch search = search("RETURN (MIN) MODSEQ 5");
      assertThat(search.modSeqScope(List.of(9L, 3L, 7L))).containsExactly(3L);
      assertThat(search.respond("A1", false, List.of(9L, 3L, 7L), 40))
          .isEqualTo("* ESEARCH (TAG \"A1\") MIN 3 MODSEQ 40");
      assertThat(search("RETURN (MIN MAX) MODSEQ 5").modSeqScope(List.of(9L, 3L, 7L)))
          .containsExactly(3L, 9L);
      assertThat(search("RETURN (MIN MAX) MODSEQ 5").modSeqScope(List.of(3L))).containsExactly(3L);
      assertThat(search("RETURN (MIN COUNT) MODSEQ 5").modSeqScope(List.of(9L, 3L, 7L)))
          .containsExactly(3L, 7L, 9L);
      assertThat(search("MODSEQ 5").modSeqScope(List.of(9L, 3L))).containsExactly(3L, 9L);
      assertThat(search.respond("A1", false, List.of(), 40)).isEqualTo("* ESEARCH (TAG \"A1\")");
    }

    @Test
    @DisplayName("a whole mailbox compactly")
    void compactLarge() {
      List<Long> all = LongStream.rangeClosed(1, 100_000).boxed().toList();
      assertThat(search("RETURN (ALL) ALL").respond("x", false, all, 0))
          .isEqualTo("* ESEARCH (TAG \"x\") ALL 1:100000");
    }
  }

  @Nested
  @DisplayName("refuses")
  class Refusals {

    @Test
    @DisplayName("no search key")
    void noKey() {
      refused("", "SEARCH needs at least one search key");
      refused("CHARSET UTF-8", "SEARCH needs at least one search key");
      refused("RETURN (ALL)", "SEARCH needs at least one search key");
    }

    @Test
    @DisplayName("unknown keys and stray values")
    void unknown() {
      refused("FOO", "Unknown search key FOO");
      refused("SAVEDBEFORE 1-Jan-2024", "Unknown search key SAVEDBEFORE");
      refused("\"SEEN\"", "Expected a search key, got \"SEEN\"");
      refused("()", "Empty parenthesized list of search keys");
      refused("RETURN (ALL) CHARSET UTF-8 RETURN (ALL) SEEN", "Unknown search key RETURN");
    }

    @Test
    @DisplayName("missing arguments")
    void missing() {
      refused("FROM", "FROM needs a string, got nothing");
      refused("FROM (x)", "FROM needs a string, got (x)");
      refused("HEADER Subject", "HEADER Subject needs a string, got nothing");
      refused("LARGER", "LARGER needs a number, got nothing");
      refused("UID", "UID needs a UID set, got nothing");
      refused("UID \"1:2\"", "UID needs a UID set, got \"1:2\"");
      refused("KEYWORD", "KEYWORD needs a flag, got nothing");
      refused("KEYWORD \"\"", "KEYWORD needs a flag, got \"\"");
      refused("HEADER", "HEADER needs a header field name, got nothing");
      refused("NOT", "NOT needs a search key");
      refused("OR SEEN", "OR needs two search keys");
      refused("CHARSET", "CHARSET needs a string, got nothing");
      refused("SINCE", "SINCE needs a date as d-Mon-yyyy, got nothing");
    }

    @Test
    @DisplayName("bad numbers")
    void numbers() {
      refused("LARGER -1", "LARGER needs a number, got -1");
      refused("SMALLER 1k", "SMALLER needs a number, got 1k");
      refused("LARGER 9223372036854775808", "LARGER number is too large: 9223372036854775808");
      refused("MODSEQ x", "MODSEQ needs an entry name \"/flags/<flag>\" or a number, got x");
      refused(
          "MODSEQ \"/flags/\\\\seen\" mine 5",
          "MODSEQ entry type must be priv, shared or all, got mine");
      refused("MODSEQ \"/flags/\\\\seen\" all", "MODSEQ needs a number, got nothing");
    }

    @Test
    @DisplayName("bad sequence sets")
    void sets() {
      refused("0", "Invalid sequence set 0: numbers run from 1 to 4294967295");
      refused(
          "1:4294967296", "Invalid sequence set 1:4294967296: numbers run from 1 to 4294967295");
      refused("1,,2", "Invalid sequence set 1,,2");
      refused("1:", "Invalid sequence set 1:");
      refused("1:2:3", "Invalid sequence set 1:2:3");
      refused("UID 1:x", "Invalid sequence set 1:x");
      refused("3,", "Invalid sequence set 3,");
      refused("12345678901", "Invalid sequence set 12345678901");
    }

    @Test
    @DisplayName("bad dates")
    void dates() {
      refused("SINCE 2024-03-15", "SINCE needs a date as d-Mon-yyyy, got 2024-03-15");
      refused("ON 15-Mrz-2024", "ON needs a date as d-Mon-yyyy, got 15-Mrz-2024");
      refused("BEFORE 15-Mar-24", "BEFORE needs a date as d-Mon-yyyy, got 15-Mar-24");
      refused("SENTON 31-Feb-2024", "SENTON has no such date: 31-Feb-2024");
      refused("SENTSINCE (x)", "SENTSINCE needs a date as d-Mon-yyyy, got (x)");
    }

    @Test
    @DisplayName("bad RETURN and HEADER")
    void returnAndHeader() {
      refused("RETURN ALL", "RETURN needs a parenthesized list of options");
      refused("RETURN (SAVE) ALL", "Unknown RETURN option SAVE");
      refused("RETURN ((ALL)) ALL", "Unknown RETURN option (ALL)");
      refused("HEADER \"\" x", "HEADER needs a header field name, got \"\"");
      refused("HEADER \"Sub ject\" x", "HEADER needs a header field name, got \"Sub ject\"");
    }
  }
}
