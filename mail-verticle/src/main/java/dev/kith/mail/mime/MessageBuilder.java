package dev.kith.mail.mime;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes outgoing messages by hand, so that every byte of a header is one this class chose: text
 * from the user reaches a header only after it has been checked for CR and LF (a header injection
 * would let a request add Bcc or forge fields) or encoded as RFC 2047 words. Lines end in CRLF and
 * stay within 78 characters where the content allows; bodies are UTF-8 quoted-printable and
 * attachments base64, both seven-bit clean, with boundaries that neither encoding can produce.
 */
public final class MessageBuilder {

  /** Most recipients of one message, across To, Cc and Bcc. */
  public static final int MAX_RECIPIENTS = 100;

  /** Longest subject in characters (RFC 5322's line limit). */
  public static final int MAX_SUBJECT_CHARS = 998;

  /** Most decoded attachment bytes in one message. */
  public static final long MAX_ATTACHMENT_BYTES = 25L * 1024 * 1024;

  /** Longest text or HTML body in characters. */
  public static final int MAX_BODY_CHARS = 25 * 1024 * 1024;

  private static final int MAX_ATTACHMENTS = 100;
  private static final int MAX_REFERENCES = 100;
  private static final int LINE = 76;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /** RFC 5322 atext, the characters of a dot-atom local part. */
  private static final Pattern LOCAL_PART =
      Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");

  private static final Pattern DOMAIN =
      Pattern.compile(
          "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
              + "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  /** {@code Name <a@b>}, {@code "Name" <a@b>} or {@code <a@b>}. */
  private static final Pattern NAME_ADDR = Pattern.compile("(?s)(.*?)\\s*<([^<>]*)>");

  private static final Pattern MEDIA_TYPE =
      Pattern.compile(
          "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private static final Pattern MSG_ID = Pattern.compile("[\\x21-\\x7e&&[^<>\\s]]{1,900}");

  private MessageBuilder() {}

  /**
   * A new RFC 5322 message from a send request: {@code to}, {@code cc}, {@code bcc} (arrays of
   * addresses), {@code subject}, {@code text}, optional {@code html}, optional {@code inReplyTo}
   * and {@code references}, optional {@code attachments} ({filename, mediaType, base64}). Bcc is
   * not written into the headers.
   *
   * @throws IllegalArgumentException with a message fit for the user when the request is invalid
   */
  public static byte[] compose(JsonObject request, String from, String messageId, Instant date) {
    if (request == null) {
      throw new IllegalArgumentException("the request is empty");
    }
    Address sender = parseAddress(from, "from");
    List<Address> to = addressList(request, "to");
    List<Address> cc = addressList(request, "cc");
    List<Address> bcc = addressList(request, "bcc");
    int recipients = to.size() + cc.size() + bcc.size();
    if (recipients == 0) {
      throw new IllegalArgumentException("add at least one recipient in to, cc or bcc");
    }
    if (recipients > MAX_RECIPIENTS) {
      throw new IllegalArgumentException(
          "too many recipients: " + recipients + ", at most " + MAX_RECIPIENTS);
    }
    String subject = optionalString(request, "subject");
    if (subject != null && subject.length() > MAX_SUBJECT_CHARS) {
      throw new IllegalArgumentException(
          "the subject is too long: at most " + MAX_SUBJECT_CHARS + " characters");
    }
    if (subject != null) {
      noLineBreaks(subject, "subject");
    }
    String id = messageId(messageId, "messageId");
    if (id == null) {
      throw new IllegalArgumentException("a message needs a Message-ID");
    }
    String inReplyTo = messageId(optionalString(request, "inReplyTo"), "inReplyTo");
    List<String> references = references(request);
    String text = optionalString(request, "text");
    String html = optionalString(request, "html");
    if (text != null && text.length() > MAX_BODY_CHARS
        || html != null && html.length() > MAX_BODY_CHARS) {
      throw new IllegalArgumentException(
          "the message text is too long: at most " + MAX_BODY_CHARS + " characters");
    }
    List<OutAttachment> attachments = attachments(request);

    Writer out = new Writer();
    out.header("Date", DATE.format(date == null ? Instant.now() : date));
    out.addressHeader("From", List.of(sender));
    if (!to.isEmpty()) {
      out.addressHeader("To", to);
    }
    if (!cc.isEmpty()) {
      out.addressHeader("Cc", cc);
    }
    if (subject != null && !subject.isEmpty()) {
      out.unstructured("Subject", subject);
    }
    out.header("Message-ID", "<" + id + ">");
    if (inReplyTo != null) {
      out.header("In-Reply-To", "<" + inReplyTo + ">");
    }
    if (!references.isEmpty()) {
      out.idList("References", references);
    }
    out.header("MIME-Version", "1.0");

    if (text == null && html != null) {
      text = MessageParser.htmlToText(html, MAX_BODY_CHARS);
    }
    String plain = text == null ? "" : text;
    if (attachments.isEmpty()) {
      body(out, plain, html);
    } else {
      String mixed = boundary();
      out.header("Content-Type", "multipart/mixed;\r\n boundary=\"" + mixed + "\"");
      out.line("");
      out.line("This is a multi-part message in MIME format.");
      out.line("--" + mixed);
      body(out, plain, html);
      for (OutAttachment attachment : attachments) {
        out.line("--" + mixed);
        attachment.write(out);
      }
      out.line("--" + mixed + "--");
    }
    return out.bytes();
  }

  /** A new unique Message-ID in {@code domain}, without angle brackets. */
  public static String newMessageId(String domain) {
    String host = domain(domain == null ? "" : domain.trim(), "the Message-ID domain");
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    return Long.toString(System.currentTimeMillis(), 36)
        + "."
        + HexFormat.of().formatHex(random)
        + "@"
        + host;
  }

  /**
   * The SMTP envelope recipients of a send request: To, Cc and Bcc as bare addresses, the domain
   * lower-cased, each once, in request order.
   *
   * @throws IllegalArgumentException for a missing or invalid address, as {@link #compose} does
   */
  public static List<String> envelopeRecipients(JsonObject request) {
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (String field : List.of("to", "cc", "bcc")) {
      for (Address address : addressList(request, field)) {
        unique.add(address.address());
      }
    }
    if (unique.isEmpty()) {
      throw new IllegalArgumentException("add at least one recipient in to, cc or bcc");
    }
    return new ArrayList<>(unique);
  }

  /**
   * One address as the user typed it, {@code a@b} or {@code Name <a@b>}: checked and with its
   * domain lower-cased (and internationalized domains in ASCII form).
   *
   * @throws IllegalArgumentException when it is not a valid address
   */
  public static String normalizeAddress(String address) {
    return parseAddress(address, "address").address();
  }

  // ---- validation ----

  /** A checked mailbox: a bare {@code local@domain} and an optional display name. */
  record Address(String name, String address) {}

  private static List<Address> addressList(JsonObject request, String field) {
    Object value = request == null ? null : request.getValue(field);
    List<Address> result = new ArrayList<>();
    if (value == null) {
      return result;
    }
    if (value instanceof String single) {
      if (!single.isBlank()) {
        result.add(parseAddress(single, field));
      }
      return result;
    }
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException(field + " must be a list of addresses");
    }
    if (array.size() > MAX_RECIPIENTS) {
      throw new IllegalArgumentException(
          "too many recipients in " + field + ": at most " + MAX_RECIPIENTS);
    }
    for (Object item : array) {
      if (!(item instanceof String text)) {
        throw new IllegalArgumentException(field + " must be a list of addresses");
      }
      result.add(parseAddress(text, field));
    }
    return result;
  }

  static Address parseAddress(String input, String field) {
    if (input == null || input.isBlank()) {
      throw new IllegalArgumentException(field + ": an address is empty");
    }
    noLineBreaks(input, field);
    if (input.length() > 1000) {
      throw new IllegalArgumentException(field + ": an address is too long");
    }
    String trimmed = input.trim();
    String name = null;
    String bare = trimmed;
    Matcher matcher = NAME_ADDR.matcher(trimmed);
    if (matcher.matches()) {
      name = matcher.group(1).trim();
      if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
        name = name.substring(1, name.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
      }
      if (name.isEmpty()) {
        name = null;
      } else if (name.length() > 256) {
        throw new IllegalArgumentException(field + ": a display name is too long");
      }
      bare = matcher.group(2).trim();
    }
    int at = bare.lastIndexOf('@');
    if (at <= 0 || at == bare.length() - 1) {
      throw new IllegalArgumentException(field + ": not an email address: " + visible(trimmed));
    }
    String local = bare.substring(0, at);
    if (local.length() > 64 || !LOCAL_PART.matcher(local).matches()) {
      throw new IllegalArgumentException(field + ": not an email address: " + visible(trimmed));
    }
    String domain;
    try {
      domain = domain(bare.substring(at + 1), field);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + ": not an email address: " + visible(trimmed));
    }
    String address = local + "@" + domain;
    if (address.length() > 254) {
      throw new IllegalArgumentException(field + ": an address is too long");
    }
    return new Address(name, address);
  }

  private static String domain(String domain, String field) {
    String ascii;
    try {
      ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + ": not a domain name");
    }
    if (ascii.length() > 253 || !DOMAIN.matcher(ascii).matches()) {
      throw new IllegalArgumentException(field + ": not a domain name");
    }
    return ascii;
  }

  private static void noLineBreaks(String value, String field) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw new IllegalArgumentException(field + " must not contain line breaks");
      }
    }
  }

  private static String visible(String s) {
    String shown = s.length() > 80 ? s.substring(0, 80) + "…" : s;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }

  private static String optionalString(JsonObject request, String field) {
    Object value = request.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw new IllegalArgumentException(field + " must be text");
    }
    return text;
  }

  /** A message id, bracketed or not, checked; null when absent. */
  private static String messageId(String id, String field) {
    if (id == null || id.isBlank()) {
      return null;
    }
    String bare = id.trim();
    if (bare.startsWith("<") && bare.endsWith(">")) {
      bare = bare.substring(1, bare.length() - 1);
    }
    if (!MSG_ID.matcher(bare).matches()) {
      throw new IllegalArgumentException(field + " is not a valid message id");
    }
    return bare;
  }

  private static List<String> references(JsonObject request) {
    Object value = request.getValue("references");
    List<String> ids = new ArrayList<>();
    if (value == null) {
      return ids;
    }
    List<Object> items = new ArrayList<>();
    if (value instanceof String text) {
      noLineBreaks(text, "references");
      for (String token : text.trim().split("[\\s,]+")) {
        if (!token.isEmpty()) {
          items.add(token);
        }
      }
    } else if (value instanceof JsonArray array) {
      items.addAll(array.getList());
    } else {
      throw new IllegalArgumentException("references must be a list of message ids");
    }
    if (items.size() > MAX_REFERENCES) {
      // Keep the root and the most recent, as RFC 5322 suggests for long threads.
      List<Object> kept = new ArrayList<>();
      kept.add(items.get(0));
      kept.addAll(items.subList(items.size() - (MAX_REFERENCES - 1), items.size()));
      items = kept;
    }
    for (Object item : items) {
      if (!(item instanceof String text)) {
        throw new IllegalArgumentException("references must be a list of message ids");
      }
      String id = messageId(text, "references");
      if (id != null) {
        ids.add(id);
      }
    }
    return ids;
  }

  private static List<OutAttachment> attachments(JsonObject request) {
    Object value = request.getValue("attachments");
    List<OutAttachment> result = new ArrayList<>();
    if (value == null) {
      return result;
    }
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException("attachments must be a list");
    }
    if (array.size() > MAX_ATTACHMENTS) {
      throw new IllegalArgumentException("too many attachments: at most " + MAX_ATTACHMENTS);
    }
    long total = 0;
    for (Object item : array) {
      if (!(item instanceof JsonObject attachment)) {
        throw new IllegalArgumentException("each attachment must be {filename, mediaType, base64}");
      }
      String base64 = optionalString(attachment, "base64");
      if (base64 == null) {
        throw new IllegalArgumentException("an attachment has no content (base64)");
      }
      // Refuse before decoding: base64 is 4 characters for 3 bytes, whitespace aside.
      if ((long) base64.length() / 4 * 3 > (MAX_ATTACHMENT_BYTES - total) * 2) {
        throw new IllegalArgumentException(
            "attachments are too large: at most " + MAX_ATTACHMENT_BYTES / (1024 * 1024) + " MB");
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(WHITESPACE.matcher(base64).replaceAll(""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("an attachment is not valid base64");
      }
      total += bytes.length;
      if (total > MAX_ATTACHMENT_BYTES) {
        throw new IllegalArgumentException(
            "attachments are too large: at most " + MAX_ATTACHMENT_BYTES / (1024 * 1024) + " MB");
      }
      String filename = safeFilename(optionalString(attachment, "filename"));
      result.add(
          new OutAttachment(filename, mediaType(optionalString(attachment, "mediaType")), bytes));
    }
    return result;
  }

  /**
   * A filename fit for a header: the last path segment, without control characters, quotes or
   * backslashes, not starting with a dot, at most 255 characters; {@code attachment} when nothing
   * is left.
   */
  public static String safeFilename(String filename) {
    if (filename == null) {
      return "attachment";
    }
    String name = filename;
    name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    StringBuilder clean = new StringBuilder();
    name.codePoints()
        .filter(c -> !Character.isISOControl(c) && c != '"' && c != '\\')
        .filter(c -> Character.getType(c) != Character.FORMAT)
        .forEach(clean::appendCodePoint);
    name = clean.toString().trim();
    while (name.startsWith(".")) {
      name = name.substring(1);
    }
    if (name.codePointCount(0, name.length()) > 255) {
      name = name.substring(0, name.offsetByCodePoints(0, 255));
    }
    name = name.trim();
    return name.isEmpty() ? "attachment" : name;
  }

  /** A media type for an attachment; octet-stream for anything unusable or structural. */
  private static String mediaType(String mediaType) {
    if (mediaType == null) {
      return "application/octet-stream";
    }
    String type = mediaType.trim().toLowerCase(Locale.ROOT);
    int semicolon = type.indexOf(';');
    if (semicolon >= 0) {
      type = type.substring(0, semicolon).trim();
    }
    // A multipart or message type here would turn the bytes into structure when read back.
    if (!MEDIA_TYPE.matcher(type).matches()
        || type.startsWith("multipart/")
        || type.startsWith("message/")) {
      return "application/octet-stream";
    }
    return type;
  }

  // ---- writing ----

  private static void body(Writer out, String text, String html) {
    if (html == null) {
      textPart(out, "text/plain", text);
      return;
    }
    String alternative = boundary();
    out.header("Content-Type", "multipart/alternative;\r\n boundary=\"" + alternative + "\"");
    out.line("");
    out.line("--" + alternative);
    textPart(out, "text/plain", text);
    out.line("--" + alternative);
    textPart(out, "text/html", html);
    out.line("--" + alternative + "--");
  }

  private static void textPart(Writer out, String type, String content) {
    out.header("Content-Type", type + "; charset=UTF-8");
    out.header("Content-Transfer-Encoding", "quoted-printable");
    out.line("");
    out.raw(quotedPrintable(content));
  }

  private record OutAttachment(String filename, String mediaType, byte[] bytes) {
    void write(Writer out) {
      out.header("Content-Type", mediaType + ";" + parameter("name", filename));
      out.header("Content-Disposition", "attachment;" + parameter("filename", filename));
      out.header("Content-Transfer-Encoding", "base64");
      out.line("");
      String encoded = Base64.getMimeEncoder(LINE, new byte[] {'\r', '\n'}).encodeToString(bytes);
      if (!encoded.isEmpty()) {
        out.line(encoded);
      }
    }
  }

  /**
   * A header parameter: quoted when ASCII, RFC 2231 {@code name*=UTF-8''...} otherwise. Put on its
   * own folded line so that a long filename does not make an overlong line.
   */
  static String parameter(String name, String value) {
    boolean ascii = value.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    if (ascii && value.length() < 900) {
      return "\r\n " + name + "=\"" + value + "\"";
    }
    StringBuilder encoded = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c < 0x80 && (Character.isLetterOrDigit(c) || "!#$&+-.^_`|~".indexOf(c) >= 0)) {
        encoded.append((char) c);
      } else {
        encoded.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
      }
    }
    // RFC 2231 continuations keep each line short: name*0*=..., name*1*=...
    String all = "UTF-8''" + encoded;
    if (all.length() <= 60) {
      return "\r\n " + name + "*=" + all;
    }
    StringBuilder out = new StringBuilder();
    int section = 0;
    for (int i = 0; i < all.length(); ) {
      int end = Math.min(all.length(), i + 60);
      // Never split a %XX escape.
      if (end < all.length() && all.charAt(end - 1) == '%') {
        end -= 1;
      } else if (end < all.length() && end >= 2 && all.charAt(end - 2) == '%') {
        end -= 2;
      }
      out.append(section == 0 ? "" : ";")
          .append("\r\n ")
          .append(name)
          .append('*')
          .append(section)
          .append("*=")
          .append(all, i, end);
      section++;
      i = end;
    }
    return out.toString();
  }

  private static String boundary() {
    byte[] random = new byte[12];
    RANDOM.nextBytes(random);
    // "=_" appears in neither quoted-printable nor base64 output, so no body can contain it.
    return "=_kith_" + HexFormat.of().formatHex(random);
  }

  /**
   * UTF-8 quoted-printable (RFC 2045): line breaks become CRLF, lines stay within 76 characters
   * with soft breaks, whitespace before a break and a leading dot are encoded.
   */
  static String quotedPrintable(String text) {
    String normalized = text.replace("\r\n", "\n").replace('\r', '\n');
    StringBuilder out = new StringBuilder(normalized.length() + normalized.length() / 8 + 16);
    for (String line : normalized.split("\n", -1)) {
      byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
      int column = 0;
      for (int i = 0; i < bytes.length; i++) {
        int b = bytes[i] & 0xff;
        boolean last = i == bytes.length - 1;
        String token;
        if (b == '='
            || b < 0x20 && b != '\t'
            || b > 0x7e
            || (b == ' ' || b == '\t') && last
            || b == '.' && column == 0) {
          token = "=" + HexFormat.of().withUpperCase().toHexDigits((byte) b);
        } else {
          token = String.valueOf((char) b);
        }
        // Leave room for the "=" of a soft break unless this is the line's last token.
        int limit = last ? LINE : LINE - 1;
        if (column + token.length() > limit) {
          out.append("=\r\n");
          column = 0;
          if (token.equals(".")) {
            token = "=2E";
          }
        }
        out.append(token);
        column += token.length();
      }
      out.append("\r\n");
    }
    return out.toString();
  }

  /** Encoded words (RFC 2047, UTF-8, B encoding), each at most 75 characters. */
  static List<String> encodedWords(String text) {
    List<String> words = new ArrayList<>();
    String prefix = "=?UTF-8?B?";
    // 39 bytes are 52 base64 characters and a 64-character word, which fits on a header's first
    // line after a name like "Subject: " within 76 characters, as RFC 2047 asks.
    int maxBytes = 39;
    StringBuilder chunk = new StringBuilder();
    int chunkBytes = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (chunkBytes + len > maxBytes) {
        words.add(prefix + b64(chunk) + "?=");
        chunk.setLength(0);
        chunkBytes = 0;
      }
      chunk.appendCodePoint(cp);
      chunkBytes += len;
      i += Character.charCount(cp);
    }
    if (chunk.length() > 0) {
      words.add(prefix + b64(chunk) + "?=");
    }
    return words;
  }

  private static String b64(CharSequence s) {
    return Base64.getEncoder().encodeToString(s.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static boolean needsEncoding(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return true;
      }
    }
    // A word too long to fold would make an overlong line; encoded words can be split.
    for (String word : s.split(" ")) {
      if (word.length() > 70) {
        return true;
      }
    }
    return s.contains("=?");
  }

  /** Accumulates the message with CRLF line ends and headers folded at 78 characters. */
  private static final class Writer {
    private final StringBuilder out = new StringBuilder();

    void header(String name, String value) {
      out.append(name).append(": ").append(value).append("\r\n");
    }

    void line(String s) {
      out.append(s).append("\r\n");
    }

    void raw(String s) {
      out.append(s);
    }

    /** A header of tokens joined by {@code separator}, folded between tokens. */
    void folded(String name, List<String> tokens, String separator) {
      StringBuilder line = new StringBuilder(name).append(':');
      int column = line.length();
      for (int i = 0; i < tokens.size(); i++) {
        String token = tokens.get(i) + (i < tokens.size() - 1 ? separator : "");
        if (column + 1 + token.length() > 78 && column > name.length() + 1) {
          line.append("\r\n");
          column = 0;
        }
        line.append(' ').append(token);
        column += 1 + token.length();
      }
      out.append(line).append("\r\n");
    }

    void addressHeader(String name, List<Address> addresses) {
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < addresses.size(); i++) {
        List<String> words = mailbox(addresses.get(i));
        if (i < addresses.size() - 1) {
          words.set(words.size() - 1, words.get(words.size() - 1) + ",");
        }
        tokens.addAll(words);
      }
      folded(name, tokens, "");
    }

    void idList(String name, List<String> ids) {
      List<String> tokens = new ArrayList<>();
      ids.forEach(id -> tokens.add("<" + id + ">"));
      folded(name, tokens, "");
    }

    /** An unstructured header: plain words when ASCII, encoded words otherwise. */
    void unstructured(String name, String value) {
      if (needsEncoding(value)) {
        folded(name, encodedWords(value), "");
      } else {
        folded(name, List.of(value.split(" ", -1)), "");
      }
    }

    byte[] bytes() {
      return out.toString().getBytes(StandardCharsets.US_ASCII);
    }
  }

  /** A mailbox as header tokens, between which the header may fold. */
  private static List<String> mailbox(Address address) {
    String name = address.name();
    List<String> words = new ArrayList<>();
    if (name != null) {
      if (needsEncoding(name)) {
        words.addAll(encodedWords(name));
      } else if (name.matches("[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")) {
        words.addAll(List.of(name.trim().split(" +")));
      } else {
        words.add('"' + name.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
      }
    }
    words.add(name == null ? address.address() : "<" + address.address() + ">");
    return words;
  }
}
