package dev.kith.web;

/** One byte range of a {@code Range} header (RFC 9110 section 14). */
final class Ranges {

  /** The answer for a range that no byte of the file satisfies: 416. */
  static final long[] UNSATISFIABLE = new long[0];

  private Ranges() {}

  /**
   * The first and last byte of the one range asked for, {@link #UNSATISFIABLE}, or {@code null} to
   * ignore the header and send the whole file (not bytes, several ranges, or a syntax error).
   */
  static long[] parse(String header, long size) {
    String h = header.trim();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
      return null;
    }
    String spec = h.substring(6).trim();
    if (spec.contains(",")) {
      return null;
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    String first = spec.substring(0, dash).trim();
    String last = spec.substring(dash + 1).trim();
    try {
      if (first.isEmpty()) {
        long suffix = Long.parseLong(last);
        if (suffix <= 0) {
          return UNSATISFIABLE;
        }
        return size == 0 ? UNSATISFIABLE : new long[] {Math.max(0, size - suffix), size - 1};
      }
      long start = Long.parseLong(first);
      long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
      if (start < 0 || (!last.isEmpty() && Long.parseLong(last) < start)) {
        return null;
      }
      if (start >= size) {
        return UNSATISFIABLE;
      }
      return new long[] {start, end};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
