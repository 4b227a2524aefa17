package dev.kith.mail.imap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An IMAP SEARCH command read once and asked about every message: RFC 3501 and RFC 9051 §6.4.4 with
 * every search key of either, CONDSTORE's MODSEQ key (RFC 7162 §3.1.5) and the ESEARCH return
 * options MIN, MAX, COUNT and ALL (RFC 4731, RFC 9051).
 *
 * <p>It knows nothing of how mailboxes are stored: the session hands it each message as a {@link
 * Candidate}, and asks {@link #needsHeaders} and {@link #needsText} first so that it reads header
 * fields or message bodies only when a key needs them. The session computes the list of matching
 * numbers (sequence numbers, or UIDs for UID SEARCH) and lets {@link #respond} write the untagged
 * reply.
 *
 * <p>Choices where the RFCs leave room: INTERNALDATE keys (BEFORE, ON, SINCE) compare days in UTC,
 * the server's time zone; SENT* keys compare the Date field's day as written and fall back to the
 * INTERNALDATE for a message without a readable Date field; string keys compare case-insensitively
 * by {@code toLowerCase(Locale.ROOT)} after decoding RFC 2047 encoded words. Kith keeps no \Recent
 * flag, so RECENT and NEW never match and OLD always does. Untrusted input is bounded: at most
 * {@link #MAX_DEPTH} levels of NOT, OR and parentheses and {@link #MAX_KEYS} keys.
 */
final class ImapSearch {

  /** Most NOT, OR and parenthesis levels inside one another. */
  static final int MAX_DEPTH = 32;

  /** Most search keys in one command, nested ones included. */
  static final int MAX_KEYS = 1000;

  /** What CHARSET accepts; the session names them in {@code NO [BADCHARSET (...)]}. */
  static final List<String> CHARSETS = List.of("UTF-8", "US-ASCII");

  /**
   * Thrown for a CHARSET other than {@link #CHARSETS}: the session answers {@code NO [BADCHARSET
   * (UTF-8 US-ASCII)]} rather than BAD, as RFC 3501 §6.4.4 asks.
   */
  static final class BadCharset extends RuntimeException {
    private final String charset;

    BadCharset(String charset) {
      super("Unsupported charset " + charset);
      this.charset = charset;
    }

    String charset() {
      return charset;
    }
  }

  /**
   * One message as a search sees it. The session implements it over its own store; each method is
   * called only when a key needs it (most searches read flags and numbers only).
   */
  interface Candidate {
    /** The message sequence number. */
    long seq();

    long uid();

    /** Its flags as IMAP writes them: {@code \Seen}, {@code \Answered}, keywords such as $Junk. */
    Set<String> flags();

    /** Its CONDSTORE mod-sequence. */
    long modseq();

    /** RFC822.SIZE, in octets. */
    long size();

    /** INTERNALDATE, in epoch milliseconds. */
    long internalDate();

    /**
     * The values of every occurrence of the header field {@code name} (matched case-insensitively),
     * unfolded, encoded words left as they are; empty when the message has none.
     */
    List<String> header(String name);

    /**
     * The whole header section as it is in the message (folded or not, encoded words left as they
     * are), for TEXT; null when it is not loaded.
     */
    String headerSection();

    /** The decoded text of the message for BODY and TEXT; null when not loaded (no match). */
    String text();

    /** The highest sequence number in the mailbox: {@code *} in a sequence set. */
    long largestSeq();

    /** The highest UID in the mailbox: {@code *} in a UID set. */
    long largestUid();
  }

  /** The ESEARCH return options (RFC 4731 §3.1). */
  enum Return {
    MIN,
    MAX,
    COUNT,
    ALL
  }

  private final SearchKey key;
  private final Set<Return> returns;

  private ImapSearch(SearchKey key, Set<Return> returns) {
    this.key = key;
    this.returns = returns;
  }

  /**
   * Reads the arguments of SEARCH or UID SEARCH, after the command name: {@code [RETURN (...)]
   * [CHARSET name] key...}.
   *
   * @throws BadCharset for a charset other than UTF-8 and US-ASCII
   * @throws IllegalArgumentException for anything else wrong, with the text for the BAD reply
   */
  static ImapSearch parse(List<ImapArg> args) {
    SearchKeyReader reader = new SearchKeyReader(args, Numbers::parse);
    Set<Return> returns = null;
    if (reader.nextIs("RETURN")) {
      reader.next();
      returns = returnOptions(reader.next());
    }
    if (reader.nextIs("CHARSET")) {
      reader.next();
      String charset = reader.string("CHARSET");
      if (!CHARSETS.contains(charset.toUpperCase(Locale.ROOT))) {
        throw new BadCharset(charset);
      }
    }
    if (!reader.hasNext()) {
      throw new IllegalArgumentException("SEARCH needs at least one search key");
    }
    List<SearchKey> keys = new ArrayList<>();
    while (reader.hasNext()) {
      keys.add(reader.key(0));
    }
    return new ImapSearch(keys.size() == 1 ? keys.get(0) : new SearchKey.And(keys), returns);
  }

  private static Set<Return> returnOptions(ImapArg arg) {
    if (!(arg instanceof ImapArg.Group group)) {
      throw new IllegalArgumentException("RETURN needs a parenthesized list of options");
    }
    Set<Return> returns = EnumSet.noneOf(Return.class);
    for (ImapArg item : group.items()) {
      String name = item instanceof ImapArg.Atom atom ? atom.upper() : null;
      Return option =
          Arrays.stream(Return.values())
              .filter(candidate -> candidate.name().equals(name))
              .findFirst()
              .orElseThrow(
                  () -> new IllegalArgumentException("Unknown RETURN option " + item.describe()));
      returns.add(option);
    }
    if (returns.isEmpty()) {
      returns.add(Return.ALL);
    }
    return returns;
  }

  /** Whether the message matches every key. */
  boolean matches(Candidate message) {
    return key.matches(new SearchKey.Probe(message));
  }

  /**
   * Whether BODY or TEXT appears: the session must supply {@link Candidate#text}, and for TEXT
   * {@link Candidate#headerSection}.
   */
  boolean needsText() {
    return key.any(k -> k instanceof SearchKey.Body || k instanceof SearchKey.Text);
  }

  /** Whether HEADER, FROM, TO, CC, BCC, SUBJECT or a SENT* key needs header values. */
  boolean needsHeaders() {
    return key.any(
        k -> k instanceof SearchKey.Header || k instanceof SearchKey.Dated d && d.sent());
  }

  /** Whether the MODSEQ key appears: the reply then carries a mod-sequence (RFC 7162 §3.1.5). */
  boolean usesModSeq() {
    return key.any(k -> k instanceof SearchKey.ModSeq);
  }

  /** Whether RETURN was given: the reply is ESEARCH rather than SEARCH. */
  boolean extended() {
    return returns != null;
  }

  /**
   * The matches whose highest mod-sequence {@link #respond} reports (RFC 4731 §3.2): the lowest and
   * highest for RETURN (MIN), (MAX) or (MIN MAX), all of them otherwise.
   */
  List<Long> modSeqScope(List<Long> numbers) {
    List<Long> sorted = numbers.stream().sorted().distinct().toList();
    if (returns == null
        || returns.contains(Return.ALL)
        || returns.contains(Return.COUNT)
        || sorted.isEmpty()) {
      return sorted;
    }
    List<Long> scope = new ArrayList<>();
    if (returns.contains(Return.MIN)) {
      scope.add(sorted.get(0));
    }
    if (returns.contains(Return.MAX) && !scope.contains(sorted.get(sorted.size() - 1))) {
      scope.add(sorted.get(sorted.size() - 1));
    }
    return scope;
  }

  /**
   * The untagged reply, without CRLF: {@code * SEARCH 2 5 7}, with {@code (MODSEQ n)} after a
   * non-empty result when MODSEQ was searched; or after RETURN, {@code * ESEARCH (TAG "A1") UID MIN
   * 2 MAX 7 COUNT 3 ALL 2,5,7} (with {@code MODSEQ n} when MODSEQ was searched), leaving out MIN,
   * MAX and ALL when nothing matched.
   *
   * @param uid whether this is UID SEARCH (ESEARCH says UID)
   * @param numbers the matching sequence numbers or UIDs, in any order
   * @param highestModSeq the highest mod-sequence of the messages {@link #modSeqScope} names;
   *     ignored unless {@link #usesModSeq}
   */
  String respond(String tag, boolean uid, List<Long> numbers, long highestModSeq) {
    List<Long> sorted = numbers.stream().sorted().distinct().toList();
    boolean modSeq = usesModSeq() && !sorted.isEmpty();
    StringBuilder reply = new StringBuilder();
    if (returns == null) {
      reply.append("* SEARCH");
      sorted.forEach(number -> reply.append(' ').append(number));
      if (modSeq) {
        reply.append(" (MODSEQ ").append(highestModSeq).append(')');
      }
      return reply.toString();
    }
    reply.append("* ESEARCH (TAG \"").append(tag.replaceAll("([\"\\\\])", "\\\\$1")).append("\")");
    if (uid) {
      reply.append(" UID");
    }
    if (!sorted.isEmpty() && returns.contains(Return.MIN)) {
      reply.append(" MIN ").append(sorted.get(0));
    }
    if (!sorted.isEmpty() && returns.contains(Return.MAX)) {
      reply.append(" MAX ").append(sorted.get(sorted.size() - 1));
    }
    if (returns.contains(Return.COUNT)) {
      reply.append(" COUNT ").append(sorted.size());
    }
    if (!sorted.isEmpty() && returns.contains(Return.ALL)) {
      reply.append(" ALL ").append(Numbers.compact(sorted));
    }
    if (modSeq) {
      reply.append(" MODSEQ ").append(highestModSeq);
    }
    return reply.toString();
  }

  @Override
  public String toString() {
    return "ImapSearch[" + key + (returns == null ? "" : ", RETURN " + returns) + "]";
  }

  /**
   * A sequence set such as {@code 1:5,7,9:*} (RFC 9051 sequence-set), private so that the shared
   * sequence-set class can replace it later. {@code n:*} and {@code *:n} are the same range, and
   * {@code *} is the largest number in use, so {@code UID 900:*} includes the last message even
   * when its UID is below 900, as RFC 3501 §6.4.8 says.
   */
  private static final class Numbers implements SearchKey.NumberSet {
    private static final long STAR = -1;
    private static final long MAX = 0xFFFF_FFFFL;

    /** The ranges with {@code *} put in for one largest number: sorted, merged, searchable. */
    private record Resolved(long largest, long[] starts, long[] ends) {}

    private final String text;
    private final long[] from;
    private final long[] to;
    private volatile Resolved resolved;

    private Numbers(String text, long[] from, long[] to) {
      this.text = text;
      this.from = from;
      this.to = to;
    }

    static Numbers parse(String text) {
      String[] parts = text.split(",", -1);
      long[] from = new long[parts.length];
      long[] to = new long[parts.length];
      for (int i = 0; i < parts.length; i++) {
        int colon = parts[i].indexOf(':');
        from[i] = number(colon < 0 ? parts[i] : parts[i].substring(0, colon), text);
        to[i] = colon < 0 ? from[i] : number(parts[i].substring(colon + 1), text);
      }
      return new Numbers(text, from, to);
    }

    private static long number(String part, String set) {
      if (part.equals("*")) {
        return STAR;
      }
      if (part.isEmpty() || part.length() > 10 || !part.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("Invalid sequence set " + set);
      }
      long number = Long.parseLong(part);
      if (number < 1 || number > MAX) {
        throw new IllegalArgumentException(
            "Invalid sequence set " + set + ": numbers run from 1 to " + MAX);
      }
      return number;
    }

    @Override
    public boolean contains(long number, long largest) {
      Resolved ranges = resolved;
      if (ranges == null || ranges.largest() != largest) {
        ranges = resolve(largest);
        resolved = ranges;
      }
      int index = Arrays.binarySearch(ranges.starts(), number);
      int range = index >= 0 ? index : -index - 2;
      return range >= 0 && number <= ranges.ends()[range];
    }

    private Resolved resolve(long largest) {
      long[][] ranges = new long[from.length][];
      for (int i = 0; i < from.length; i++) {
        long a = from[i] == STAR ? largest : from[i];
        long b = to[i] == STAR ? largest : to[i];
        ranges[i] = new long[] {Math.min(a, b), Math.max(a, b)};
      }
      Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
      long[] starts = new long[ranges.length];
      long[] ends = new long[ranges.length];
      int count = 0;
      for (long[] range : ranges) {
        if (count > 0 && range[0] <= ends[count - 1] + 1) {
          ends[count - 1] = Math.max(ends[count - 1], range[1]);
        } else {
          starts[count] = range[0];
          ends[count++] = range[1];
        }
      }
      return new Resolved(largest, Arrays.copyOf(starts, count), Arrays.copyOf(ends, count));
    }

    /** Sorted distinct numbers in the short form: {@code 2,3,4,7} is {@code 2:4,7}. */
    static String compact(List<Long> sorted) {
      StringBuilder set = new StringBuilder();
      for (int i = 0; i < sorted.size(); ) {
        int last = i;
        while (last + 1 < sorted.size() && sorted.get(last + 1) == sorted.get(last) + 1) {
          last++;
        }
        set.append(set.isEmpty() ? "" : ",").append(sorted.get(i));
        if (last > i) {
          set.append(':').append(sorted.get(last));
        }
        i = last + 1;
      }
      return set.toString();
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
