package dev.kith.mail.imap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) of a parsed {@link ImapMime} tree, written as Dovecot
 * 2.3 writes them so that clients which cache structures see the same answer after a move from
 * Dovecot: types, subtypes and parameters keep the case they have in the message, a text part
 * without a charset gets {@code ("charset" "us-ascii")}, a part without Content-Type is {@code
 * "text" "plain"}, a multipart without parts shows one empty text/plain part, RFC 2231 parameter
 * continuations are joined, and a top-level plain 7-bit us-ascii message gets Dovecot's fixed
 * lower-case form. Sizes are of the stored octets.
 */
final class ImapBodyStructure {

  private static final String EMPTY_BODY =
      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
  private static final String EMPTY_BODYSTRUCTURE =
      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";
  private static final String PLAIN_7BIT =
      "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" ";

  private ImapBodyStructure() {}

  /** The first Content-Type field: {@code type/subtype} as read and its parameters. */
  record ContentType(String full, boolean ok, List<String[]> params) {

    static ContentType parse(String value) {
      ImapRfc822 p = new ImapRfc822(value, null);
      p.skipLwsp();
      StringBuilder full = new StringBuilder();
      int ret = p.parseContentType(full);
      List<String[]> params = ret < 0 ? List.of() : parameters(p);
      return new ContentType(full.toString(), ret >= 0, params);
    }

    String type() {
      int slash = full.indexOf('/');
      return slash < 0 ? full : full.substring(0, slash);
    }

    String subtype() {
      int slash = full.indexOf('/');
      return slash < 0 ? "" : full.substring(slash + 1);
    }

    /** The boundary of a multipart, or null. */
    byte[] boundary() {
      for (String[] kv : params) {
        if (kv[0].equalsIgnoreCase("boundary")) {
          return ImapMime.boundaryBytes(kv[1]);
        }
      }
      return null;
    }
  }

  /** The Content-* fields other than Content-Type, each the first of its name. */
  record Fields(
      String encoding,
      String id,
      String md5,
      String description,
      String disposition,
      List<String[]> dispositionParams,
      List<String> languages,
      String location) {

    private static final Fields NONE = new Fields(null, null, null, null, null, null, null, null);

    static Fields of(ImapMime.Part part) {
      if (!part.is(ImapMime.MIME)) {
        return NONE;
      }
      ImapHeader h = part.header;
      String[] v = new String[6];
      String disposition = null;
      List<String[]> dispositionParams = List.of();
      List<String> languages = null;
      for (int i = 0; i < h.count(); i++) {
        if (!h.nameStartsWith(i, "Content-")) {
          continue;
        }
        if (h.nameIs(i, "Content-Transfer-Encoding") && v[0] == null) {
          v[0] = encoding(h.value(i));
        } else if (h.nameIs(i, "Content-ID") && v[1] == null) {
          v[1] = h.value(i);
        } else if (h.nameIs(i, "Content-MD5") && v[2] == null) {
          v[2] = h.value(i);
        } else if (h.nameIs(i, "Content-Description") && v[3] == null) {
          v[3] = h.value(i);
        } else if (h.nameIs(i, "Content-Location") && v[4] == null) {
          v[4] = h.value(i);
        } else if (h.nameIs(i, "Content-Language") && languages == null) {
          languages = languages(h.value(i));
        } else if (h.nameIs(i, "Content-Disposition") && dispositionParams.isEmpty()) {
          // Dovecot lets a later Content-Disposition replace one without parameters.
          ImapRfc822 p = new ImapRfc822(h.value(i), null);
          p.skipLwsp();
          StringBuilder token = new StringBuilder();
          if (p.parseMimeToken(token) >= 0) {
            disposition = token.toString();
            dispositionParams = parameters(p);
          }
        }
      }
      return new Fields(v[0], v[1], v[2], v[3], disposition, dispositionParams, languages, v[4]);
    }

    private static String encoding(String value) {
      ImapRfc822 p = new ImapRfc822(value, null);
      p.skipLwsp();
      StringBuilder token = new StringBuilder();
      if (p.parseMimeToken(token) >= 0 && p.skipLwsp() == 0 && token.length() > 0) {
        return token.toString();
      }
      return null;
    }

    private static List<String> languages(String value) {
      ImapRfc822 p = new ImapRfc822(value, null);
      List<String> out = new ArrayList<>(2);
      p.skipLwsp();
      StringBuilder atom = new StringBuilder();
      while (p.parseAtom(atom) >= 0) {
        out.add(atom.toString());
        atom.setLength(0);
        if (p.atEnd() || p.peek() != ',') {
          break;
        }
        p.pos++;
        p.skipLwsp();
      }
      return out.isEmpty() ? null : out;
    }
  }

  /** Writes BODYSTRUCTURE ({@code extended}) or BODY of the whole message. */
  static void writeMessage(StringBuilder out, ImapMime.Part root, byte[] raw, boolean extended) {
    if (isPlain7bit(root)) {
      out.append(PLAIN_7BIT).append(root.end - root.bodyStart).append(' ');
      out.append(root.lines(raw));
      if (extended) {
        out.append(" NIL NIL NIL NIL");
      }
      return;
    }
    write(out, root, raw, extended);
  }

  /** Dovecot's shortcut for the most common message; its answer is fixed lower case. */
  private static boolean isPlain7bit(ImapMime.Part root) {
    if (!root.is(ImapMime.TEXT) || !root.children.isEmpty()) {
      return false;
    }
    ContentType type = root.contentType;
    if (type != null) {
      if (!type.subtype().equalsIgnoreCase("plain")) {
        return false;
      }
      List<String[]> params = type.params();
      if (params.size() > 1
          || (params.size() == 1
              && !(params.get(0)[0].equalsIgnoreCase("charset")
                  && params.get(0)[1].equalsIgnoreCase("us-ascii")))) {
        return false;
      }
    }
    Fields f = root.fields();
    return f.id == null
        && f.description == null
        && (f.encoding == null || f.encoding.equalsIgnoreCase("7bit"))
        && f.md5 == null
        && f.disposition == null
        && f.languages == null
        && f.location == null;
  }

  static void write(StringBuilder out, ImapMime.Part part, byte[] raw, boolean extended) {
    if (part.is(ImapMime.MULTIPART)) {
      writeMultipart(out, part, raw, extended);
    } else {
      writeSingle(out, part, raw, extended);
    }
  }

  private static void writeMultipart(
      StringBuilder out, ImapMime.Part part, byte[] raw, boolean extended) {
    if (part.children.isEmpty()) {
      out.append(extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY);
    }
    for (ImapMime.Part child : part.children) {
      out.append('(');
      write(out, child, raw, extended);
      out.append(')');
    }
    out.append(' ');
    ImapStrings.appendNstring(out, part.contentType.subtype());
    if (extended) {
      out.append(' ');
      writeParams(out, part.contentType.params(), false);
      writeExtension(out, part.fields());
    }
  }

  private static void writeSingle(
      StringBuilder out, ImapMime.Part part, byte[] raw, boolean extended) {
    ContentType type = part.contentType;
    boolean text = false;
    if (part.is(ImapMime.RFC822)) {
      out.append("\"message\" \"rfc822\"");
    } else if (isTruncated(part)) {
      out.append("\"application\" \"octet-stream\"");
    } else if (type == null) {
      text = true;
      out.append("\"text\" \"plain\"");
    } else {
      text = type.type().equalsIgnoreCase("text");
      ImapStrings.appendNstring(out, type.type());
      out.append(' ');
      ImapStrings.appendNstring(out, type.subtype());
    }
    Fields f = part.fields();
    out.append(' ');
    writeParams(out, type == null ? List.of() : type.params(), text);
    out.append(' ');
    ImapStrings.appendNstringNoLf(out, f.id);
    out.append(' ');
    ImapStrings.appendNstringNoLf(out, f.description);
    out.append(' ');
    ImapStrings.appendNstring(out, f.encoding == null ? "7bit" : f.encoding);
    out.append(' ').append(part.end - part.bodyStart);
    if (text) {
      out.append(' ').append(part.lines(raw));
    } else if (part.is(ImapMime.RFC822)) {
      ImapMime.Part message = part.children.get(0);
      out.append(" (");
      ImapEnvelope.write(out, message.header);
      out.append(") (");
      write(out, message, raw, extended);
      out.append(") ").append(part.lines(raw));
    }
    if (extended) {
      out.append(' ');
      ImapStrings.appendNstringNoLf(out, f.md5);
      writeExtension(out, f);
    }
  }

  /** A message/rfc822 or multipart that the part limits kept from being parsed as one. */
  private static boolean isTruncated(ImapMime.Part part) {
    ContentType type = part.contentType;
    if (type == null) {
      return part.parent != null && part.parent.is(ImapMime.DIGEST);
    }
    String t = type.type();
    return (t.equalsIgnoreCase("message") && type.subtype().equalsIgnoreCase("rfc822"))
        || t.equalsIgnoreCase("multipart");
  }

  private static void writeParams(StringBuilder out, List<String[]> params, boolean charset) {
    if (!charset && params.isEmpty()) {
      out.append("NIL");
      return;
    }
    out.append('(');
    boolean seenCharset = false;
    for (int i = 0; i < params.size(); i++) {
      String[] kv = params.get(i);
      if (i > 0) {
        out.append(' ');
      }
      seenCharset |= charset && kv[0].equalsIgnoreCase("charset");
      ImapStrings.appendNstring(out, kv[0]);
      out.append(' ');
      ImapStrings.appendNstring(out, kv[1]);
    }
    if (charset && !seenCharset) {
      out.append(params.isEmpty() ? "" : " ").append("\"charset\" \"us-ascii\"");
    }
    out.append(')');
  }

  /** Disposition, language and location (RFC 3501 body-ext-1part / body-ext-mpart). */
  private static void writeExtension(StringBuilder out, Fields f) {
    out.append(' ');
    if (f.disposition == null) {
      out.append("NIL");
    } else {
      out.append('(');
      ImapStrings.appendNstring(out, f.disposition);
      out.append(' ');
      writeParams(out, f.dispositionParams, false);
      out.append(')');
    }
    out.append(' ');
    if (f.languages == null) {
      out.append("NIL");
    } else {
      out.append('(');
      for (int i = 0; i < f.languages.size(); i++) {
        if (i > 0) {
          out.append(' ');
        }
        ImapStrings.appendNstring(out, f.languages.get(i));
      }
      out.append(')');
    }
    out.append(' ');
    ImapStrings.appendNstringNoLf(out, f.location);
  }

  /**
   * The {@code ; key=value} parameters after the cursor, RFC 2231 continuations ({@code key*0},
   * {@code key*1*}) joined into one {@code key} or {@code key*}, as Dovecot's rfc2231-parser does.
   */
  static List<String[]> parameters(ImapRfc822 p) {
    List<String[]> out = new ArrayList<>(2);
    List<Continuation> continued = new ArrayList<>(0);
    String[] key = new String[1];
    StringBuilder value = new StringBuilder();
    int index = 0;
    for (int ret; (ret = p.parseContentParam(key, value)) != 0; ) {
      if (ret < 0) {
        if (p.atEnd()) {
          break;
        }
        p.pos++;
        continue;
      }
      String k = key[0];
      int star = k.indexOf('*');
      if (star >= 0) {
        int q = star;
        if (q + 1 < k.length()) {
          q++;
          index = 0;
          while (q < k.length() && k.charAt(q) >= '0' && k.charAt(q) <= '9') {
            index = index * 10 + k.charAt(q++) - '0';
          }
        }
        boolean extended = q < k.length() && k.charAt(q) == '*';
        if (extended) {
          q++;
        }
        if (q == k.length()) {
          continued.add(new Continuation(k.substring(0, star), value.toString(), index, extended));
          continue;
        }
      }
      out.add(new String[] {k, value.toString()});
    }
    if (!continued.isEmpty()) {
      joinContinuations(continued, out);
    }
    return out;
  }

  private record Continuation(String key, String value, int index, boolean extended) {}

  private static void joinContinuations(List<Continuation> params, List<String[]> out) {
    params.sort(Comparator.comparing(Continuation::key).thenComparingInt(Continuation::index));
    for (int i = 0, next; i < params.size(); i = next) {
      boolean ok = true;
      boolean extended = false;
      next = i;
      for (int expect = 0; next < params.size(); next++, expect++) {
        Continuation c = params.get(next);
        if (!c.key.equalsIgnoreCase(params.get(i).key)) {
          break;
        }
        ok &= c.index == expect;
        extended |= c.extended;
      }
      if (!ok) {
        for (int j = i; j < next; j++) {
          Continuation c = params.get(j);
          out.add(new String[] {c.key + "*" + c.index + (c.extended ? "*" : ""), c.value});
        }
        continue;
      }
      StringBuilder joined = new StringBuilder();
      if (!params.get(i).extended && extended) {
        joined.append("''");
      }
      for (int j = i; j < next; j++) {
        Continuation c = params.get(j);
        joined.append(!c.extended && extended ? c.value.replace("%", "%25") : c.value);
      }
      out.add(new String[] {params.get(i).key + (extended ? "*" : ""), joined.toString()});
    }
  }
}
