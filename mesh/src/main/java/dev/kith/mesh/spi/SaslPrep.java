package dev.kith.mesh.spi;

import java.text.Normalizer;

/**
 * SASLprep (RFC 4013) as far as SCRAM needs it, for user names and passwords. What is done: the
 * mapping (non-ASCII spaces, table C.1.2, become U+0020; characters "commonly mapped to nothing",
 * table B.1, are removed) and NFKC normalization; and, in {@link #prepareStrict}, the check for
 * prohibited output (tables C.1.2 to C.9: controls, private use, non-characters, surrogates and the
 * rest). What is not done: the bidirectional-text check (RFC 3454 §6) and the refusal of code
 * points unassigned in Unicode 3.2; Java's Unicode tables are newer than the profile's, so a name
 * or password in a newer script is taken as it is. For ASCII, SASLprep changes nothing.
 *
 * <p>Passwords are stored as their owner typed them, so the SCRAM secrets of a password are made
 * with {@link #prepare}, which never refuses: a client that refuses a prohibited password itself
 * simply cannot use SCRAM with it.
 */
public final class SaslPrep {

  private SaslPrep() {}

  /** Maps and normalizes {@code text}; never refuses. */
  public static String prepare(String text) {
    StringBuilder mapped = new StringBuilder(text.length());
    text.codePoints()
        .forEach(
            c -> {
              // U+200B is in both tables; like other SASLprep implementations, removed.
              if (isMappedToNothing(c)) {
                return;
              }
              mapped.appendCodePoint(isNonAsciiSpace(c) ? ' ' : c);
            });
    return Normalizer.normalize(mapped, Normalizer.Form.NFKC);
  }

  /**
   * {@link #prepare}, then refuses prohibited output.
   *
   * @throws IllegalArgumentException naming the prohibited code point (safe to show: this is for
   *     user names, never for passwords)
   */
  public static String prepareStrict(String text) {
    String prepared = prepare(text);
    prepared
        .codePoints()
        .filter(SaslPrep::isProhibited)
        .findFirst()
        .ifPresent(
            c -> {
              throw new IllegalArgumentException(
                  String.format("U+%04X is not allowed in a SASL name", c));
            });
    return prepared;
  }

  /** Table C.1.2: non-ASCII space characters. */
  static boolean isNonAsciiSpace(int c) {
    return c == 0x00A0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200B)
        || c == 0x202F
        || c == 0x205F
        || c == 0x3000;
  }

  /** Table B.1: characters commonly mapped to nothing. */
  static boolean isMappedToNothing(int c) {
    return c == 0x00AD
        || c == 0x034F
        || c == 0x1806
        || (c >= 0x180B && c <= 0x180D)
        || (c >= 0x200B && c <= 0x200D)
        || c == 0x2060
        || (c >= 0xFE00 && c <= 0xFE0F)
        || c == 0xFEFF;
  }

  /** Tables C.1.2 and C.2.1 to C.9 of RFC 3454, as RFC 4013 §2.3 lists them. */
  static boolean isProhibited(int c) {
    int type = Character.getType(c);
    return isNonAsciiSpace(c)
        || type == Character.CONTROL
        || type == Character.PRIVATE_USE
        || type == Character.SURROGATE
        || isNonCharacter(c)
        || isFormatProhibited(c)
        || (c >= 0xFFF9 && c <= 0xFFFD)
        || (c >= 0x2FF0 && c <= 0x2FFB);
  }

  /** Table C.4: non-character code points. */
  private static boolean isNonCharacter(int c) {
    return (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
  }

  /** Tables C.2.2 (format controls), C.8 (display and deprecated) and C.9 (tagging). */
  private static boolean isFormatProhibited(int c) {
    return c == 0x06DD
        || c == 0x070F
        || c == 0x180E
        || c == 0x200C
        || c == 0x200D
        || c == 0x2028
        || c == 0x2029
        || (c >= 0x2060 && c <= 0x2063)
        || (c >= 0x206A && c <= 0x206F)
        || c == 0xFEFF
        || (c >= 0x1D173 && c <= 0x1D17A)
        || c == 0x0340
        || c == 0x0341
        || c == 0x200E
        || c == 0x200F
        || (c >= 0x202A && c <= 0x202E)
        || c == 0xE0001
        || (c >= 0xE0020 && c <= 0xE007F);
  }
}
