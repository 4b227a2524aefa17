package dev.kith.mail.imap;

import dev.kith.mail.imap.SearchKey.When;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads search keys from the arguments of a SEARCH command into a {@link SearchKey} tree.
 *
 * <p>The arguments come from a stranger, so the reader counts what it builds: a command that nests
 * NOT, OR or parentheses deeper than {@link ImapSearch#MAX_DEPTH} or holds more than {@link
 * ImapSearch#MAX_KEYS} keys is refused before it costs work per message. Every refusal is an {@link
 * IllegalArgumentException} whose message is the text of the BAD reply. Sequence sets are read by
 * the function it is given, so that the set parser can be exchanged without touching this.
 */
final class SearchKeyReader {

  private static final Pattern DATE = Pattern.compile("([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");

  /** How many keys the whole command has used so far, shared by the readers of its lists. */
  private static final class Budget {
    int keys;
  }

  private final List<ImapArg> args;
  private final Function<String, SearchKey.NumberSet> sets;
  private final Budget budget;
  private int position;

  SearchKeyReader(List<ImapArg> args, Function<String, SearchKey.NumberSet> sets) {
    this(args, sets, new Budget());
  }

  private SearchKeyReader(
      List<ImapArg> args, Function<String, SearchKey.NumberSet> sets, Budget budget) {
    this.args = args;
    this.sets = sets;
    this.budget = budget;
  }

  boolean hasNext() {
    return position < args.size();
  }

  /** The next argument, or null past the end. */
  ImapArg next() {
    return hasNext() ? args.get(position++) : null;
  }

  /** Whether the next argument is the atom {@code word} (in any case). */
  boolean nextIs(String word) {
    return hasNext()
        && args.get(position) instanceof ImapArg.Atom atom
        && atom.upper().equals(word);
  }

  /** Reads one search key at {@code depth} levels of NOT, OR and parentheses. */
  SearchKey key(int depth) {
    if (++budget.keys > ImapSearch.MAX_KEYS) {
      throw new IllegalArgumentException(
          "SEARCH has more than " + ImapSearch.MAX_KEYS + " search keys");
    }
    ImapArg arg = next();
    if (arg instanceof ImapArg.Group group) {
      return group(group, depth + 1);
    }
    if (!(arg instanceof ImapArg.Atom atom) || atom.text().isEmpty()) {
      throw new IllegalArgumentException(
          "Expected a search key, got " + (arg == null ? "nothing" : arg.describe()));
    }
    char first = atom.text().charAt(0);
    if (first == '*' || first >= '0' && first <= '9') {
      return new SearchKey.InSet(false, sets.apply(atom.text()));
    }
    String name = atom.upper();
    return switch (name) {
      case "ALL", "OLD" -> new SearchKey.Const(true);
      case "RECENT", "NEW" -> new SearchKey.Const(false);
      case "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN" -> systemFlag(name, true);
      case "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN" ->
          systemFlag(name.substring(2), false);
      case "KEYWORD" -> new SearchKey.Flag(keyword(name), true);
      case "UNKEYWORD" -> new SearchKey.Flag(keyword(name), false);
      case "LARGER" -> new SearchKey.Size(number(name), true);
      case "SMALLER" -> new SearchKey.Size(number(name), false);
      case "BEFORE" -> new SearchKey.Dated(When.BEFORE, false, date(name));
      case "ON" -> new SearchKey.Dated(When.ON, false, date(name));
      case "SINCE" -> new SearchKey.Dated(When.SINCE, false, date(name));
      case "SENTBEFORE" -> new SearchKey.Dated(When.BEFORE, true, date(name));
      case "SENTON" -> new SearchKey.Dated(When.ON, true, date(name));
      case "SENTSINCE" -> new SearchKey.Dated(When.SINCE, true, date(name));
      case "FROM", "TO", "CC", "BCC", "SUBJECT" -> new SearchKey.Header(name, needle(name));
      case "HEADER" -> header();
      case "BODY" -> new SearchKey.Body(needle(name));
      case "TEXT" -> new SearchKey.Text(needle(name));
      case "UID" -> new SearchKey.InSet(true, sets.apply(atom(name, "a UID set")));
      case "MODSEQ" -> modSeq();
      case "NOT" -> new SearchKey.Not(nested(name, depth));
      case "OR" -> new SearchKey.Or(nested(name, depth), nested(name, depth));
      default -> throw new IllegalArgumentException("Unknown search key " + atom.text());
    };
  }

  private SearchKey group(ImapArg.Group group, int depth) {
    checkDepth(depth);
    if (group.items().isEmpty()) {
      throw new IllegalArgumentException("Empty parenthesized list of search keys");
    }
    SearchKeyReader inner = new SearchKeyReader(group.items(), sets, budget);
    List<SearchKey> keys = new ArrayList<>();
    while (inner.hasNext()) {
      keys.add(inner.key(depth));
    }
    return keys.size() == 1 ? keys.get(0) : new SearchKey.And(keys);
  }

  /** The key that NOT or OR ({@code name}) applies to, one level deeper. */
  private SearchKey nested(String name, int depth) {
    checkDepth(depth + 1);
    if (!hasNext()) {
      throw new IllegalArgumentException(
          name.equals("OR") ? "OR needs two search keys" : "NOT needs a search key");
    }
    return key(depth + 1);
  }

  private static void checkDepth(int depth) {
    if (depth > ImapSearch.MAX_DEPTH) {
      throw new IllegalArgumentException(
          "Search keys nested more than " + ImapSearch.MAX_DEPTH + " levels deep");
    }
  }

  private static SearchKey systemFlag(String name, boolean set) {
    String flag = "\\" + name.charAt(0) + name.substring(1).toLowerCase(Locale.ROOT);
    return new SearchKey.Flag(flag, set);
  }

  /** HEADER field-name string. */
  private SearchKey header() {
    String field = text("HEADER", "a header field name");
    if (field.isEmpty() || !field.chars().allMatch(c -> c > ' ' && c < 127 && c != ':')) {
      throw new IllegalArgumentException("HEADER needs a header field name, got \"" + field + '"');
    }
    return new SearchKey.Header(field, needle("HEADER " + field));
  }

  /** MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 §3.1.5). */
  private SearchKey modSeq() {
    ImapArg arg = hasNext() ? args.get(position) : null;
    if (arg instanceof ImapArg.Str
        || arg instanceof ImapArg.Atom atom && !DIGITS.matcher(atom.text()).matches()) {
      String entry = string("MODSEQ");
      if (!entry.toLowerCase(Locale.ROOT).startsWith("/flags/")) {
        throw new IllegalArgumentException(
            "MODSEQ needs an entry name \"/flags/<flag>\" or a number, got " + arg.describe());
      }
      String type = atom("MODSEQ " + arg.describe(), "priv, shared or all");
      if (!List.of("PRIV", "SHARED", "ALL").contains(type.toUpperCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            "MODSEQ entry type must be priv, shared or all, got " + type);
      }
    }
    return new SearchKey.ModSeq(number("MODSEQ"));
  }

  /** An astring: an atom, a quoted string or a literal. */
  String string(String key) {
    return text(key, "a string");
  }

  /** An astring; {@code what} says what it should be. */
  private String text(String key, String what) {
    ImapArg arg = next();
    String text = arg == null ? null : ImapArg.text(arg);
    if (text == null) {
      throw new IllegalArgumentException(
          key + " needs " + what + ", got " + (arg == null ? "nothing" : arg.describe()));
    }
    return text;
  }

  /** A string to look for, in lower case as the keys compare. */
  private String needle(String key) {
    return string(key).toLowerCase(Locale.ROOT);
  }

  private String keyword(String key) {
    String keyword = text(key, "a flag");
    if (keyword.isEmpty()) {
      throw new IllegalArgumentException(key + " needs a flag, got \"\"");
    }
    return keyword;
  }

  /** An atom's text; {@code what} says what it should be. */
  private String atom(String key, String what) {
    ImapArg arg = next();
    if (!(arg instanceof ImapArg.Atom atom)) {
      throw new IllegalArgumentException(
          key + " needs " + what + ", got " + (arg == null ? "nothing" : arg.describe()));
    }
    return atom.text();
  }

  /** A non-negative number up to 2^63-1 (number64 of RFC 9051, mod-sequence-valzer). */
  private long number(String key) {
    String text = atom(key, "a number");
    if (!DIGITS.matcher(text).matches()) {
      throw new IllegalArgumentException(key + " needs a number, got " + text);
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " number is too large: " + text);
    }
  }

  /** A date {@code d-Mon-yyyy}, bare or quoted, as an epoch day. */
  private long date(String key) {
    String text = text(key, "a date as d-Mon-yyyy");
    Matcher date = DATE.matcher(text);
    int month = date.matches() ? SearchKey.month(date.group(2)) : 0;
    if (month == 0) {
      throw new IllegalArgumentException(key + " needs a date as d-Mon-yyyy, got " + text);
    }
    try {
      int day = Integer.parseInt(date.group(1));
      return LocalDate.of(Integer.parseInt(date.group(3)), month, day).toEpochDay();
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(key + " has no such date: " + text);
    }
  }
}
