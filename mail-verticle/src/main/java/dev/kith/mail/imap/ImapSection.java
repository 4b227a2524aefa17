package dev.kith.mail.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed section spec, the text between the brackets of BODY[...] (RFC 3501 §6.4.5, §9 {@code
 * section-spec}): a part path ({@code 1.2}) and what to take of that part. Parsed apart from the
 * message because one FETCH asks the same sections of every message.
 *
 * @param path the part numbers, empty for the whole message
 * @param kind what to take
 * @param fields the field names of HEADER.FIELDS and HEADER.FIELDS.NOT, as octets, else empty
 */
record ImapSection(int[] path, Kind kind, List<byte[]> fields) {

  /** What a section takes of its part. */
  enum Kind {
    /** {@code []}: the whole message. */
    FULL,
    /** {@code [1.2]}: the body of a part. */
    PART,
    /** {@code [1.2.MIME]}: the MIME header of a part. */
    MIME,
    /** {@code [HEADER]}, {@code [1.2.HEADER]}: the header of a message. */
    HEADER,
    /** {@code [TEXT]}, {@code [1.2.TEXT]}: the body of a message. */
    TEXT,
    /** {@code [HEADER.FIELDS (A B)]}: the named fields of a message's header. */
    FIELDS,
    /** {@code [HEADER.FIELDS.NOT (A B)]}: the other fields of a message's header. */
    FIELDS_NOT
  }

  /** Part numbers past this are taken as parts that do not exist. */
  private static final int MAX_PART = 1_000_000_000;

  /** Parses {@code spec}; throws IllegalArgumentException if it is not a section-spec. */
  static ImapSection parse(String spec) {
    List<Integer> path = new ArrayList<>(2);
    int i = 0;
    int n = spec.length();
    while (i < n && isDigit(spec.charAt(i))) {
      int start = i;
      long num = 0;
      while (i < n && isDigit(spec.charAt(i))) {
        num = Math.min(num * 10 + spec.charAt(i++) - '0', (long) MAX_PART + 1);
      }
      if (spec.charAt(start) == '0') {
        throw bad(spec);
      }
      path.add((int) num);
      if (i == n) {
        break;
      }
      if (spec.charAt(i) != '.' || i + 1 == n) {
        throw bad(spec);
      }
      i++;
    }
    int[] parts = path.stream().mapToInt(Integer::intValue).toArray();
    String rest = spec.substring(i).toUpperCase(Locale.ROOT);
    if (rest.isEmpty()) {
      return new ImapSection(parts, parts.length == 0 ? Kind.FULL : Kind.PART, List.of());
    }
    return switch (rest) {
      case "MIME" -> {
        if (parts.length == 0) {
          throw bad(spec);
        }
        yield new ImapSection(parts, Kind.MIME, List.of());
      }
      case "HEADER" -> new ImapSection(parts, Kind.HEADER, List.of());
      case "TEXT" -> new ImapSection(parts, Kind.TEXT, List.of());
      default -> parseFields(spec, parts, rest, spec.substring(i));
    };
  }

  private static ImapSection parseFields(String spec, int[] parts, String upper, String rest) {
    Kind kind;
    int at;
    if (upper.startsWith("HEADER.FIELDS.NOT")) {
      kind = Kind.FIELDS_NOT;
      at = "HEADER.FIELDS.NOT".length();
    } else if (upper.startsWith("HEADER.FIELDS")) {
      kind = Kind.FIELDS;
      at = "HEADER.FIELDS".length();
    } else {
      throw bad(spec);
    }
    if (at < rest.length() && rest.charAt(at) == ' ') {
      at++;
    }
    if (at >= rest.length() || rest.charAt(at) != '(' || !rest.endsWith(")")) {
      throw bad(spec);
    }
    List<byte[]> names = names(spec, rest.substring(at + 1, rest.length() - 1));
    if (names.isEmpty()) {
      throw bad(spec);
    }
    return new ImapSection(parts, kind, names);
  }

  /** Field names: atoms or quoted strings separated by single spaces. */
  private static List<byte[]> names(String spec, String list) {
    List<byte[]> out = new ArrayList<>();
    int i = 0;
    while (i < list.length()) {
      StringBuilder name = new StringBuilder();
      if (list.charAt(i) == '"') {
        i++;
        while (i < list.length() && list.charAt(i) != '"') {
          char c = list.charAt(i++);
          if (c == '\\' && i < list.length()) {
            c = list.charAt(i++);
          }
          name.append(c);
        }
        if (i++ >= list.length()) {
          throw bad(spec);
        }
      } else {
        while (i < list.length() && list.charAt(i) != ' ') {
          char c = list.charAt(i++);
          if (c == '(' || c == ')' || c == '"' || c == '\\' || c < ' ') {
            throw bad(spec);
          }
          name.append(c);
        }
        if (name.length() == 0) {
          throw bad(spec);
        }
      }
      out.add(name.toString().getBytes(StandardCharsets.UTF_8));
      if (i < list.length() && (list.charAt(i) != ' ' || i + 1 == list.length())) {
        throw bad(spec);
      }
      i++;
    }
    return out;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static IllegalArgumentException bad(String spec) {
    return new IllegalArgumentException("not a section: [" + spec + "]");
  }

  /**
   * The part the path names, or null: as Dovecot's imap_msgpart_find, {@code 1} of a part that is
   * not a multipart is that part itself, and a path goes on into a message/rfc822 part's message.
   */
  ImapMime.Part find(ImapMime.Part root) {
    ImapMime.Part part = root;
    for (int i = 0; i < path.length && part != null; i++) {
      int num = path[i];
      boolean more = i + 1 < path.length;
      if (part.is(ImapMime.MULTIPART)) {
        part = num <= part.children.size() ? part.children.get(num - 1) : null;
      } else if (num != 1 || (more && !part.is(ImapMime.RFC822))) {
        part = null;
      }
      if (part != null && more && part.is(ImapMime.RFC822)) {
        part = part.children.get(0);
      }
    }
    return part;
  }
}
