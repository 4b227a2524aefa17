package dev.kith.mail.imap;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One stored message (RFC 5322 octets, CRLF or bare LF line ends) as FETCH renders it: ENVELOPE,
 * BODY and BODYSTRUCTURE, RFC822.SIZE, BODY[section] and BINARY[section]. Built once a message and
 * lazy, because a 10,000-message sync asks every message for a few items: BODY[] and RFC822.SIZE
 * read nothing, ENVELOPE and header sections index the top header only, and the MIME tree is parsed
 * (once) only for BODYSTRUCTURE and part sections.
 *
 * <p>The answers follow Dovecot 2.3 (see {@link ImapMime}, {@link ImapEnvelope}, {@link
 * ImapBodyStructure}) except that sections and sizes are the stored octets: a bare-LF message is
 * not converted to CRLF. Text results are meant to be sent as UTF-8. Nothing here throws on a
 * malformed message; only a malformed section spec throws IllegalArgumentException. Not thread-safe
 * (the lazy parts are not published safely); use one instance per fetch.
 */
final class ImapMessage {

  private final byte[] raw;
  private ImapHeader header;
  private ImapMime.Part tree;

  /** Wraps {@code raw}, which must not change afterwards. */
  ImapMessage(byte[] raw) {
    this.raw = raw;
  }

  /** RFC822.SIZE: the number of stored octets. */
  long size() {
    return raw.length;
  }

  /** The first top-level header field named {@code name}, unfolded and trimmed, or null. */
  String header(String name) {
    ImapHeader h = topHeader();
    int i = h.first(name);
    return i < 0 ? null : h.unfolded(i);
  }

  /** All top-level header fields named {@code name}, unfolded and trimmed, in order. */
  List<String> headers(String name) {
    return topHeader().all(name);
  }

  /** ENVELOPE, with its parentheses: {@code ("date" "subject" ((...)) ...)}. */
  String envelope() {
    StringBuilder out = new StringBuilder(256).append('(');
    ImapEnvelope.write(out, topHeader());
    return out.append(')').toString();
  }

  /** BODYSTRUCTURE ({@code extensible}) or BODY, with its parentheses. */
  String bodyStructure(boolean extensible) {
    StringBuilder out = new StringBuilder(256).append('(');
    ImapBodyStructure.writeMessage(out, tree(), raw, extensible);
    return out.append(')').toString();
  }

  /**
   * The octets of BODY[{@code spec}], e.g. {@code ""}, {@code "HEADER"}, {@code "1.2"}, {@code
   * "2.HEADER.FIELDS (FROM TO)"}; empty for a part that does not exist (Dovecot answers an empty
   * string too). For {@code ""} the stored array itself is returned: do not modify it.
   *
   * @throws IllegalArgumentException if {@code spec} is not a section-spec
   */
  byte[] section(String spec) {
    return section(ImapSection.parse(spec));
  }

  /** The octets of a section parsed once for many messages; see {@link #section(String)}. */
  byte[] section(ImapSection s) {
    if (s.kind() == ImapSection.Kind.FULL) {
      return raw;
    }
    if (s.path().length == 0) {
      return messageSection(topHeader(), raw.length, s);
    }
    ImapMime.Part part = s.find(tree());
    if (part == null) {
      return new byte[0];
    }
    return switch (s.kind()) {
      case PART -> Arrays.copyOfRange(raw, part.bodyStart, part.end);
      case MIME -> Arrays.copyOfRange(raw, part.start, part.bodyStart);
      default -> {
        if (!part.is(ImapMime.RFC822)) {
          yield new byte[0];
        }
        ImapMime.Part message = part.children.get(0);
        yield messageSection(message.header, message.end, s);
      }
    };
  }

  /** HEADER, TEXT or HEADER.FIELDS[.NOT] of the message whose header is {@code h}. */
  private byte[] messageSection(ImapHeader h, int end, ImapSection s) {
    return switch (s.kind()) {
      case HEADER -> Arrays.copyOfRange(raw, h.start, h.end);
      case TEXT -> Arrays.copyOfRange(raw, h.end, Math.max(h.end, end));
      case FIELDS, FIELDS_NOT -> fields(h, s.fields(), s.kind() == ImapSection.Kind.FIELDS);
      default -> throw new IllegalStateException(s.kind().toString());
    };
  }

  /**
   * The header fields named (or, with {@code include} false, not named) in {@code names}, folded
   * lines whole, followed by the blank line as stored. A header without a blank line (a message
   * without a body) gets a CRLF after HEADER.FIELDS and nothing after HEADER.FIELDS.NOT, as Dovecot
   * answers (RFC 3501 §6.4.5 would add nothing to either).
   */
  private byte[] fields(ImapHeader h, List<byte[]> names, boolean include) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    for (int i = 0; i < h.count(); i++) {
      boolean named = false;
      for (int k = 0; k < names.size() && !named; k++) {
        named = h.nameIs(i, names.get(k));
      }
      if (named == include) {
        int from = h.fieldStart(i);
        out.write(raw, from, h.fieldEnd(i) - from);
      }
    }
    if (h.blankLine >= 0) {
      out.write(raw, h.blankLine, h.end - h.blankLine);
    } else if (include) {
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  /**
   * BINARY[{@code part}] (RFC 3516): the part's body with its Content-Transfer-Encoding undone, or
   * null when the encoding is unknown (answer {@code NO [UNKNOWN-CTE]}); empty for a part that does
   * not exist. {@code ""} is the whole message: stored as it is unless the message is a single
   * base64 or quoted-printable part, then its header and the decoded body. A multipart or
   * message/rfc822 part is returned as stored (Dovecot would decode the parts inside).
   *
   * @throws IllegalArgumentException if {@code part} is not a part path ({@code 1.2}) or empty
   */
  byte[] binary(String part) {
    ImapSection s = ImapSection.parse(part);
    if (s.kind() != ImapSection.Kind.FULL && s.kind() != ImapSection.Kind.PART) {
      throw new IllegalArgumentException("not a binary section: [" + part + "]");
    }
    ImapMime.Part p = s.path().length == 0 ? tree() : s.find(tree());
    if (p == null) {
      return new byte[0];
    }
    if (p.is(ImapMime.MULTIPART) || p.is(ImapMime.RFC822)) {
      return s.path().length == 0 ? raw : Arrays.copyOfRange(raw, p.bodyStart, p.end);
    }
    // Dovecot decodes by Content-Transfer-Encoding even without MIME-Version or Content-Type.
    int i = p.header.first("Content-Transfer-Encoding");
    ImapBinary.Encoding encoding = ImapBinary.Encoding.of(i < 0 ? null : p.header.unfolded(i));
    if (encoding == null) {
      return null;
    }
    if (s.path().length > 0) {
      return ImapBinary.decode(raw, p.bodyStart, p.end, encoding);
    }
    if (encoding == ImapBinary.Encoding.IDENTITY) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
    out.write(raw, 0, p.bodyStart);
    out.writeBytes(ImapBinary.decode(raw, p.bodyStart, p.end, encoding));
    return out.toByteArray();
  }

  /**
   * The text that SEARCH BODY and TEXT look in: the body of every text part, its transfer encoding
   * undone (an unknown one left as stored), read as UTF-8, as Dovecot searches decoded text.
   */
  String searchText() {
    StringBuilder out = new StringBuilder();
    collectText(tree(), out);
    return out.toString();
  }

  private void collectText(ImapMime.Part p, StringBuilder out) {
    if (p.is(ImapMime.MULTIPART) || p.is(ImapMime.RFC822)) {
      for (ImapMime.Part child : p.children) {
        collectText(child, out);
      }
      return;
    }
    if (!p.is(ImapMime.TEXT)) {
      return; // attachments (images, PDFs) are not searched as text, as in Dovecot
    }
    int i = p.header == null ? -1 : p.header.first("Content-Transfer-Encoding");
    ImapBinary.Encoding encoding = ImapBinary.Encoding.of(i < 0 ? null : p.header.unfolded(i));
    byte[] body =
        encoding == null
            ? Arrays.copyOfRange(raw, p.bodyStart, p.end)
            : ImapBinary.decode(raw, p.bodyStart, p.end, encoding);
    out.append(new String(body, StandardCharsets.UTF_8)).append('\n');
  }

  /**
   * The {@code <offset.length>} partial of a fetched section (RFC 3501 §6.4.5): empty past the end,
   * shorter at the end. Returns {@code bytes} itself when the partial covers all of it.
   */
  static byte[] partial(byte[] bytes, long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative partial <" + offset + "." + length + ">");
    }
    if (offset >= bytes.length) {
      return new byte[0];
    }
    int from = (int) offset;
    int to = (int) Math.min(bytes.length, offset + Math.min(length, bytes.length));
    if (from == 0 && to == bytes.length) {
      return bytes;
    }
    return Arrays.copyOfRange(bytes, from, to);
  }

  /**
   * {@code s} as an IMAP string for a response meant to be sent as UTF-8: NIL for null, a quoted
   * string, or a literal {@code {n}\r\n...} (n in UTF-8 octets) when it holds CR, LF, 8-bit
   * characters or more than four quotes and backslashes, as Dovecot chooses.
   */
  static String string(String s) {
    return ImapStrings.nstring(s);
  }

  /** {@code b} as an IMAP string, octet for octet: NIL for null, quoted, or a literal. */
  static byte[] string(byte[] b) {
    return ImapStrings.nstring(b);
  }

  private ImapHeader topHeader() {
    if (header == null) {
      header = ImapHeader.parse(raw, 0, raw.length, null);
    }
    return header;
  }

  private ImapMime.Part tree() {
    if (tree == null) {
      tree = ImapMime.parse(raw, topHeader());
    }
    return tree;
  }
}
