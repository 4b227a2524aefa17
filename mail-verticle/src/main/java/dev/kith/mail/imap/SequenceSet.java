package dev.kith.mail.imap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * An IMAP sequence set (RFC 3501 §9 {@code sequence-set}, RFC 9051): message sequence numbers or
 * UIDs such as {@code 1:5,7,9:*}, where {@code *} is the largest number in use, known only when the
 * set is applied to a mailbox. Parsed once per command and asked per message, so the ranges without
 * {@code *} are kept sorted and merged for a binary search; the few with {@code *} are resolved per
 * call. Immutable.
 */
final class SequenceSet {

  /** The largest number a sequence set may hold (RFC 3501 nz-number, a 32-bit unsigned value). */
  static final long MAX = 4294967295L;

  /** {@code *} as an end of a range. */
  private static final long STAR = -1;

  private final String text;

  /** Sorted, merged, disjoint ranges without {@code *}: lows[i]..highs[i]. */
  private final long[] lows;

  private final long[] highs;

  /** For each range with {@code *}, its other end (or {@link #STAR} for {@code *} itself). */
  private final long[] starOthers;

  private SequenceSet(String text, long[] lows, long[] highs, long[] starOthers) {
    this.text = text;
    this.lows = lows;
    this.highs = highs;
    this.starOthers = starOthers;
  }

  /**
   * Parses a sequence set.
   *
   * @throws IllegalArgumentException saying what is wrong, for anything else (an empty part, 0, a
   *     number over {@value #MAX}, the saved search result {@code $} of RFC 5182, which is not
   *     supported)
   */
  static SequenceSet parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("Empty sequence set");
    }
    if (text.equals("$")) {
      throw new IllegalArgumentException("The saved search result ($) is not supported");
    }
    List<long[]> fixed = new ArrayList<>();
    long[] stars = new long[4];
    int starCount = 0;
    for (String part : text.split(",", -1)) {
      int colon = part.indexOf(':');
      long a = number(colon < 0 ? part : part.substring(0, colon), text);
      long b = colon < 0 ? a : number(part.substring(colon + 1), text);
      if (a == STAR || b == STAR) {
        if (starCount == stars.length) {
          stars = Arrays.copyOf(stars, starCount * 2);
        }
        stars[starCount++] = a == STAR ? b : a;
      } else {
        fixed.add(new long[] {Math.min(a, b), Math.max(a, b)});
      }
    }
    List<long[]> merged = merge(fixed);
    long[] lows = new long[merged.size()];
    long[] highs = new long[merged.size()];
    for (int i = 0; i < lows.length; i++) {
      lows[i] = merged.get(i)[0];
      highs[i] = merged.get(i)[1];
    }
    return new SequenceSet(text, lows, highs, Arrays.copyOf(stars, starCount));
  }

  private static long number(String part, String text) {
    if (part.equals("*")) {
      return STAR;
    }
    if (part.isEmpty()) {
      throw new IllegalArgumentException("Empty part in sequence set " + quote(text));
    }
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (c == '$') {
        throw new IllegalArgumentException("The saved search result ($) is not supported");
      }
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException(
            "Bad number " + quote(part) + " in sequence set " + quote(text));
      }
    }
    if (part.chars().allMatch(c -> c == '0')) {
      throw new IllegalArgumentException("0 is not a valid number in sequence set " + quote(text));
    }
    if (part.charAt(0) == '0') {
      throw new IllegalArgumentException(
          "Bad number " + quote(part) + " (leading zero) in sequence set " + quote(text));
    }
    if (part.length() > 10 || Long.parseLong(part) > MAX) {
      throw new IllegalArgumentException(
          "Number " + quote(part) + " is over " + MAX + " in sequence set " + quote(text));
    }
    return Long.parseLong(part);
  }

  private static String quote(String text) {
    return '"' + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + '"';
  }

  /**
   * Whether the set holds {@code n}, where {@code *} stands for {@code largest}: the highest
   * sequence number or UID in the mailbox. A range with {@code *} covers the numbers between its
   * other end and {@code largest}, whichever is lower ({@code 3:*} with {@code largest} 2 holds 2
   * and 3); in an empty mailbox ({@code largest} 0) it covers nothing.
   */
  boolean contains(long n, long largest) {
    int found = Arrays.binarySearch(lows, n);
    // The last range that starts at or below n.
    int at = found >= 0 ? found : -found - 2;
    if (at >= 0 && n <= highs[at]) {
      return true;
    }
    if (largest <= 0) {
      return false;
    }
    for (long other : starOthers) {
      long end = other == STAR ? largest : other;
      if (n >= Math.min(end, largest) && n <= Math.max(end, largest)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The numbers of the set as ranges of {@code {low, high}}, {@code *} resolved to {@code largest}
   * as in {@link #contains}: sorted, and merged where they touch or overlap.
   */
  List<long[]> ranges(long largest) {
    List<long[]> all = new ArrayList<>(lows.length + starOthers.length);
    for (int i = 0; i < lows.length; i++) {
      all.add(new long[] {lows[i], highs[i]});
    }
    if (largest > 0) {
      for (long other : starOthers) {
        long end = other == STAR ? largest : other;
        all.add(new long[] {Math.min(end, largest), Math.max(end, largest)});
      }
    }
    return merge(all);
  }

  /** Sorts ranges by their start and merges those that overlap or touch. */
  private static List<long[]> merge(List<long[]> ranges) {
    ranges.sort((x, y) -> Long.compare(x[0], y[0]));
    List<long[]> merged = new ArrayList<>(ranges.size());
    long[] last = null;
    for (long[] range : ranges) {
      if (last != null && range[0] <= last[1] + 1) {
        last[1] = Math.max(last[1], range[1]);
      } else {
        last = range.clone();
        merged.add(last);
      }
    }
    return merged;
  }

  /**
   * The shortest sequence set holding exactly {@code numbers}, such as {@code 1:3,5,7:9}: for
   * VANISHED (RFC 7162) and COPYUID (RFC 4315). In ascending order, duplicates dropped; empty for
   * no numbers.
   *
   * @throws IllegalArgumentException for a number below 1 or over {@value #MAX}
   */
  static String format(Collection<Long> numbers) {
    long[] sorted = new long[numbers.size()];
    int n = 0;
    for (Long number : numbers) {
      if (number < 1 || number > MAX) {
        throw new IllegalArgumentException("Not a message number or UID: " + number);
      }
      sorted[n++] = number;
    }
    Arrays.sort(sorted);
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && sorted[j + 1] <= sorted[j] + 1) {
        j++;
      }
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(sorted[i]);
      if (sorted[j] != sorted[i]) {
        out.append(':').append(sorted[j]);
      }
      i = j + 1;
    }
    return out.toString();
  }

  /** The set as it was sent. */
  @Override
  public String toString() {
    return text;
  }
}
