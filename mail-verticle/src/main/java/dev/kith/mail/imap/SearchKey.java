package dev.kith.mail.imap;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;

/**
 * One search key of an IMAP SEARCH (RFC 3501 / RFC 9051 §6.4.4), as a tree that {@link ImapSearch}
 * builds once from the command and then evaluates against every message of the mailbox.
 *
 * <p>The tree is kept apart from the parser so that matching is one small method per kind of key,
 * and so that {@link #any} can tell the session what a search needs before it loads anything (a
 * flags-only search never reads a message). The keys that compare strings hold their needle in
 * lower case already; the {@link Probe} lower-cases each message text once however many keys read
 * it.
 */
sealed interface SearchKey {

  /** Milliseconds in a UTC day. */
  long DAY_MILLIS = 24L * 60 * 60 * 1000;

  /** The month abbreviations of IMAP and RFC 5322 dates, four characters apart. */
  String MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC ";

  /** Day, month and year in an RFC 5322 date-time, whatever comes before or after. */
  Pattern SENT_DATE = Pattern.compile("(?<![0-9])([0-9]{1,2})\\s+([A-Za-z]{3})\\s+([0-9]{2,4})\\b");

  /** Whether the message {@code probe} wraps matches this key. */
  boolean matches(Probe probe);

  /** Whether this key or any key inside it passes {@code test}. */
  default boolean any(Predicate<SearchKey> test) {
    return test.test(this);
  }

  /** ALL and OLD (always true); RECENT and NEW (always false: Kith keeps no \Recent). */
  record Const(boolean value) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      return value;
    }
  }

  /** A system flag or keyword that must be set ({@code set}) or must not be. */
  record Flag(String flag, boolean set) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      return probe.hasFlag(flag) == set;
    }
  }

  /** LARGER (size above {@code bytes}) or SMALLER (size below it), RFC822.SIZE in octets. */
  record Size(long bytes, boolean larger) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      long size = probe.candidate().size();
      return larger ? size > bytes : size < bytes;
    }
  }

  /** How a date key compares a message's day with its own. */
  enum When {
    BEFORE,
    ON,
    SINCE;

    boolean test(long messageDay, long keyDay) {
      return switch (this) {
        case BEFORE -> messageDay < keyDay;
        case ON -> messageDay == keyDay;
        case SINCE -> messageDay >= keyDay;
      };
    }
  }

  /**
   * BEFORE, ON, SINCE (the INTERNALDATE's day in UTC) and SENTBEFORE, SENTON, SENTSINCE (the Date
   * header's day as written, time and zone ignored); {@code day} is an epoch day.
   */
  record Dated(When when, boolean sent, long day) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      long messageDay =
          sent ? probe.sentDay() : Math.floorDiv(probe.candidate().internalDate(), DAY_MILLIS);
      return when.test(messageDay, day);
    }
  }

  /**
   * HEADER name value, and FROM, TO, CC, BCC, SUBJECT: some occurrence of the field contains {@code
   * needle} (lower case). An empty needle matches every message that has the field.
   */
  record Header(String name, String needle) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      for (String value : probe.header(name)) {
        if (value.contains(needle)) {
          return true;
        }
      }
      return false;
    }
  }

  /** BODY: the message's text contains {@code needle} (lower case). */
  record Body(String needle) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      String text = probe.text();
      return text != null && text.contains(needle);
    }
  }

  /** TEXT: the header section or the text contains {@code needle} (lower case). */
  record Text(String needle) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      String headers = probe.headerSection();
      String text = probe.text();
      return headers != null && headers.contains(needle) || text != null && text.contains(needle);
    }
  }

  /** A set of message numbers where {@code *} stands for the largest one in use. */
  interface NumberSet {
    boolean contains(long number, long largest);
  }

  /** UID set ({@code uid}) or a bare sequence set. */
  record InSet(boolean uid, NumberSet set) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      ImapSearch.Candidate m = probe.candidate();
      return uid ? set.contains(m.uid(), m.largestUid()) : set.contains(m.seq(), m.largestSeq());
    }
  }

  /**
   * MODSEQ (RFC 7162 §3.1.5): the message's mod-sequence is at least {@code min}. Kith keeps one
   * mod-sequence per message, which the RFC allows to stand for each of its flags, so an entry name
   * is read and ignored.
   */
  record ModSeq(long min) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      return probe.candidate().modseq() >= min;
    }
  }

  /** NOT key. */
  record Not(SearchKey key) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      return !key.matches(probe);
    }

    @Override
    public boolean any(Predicate<SearchKey> test) {
      return test.test(this) || key.any(test);
    }
  }

  /** OR key1 key2. */
  record Or(SearchKey left, SearchKey right) implements SearchKey {
    @Override
    public boolean matches(Probe probe) {
      return left.matches(probe) || right.matches(probe);
    }

    @Override
    public boolean any(Predicate<SearchKey> test) {
      return test.test(this) || left.any(test) || right.any(test);
    }
  }

  /** Keys in a row or in parentheses: all of them. */
  record And(List<SearchKey> keys) implements SearchKey {
    public And {
      keys = List.copyOf(keys);
    }

    @Override
    public boolean matches(Probe probe) {
      for (SearchKey key : keys) {
        if (!key.matches(probe)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public boolean any(Predicate<SearchKey> test) {
      return test.test(this) || keys.stream().anyMatch(key -> key.any(test));
    }
  }

  /** The month (1 to 12) of an English three-letter abbreviation in any case, or 0. */
  static int month(String abbreviation) {
    int index = MONTHS.indexOf(abbreviation.toUpperCase(Locale.ROOT) + " ");
    return abbreviation.length() == 3 && index % 4 == 0 ? index / 4 + 1 : 0;
  }

  /**
   * The epoch day of an RFC 5322 Date value (its date as written, time and zone ignored), or null
   * when it has none. Two- and three-digit years are read as RFC 5322 §4.3 says.
   */
  static Long sentDay(String value) {
    Matcher date = SENT_DATE.matcher(value);
    if (!date.find()) {
      return null;
    }
    int month = month(date.group(2));
    int year = Integer.parseInt(date.group(3));
    if (date.group(3).length() == 2) {
      year += year < 50 ? 2000 : 1900;
    } else if (date.group(3).length() == 3) {
      year += 1900;
    }
    try {
      return month == 0
          ? null
          : LocalDate.of(year, month, Integer.parseInt(date.group(1))).toEpochDay();
    } catch (DateTimeException e) {
      return null;
    }
  }

  /**
   * One message while a search looks at it: its candidate, and what the keys read from it decoded
   * and lower-cased once, so that a search with many string keys does not redo that work per key.
   */
  final class Probe {
    private final ImapSearch.Candidate candidate;
    private Map<String, List<String>> headers;
    private String text;
    private boolean textRead;
    private String headerSection;
    private boolean headerSectionRead;
    private Long sentDay;

    Probe(ImapSearch.Candidate candidate) {
      this.candidate = candidate;
    }

    ImapSearch.Candidate candidate() {
      return candidate;
    }

    boolean hasFlag(String flag) {
      for (String set : candidate.flags()) {
        if (set.equalsIgnoreCase(flag)) {
          return true;
        }
      }
      return false;
    }

    /** Every value of the field {@code name}, encoded words decoded, in lower case. */
    List<String> header(String name) {
      if (headers == null) {
        headers = new HashMap<>();
      }
      return headers.computeIfAbsent(
          name.toLowerCase(Locale.ROOT),
          key -> {
            List<String> values = candidate.header(name);
            return values == null ? List.of() : values.stream().map(Probe::fold).toList();
          });
    }

    /** The message's text in lower case, or null when it is not loaded. */
    String text() {
      if (!textRead) {
        String raw = candidate.text();
        text = raw == null ? null : raw.toLowerCase(Locale.ROOT);
        textRead = true;
      }
      return text;
    }

    /** The header section unfolded, encoded words decoded, in lower case; or null. */
    String headerSection() {
      if (!headerSectionRead) {
        String raw = candidate.headerSection();
        headerSection = raw == null ? null : fold(raw.replaceAll("\r?\n(?=[ \t])", ""));
        headerSectionRead = true;
      }
      return headerSection;
    }

    /**
     * The day of the first Date field; for a message without a readable one, the INTERNALDATE's day
     * in UTC, as RFC 5256 §2.2 has SORT do, so that SENT* and SORT by date agree.
     */
    long sentDay() {
      if (sentDay == null) {
        List<String> dates = candidate.header("Date");
        Long day = dates == null || dates.isEmpty() ? null : SearchKey.sentDay(dates.get(0));
        sentDay = day != null ? day : Math.floorDiv(candidate.internalDate(), DAY_MILLIS);
      }
      return sentDay;
    }

    private static String fold(String value) {
      return DecoderUtil.decodeEncodedWords(value, DecodeMonitor.SILENT).toLowerCase(Locale.ROOT);
    }
  }
}
