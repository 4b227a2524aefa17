package dev.kith.mail.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The MIME tree of a stored message as byte offsets into it: each part's header, body start and
 * end. Offsets, because BODY[1.2] must return the stored octets exactly and BODYSTRUCTURE sizes are
 * differences of offsets. One pass over the message, no recursion (nesting depth cannot overflow
 * the stack).
 *
 * <p>The rules are Dovecot's message-parser's, so that part numbers, sizes and line counts agree
 * with what a Dovecot server answers for the same broken mail: a boundary line is {@code --} and
 * any active boundary as a prefix (the longest, the newest on a tie), the line break before it
 * belongs to the boundary, a multipart without a boundary has no parts, a part that ends before its
 * closing boundary ends where its parent ends, Content-* fields count only with MIME-Version or
 * Content-Type (or inside a multipart), a part without Content-Type under multipart/digest is a
 * message/rfc822, and at most 100 levels and 10,000 parts are parsed.
 */
final class ImapMime {

  static final int MULTIPART = 1;
  static final int RFC822 = 2;
  static final int TEXT = 4;
  static final int DIGEST = 8;

  /** Content-* fields apply (MIME-Version, Content-Type, or a part of a multipart). */
  static final int MIME = 16;

  private static final int MAX_NESTED = 100;
  private static final int MAX_PARTS = 10_000;
  private static final int MAX_BOUNDARY = 80;
  private static final int MAX_BOUNDARY_LINE = MAX_BOUNDARY + 4;

  /** One part: a message, a multipart, a message/rfc822 or a leaf. */
  static final class Part {
    final Part parent;
    final int depth;
    ImapHeader header;
    int start;
    int bodyStart;
    int end;
    int flags;

    /** The first Content-Type field parsed, or null when there is none or it does not apply. */
    ImapBodyStructure.ContentType contentType;

    List<Part> children = List.of();
    private int lines = -1;
    private ImapBodyStructure.Fields fields;

    Part(Part parent, int start) {
      this.parent = parent;
      this.depth = parent == null ? 0 : parent.depth + 1;
      this.start = start;
    }

    boolean is(int flag) {
      return (flags & flag) != 0;
    }

    /** The number of LFs in the body (IMAP's body line count). */
    int lines(byte[] raw) {
      if (lines < 0) {
        int n = 0;
        for (int i = bodyStart; i < end; i++) {
          if (raw[i] == '\n') {
            n++;
          }
        }
        lines = n;
      }
      return lines;
    }

    /** The Content-* fields BODYSTRUCTURE shows, parsed on first use. */
    ImapBodyStructure.Fields fields() {
      if (fields == null) {
        fields = ImapBodyStructure.Fields.of(this);
      }
      return fields;
    }

    void add(Part child) {
      if (children.isEmpty()) {
        children = new ArrayList<>(4);
      }
      children.add(child);
    }
  }

  private record Boundary(byte[] text, Part part) {}

  private final byte[] raw;
  private final int len;
  private final List<Boundary> boundaries = new ArrayList<>();
  private int parts = 1;
  private Boundary found;
  private boolean foundClosing;

  private ImapMime(byte[] raw) {
    this.raw = raw;
    this.len = raw.length;
  }

  /** Parses the tree of {@code raw}; {@code rootHeader} is its header, already indexed. */
  static Part parse(byte[] raw, ImapHeader rootHeader) {
    return new ImapMime(raw).run(rootHeader);
  }

  private Part run(ImapHeader rootHeader) {
    Part root = new Part(null, 0);
    Part cur = root;
    ImapHeader header = rootHeader;
    while (true) {
      if (header == null) {
        header =
            ImapHeader.parse(raw, cur.start, len, boundaries.isEmpty() ? null : this::isBoundary);
      }
      cur.header = header;
      cur.bodyStart = header.end;
      classify(cur, header);
      header = null;
      if (cur.is(RFC822)) {
        Part child = new Part(cur, cur.bodyStart);
        parts++;
        cur.add(child);
        if (cur.header.boundaryLine >= 0) {
          // The message/rfc822 header ran into a boundary: the message inside is empty.
          header = ImapHeader.cut(raw, cur.bodyStart, cur.header.boundaryLine);
        }
        cur = child;
        continue;
      }
      cur = scanBody(cur, cur.bodyStart);
      if (cur == null) {
        return root;
      }
    }
  }

  /**
   * Reads a body from {@code from} up to a boundary line, closing parts, until a new part starts
   * (returned) or the message ends (null).
   */
  private Part scanBody(Part cur, int from) {
    while (true) {
      int line = boundaries.isEmpty() ? -1 : nextBoundaryLine(from);
      if (line < 0) {
        for (Part p = cur; p != null; p = p.parent) {
          p.end = len;
        }
        return null;
      }
      Boundary b = found;
      boolean closing = foundClosing;
      int bodyEnd = line == from ? line : line - ImapHeader.newlineBefore(raw, from, line);
      while (cur != b.part) {
        cur.end = bodyEnd;
        cur = cur.parent;
      }
      int at = boundaries.indexOf(b);
      int keep = closing ? at : at + 1;
      boundaries.subList(keep, boundaries.size()).clear();
      int next = ImapHeader.lineEnd(raw, line, len);
      if (next == len && (len == 0 || raw[len - 1] != '\n')) {
        for (Part p = cur; p != null; p = p.parent) {
          p.end = len;
        }
        return null;
      }
      if (!closing) {
        Part child = new Part(cur, next);
        child.flags = MIME;
        parts++;
        cur.add(child);
        return child;
      }
      from = next;
    }
  }

  /** Decides what a part is from its header, and opens its boundary if it is a multipart. */
  private void classify(Part part, ImapHeader h) {
    boolean mime = part.is(MIME);
    int ct = -1;
    for (int i = 0; i < h.count(); i++) {
      if (ct < 0 && h.nameIs(i, "Content-Type")) {
        ct = i;
      } else if (!mime && h.nameIs(i, "MIME-Version")) {
        mime = true;
      }
    }
    int flags = 0;
    ImapBodyStructure.ContentType type = null;
    if (ct >= 0) {
      mime = true;
      type = ImapBodyStructure.ContentType.parse(h.value(ct));
      flags = typeFlags(type.full());
    }
    boolean digestChild = part.parent != null && part.parent.is(DIGEST);
    if (ct < 0) {
      flags = digestChild ? RFC822 : TEXT;
    }
    byte[] boundary = (flags & MULTIPART) != 0 && h.blankLine >= 0 ? type.boundary() : null;
    if (boundary != null && part.depth + 1 >= MAX_NESTED) {
      flags &= ~MULTIPART;
    } else if (boundary != null) {
      boundaries.add(new Boundary(boundary, part));
    }
    if ((flags & RFC822) != 0 && (part.depth + 1 >= MAX_NESTED || parts >= MAX_PARTS)) {
      flags &= ~RFC822;
    }
    part.flags = flags | (mime ? MIME : 0);
    part.contentType = mime ? type : null;
  }

  private static int typeFlags(String full) {
    if (full.equalsIgnoreCase("message/rfc822")) {
      return RFC822;
    }
    if (full.regionMatches(true, 0, "text", 0, 4)
        && (full.length() == 4 || full.charAt(4) == '/')) {
      return TEXT;
    }
    if (full.regionMatches(true, 0, "multipart/", 0, 10)) {
      return MULTIPART | (full.substring(10).equalsIgnoreCase("digest") ? DIGEST : 0);
    }
    return 0;
  }

  private boolean isBoundary(int line) {
    return boundaryAt(line) != null;
  }

  /** The next boundary line at or after the line start {@code from}, or -1. */
  private int nextBoundaryLine(int from) {
    int p = from;
    while (p < len) {
      if (raw[p] == '-' && p + 1 < len && raw[p + 1] == '-' && boundaryAt(p) != null) {
        return p;
      }
      p = ImapHeader.lineEnd(raw, p, len);
    }
    return -1;
  }

  /** The boundary the line at {@code line} (starting with {@code --}) opens or closes, or null. */
  private Boundary boundaryAt(int line) {
    if (parts >= MAX_PARTS) {
      return null;
    }
    int data = line + 2;
    int lf = ImapHeader.lineEnd(raw, data, len);
    boolean hasLf = lf > data && raw[lf - 1] == '\n';
    int size = hasLf ? lf - 1 - data : len - data;
    if (hasLf && size > 0 && raw[data + size - 1] == '\r') {
      size--;
    }
    boolean dashes =
        hasLf && size > 2 && raw[data + size - 1] == '-' && raw[data + size - 2] == '-';
    if (!hasLf && size > MAX_BOUNDARY_LINE) {
      size = MAX_BOUNDARY_LINE;
    }
    Boundary best = null;
    for (int i = boundaries.size() - 1; i >= 0; i--) {
      Boundary b = boundaries.get(i);
      int n = b.text.length;
      if (n <= size
          && Arrays.equals(raw, data, data + n, b.text, 0, n)
          && (best == null || best.text.length < n)) {
        best = b;
        if (n == size || (n == size - 2 && dashes)) {
          break;
        }
      }
    }
    if (best != null) {
      int n = best.text.length;
      found = best;
      foundClosing = len - data >= n + 2 && raw[data + n] == '-' && raw[data + n + 1] == '-';
    }
    return best;
  }

  /** A boundary parameter as octets, cut to Dovecot's limit. */
  static byte[] boundaryBytes(String value) {
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    return b.length > MAX_BOUNDARY ? Arrays.copyOf(b, MAX_BOUNDARY) : b;
  }
}
