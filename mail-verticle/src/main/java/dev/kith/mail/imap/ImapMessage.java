package dev.kith.mail.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Placeholder until the MIME renderer lands: whole-message sections only. */
final class ImapMessage {

  private final byte[] raw;
  private final int bodyStart;

  ImapMessage(byte[] raw) {
    this.raw = raw;
    int at = -1;
    for (int i = 0; i + 1 < raw.length; i++) {
      if (raw[i] == '\n'
          && (raw[i + 1] == '\n'
              || (raw[i + 1] == '\r' && i + 2 < raw.length && raw[i + 2] == '\n'))) {
        at = raw[i + 1] == '\n' ? i + 2 : i + 3;
        break;
      }
    }
    bodyStart = at < 0 ? raw.length : at;
  }

  long size() {
    return raw.length;
  }

  byte[] section(String spec) {
    return switch (spec.toUpperCase(Locale.ROOT)) {
      case "" -> raw;
      case "HEADER" -> Arrays.copyOfRange(raw, 0, bodyStart);
      case "TEXT", "1" -> Arrays.copyOfRange(raw, bodyStart, raw.length);
      default -> throw new IllegalArgumentException("unsupported section " + spec);
    };
  }

  byte[] binary(String spec) {
    return section(spec);
  }

  static byte[] partial(byte[] bytes, long offset, long length) {
    if (offset >= bytes.length) {
      return new byte[0];
    }
    long end = Math.min(bytes.length, offset + Math.min(length, bytes.length));
    return Arrays.copyOfRange(bytes, (int) offset, (int) end);
  }

  List<String> headers(String name) {
    List<String> out = new ArrayList<>();
    String head =
        new String(raw, 0, bodyStart, StandardCharsets.UTF_8).replaceAll("\r?\n[ \t]", " ");
    for (String line : head.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        out.add(line.substring(colon + 1).trim());
      }
    }
    return out;
  }

  String envelope() {
    return "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
  }

  String bodyStructure(boolean extensible) {
    return "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
        + (raw.length - bodyStart)
        + " 1)";
  }
}
