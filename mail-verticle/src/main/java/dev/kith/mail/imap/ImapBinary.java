package dev.kith.mail.imap;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * Content-Transfer-Encoding decoding for FETCH BINARY[...] (RFC 3516): base64 and quoted-printable
 * (RFC 2045 §6.7, §6.8); 7bit, 8bit and binary are the identity. Lenient, since stored mail is what
 * it is: base64 skips characters outside its alphabet and stops at padding, an {@code =} that
 * starts no valid escape stays as it is, and line breaks stay as stored.
 */
final class ImapBinary {

  private static final byte[] BASE64 = new byte[256];

  static {
    Arrays.fill(BASE64, (byte) -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < alphabet.length(); i++) {
      BASE64[alphabet.charAt(i)] = (byte) i;
    }
  }

  private ImapBinary() {}

  /** The kinds of Content-Transfer-Encoding this decodes. */
  enum Encoding {
    IDENTITY,
    BASE64,
    QUOTED_PRINTABLE;

    /** The encoding a field value names, IDENTITY for null, or null for an unknown encoding. */
    static Encoding of(String value) {
      if (value == null) {
        return IDENTITY;
      }
      return switch (value.strip().toLowerCase(Locale.ROOT)) {
        case "", "7bit", "8bit", "binary" -> IDENTITY;
        case "base64" -> BASE64;
        case "quoted-printable" -> QUOTED_PRINTABLE;
        default -> null;
      };
    }
  }

  /** Decodes {@code raw[from, to)}. */
  static byte[] decode(byte[] raw, int from, int to, Encoding encoding) {
    return switch (encoding) {
      case IDENTITY -> Arrays.copyOfRange(raw, from, to);
      case BASE64 -> base64(raw, from, to);
      case QUOTED_PRINTABLE -> quotedPrintable(raw, from, to);
    };
  }

  static byte[] base64(byte[] raw, int from, int to) {
    byte[] out = new byte[(to - from) / 4 * 3 + 3];
    int n = 0;
    int bits = 0;
    int count = 0;
    for (int i = from; i < to; i++) {
      int b = raw[i] & 0xff;
      if (b == '=') {
        break;
      }
      int v = BASE64[b];
      if (v < 0) {
        continue;
      }
      bits = bits << 6 | v;
      if (++count == 4) {
        out[n++] = (byte) (bits >> 16);
        out[n++] = (byte) (bits >> 8);
        out[n++] = (byte) bits;
        bits = 0;
        count = 0;
      }
    }
    if (count == 2) {
      out[n++] = (byte) (bits >> 4);
    } else if (count == 3) {
      out[n++] = (byte) (bits >> 10);
      out[n++] = (byte) (bits >> 2);
    }
    return Arrays.copyOf(out, n);
  }

  static byte[] quotedPrintable(byte[] raw, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    int line = from;
    while (line < to) {
      int next = ImapHeader.lineEnd(raw, line, to);
      int content = next;
      if (content > line && raw[content - 1] == '\n') {
        content--;
        if (content > line && raw[content - 1] == '\r') {
          content--;
        }
      }
      int trimmed = content;
      while (trimmed > line && (raw[trimmed - 1] == ' ' || raw[trimmed - 1] == '\t')) {
        trimmed--;
      }
      boolean soft = trimmed > line && raw[trimmed - 1] == '=';
      decodeLine(raw, line, soft ? trimmed - 1 : trimmed, out);
      if (!soft) {
        out.write(raw, content, next - content);
      }
      line = next;
    }
    return out.toByteArray();
  }

  private static void decodeLine(byte[] raw, int from, int to, ByteArrayOutputStream out) {
    for (int i = from; i < to; i++) {
      byte b = raw[i];
      if (b == '=' && i + 2 < to) {
        int hi = Character.digit(raw[i + 1] & 0xff, 16);
        int lo = Character.digit(raw[i + 2] & 0xff, 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi << 4 | lo);
          i += 2;
          continue;
        }
      }
      out.write(b);
    }
  }
}
