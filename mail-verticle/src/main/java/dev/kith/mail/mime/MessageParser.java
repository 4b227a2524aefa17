package dev.kith.mail.mime;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.field.DateTimeField;
import org.apache.james.mime4j.dom.field.ParsedField;
import org.apache.james.mime4j.field.LenientFieldParser;
import org.apache.james.mime4j.field.address.LenientAddressParser;
import org.apache.james.mime4j.message.DefaultBodyDescriptorBuilder;
import org.apache.james.mime4j.message.MaximalBodyDescriptor;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;
import org.owasp.html.CssSchema;
import org.owasp.html.HtmlPolicyBuilder;
import org.owasp.html.HtmlSanitizer;
import org.owasp.html.PolicyFactory;

/**
 * Reads RFC 5322 messages with mime4j.
 *
 * <p>{@link #summary} gives what a mailbox keeps and lists for each message: {@code messageId}
 * (without angle brackets, or null), {@code subject}, {@code from}, {@code to} and {@code cc} (JSON
 * arrays of decoded addresses as {@code "Name <a@b>"} or {@code "a@b"}), {@code date} (epoch
 * millis, or null), {@code inReplyTo} (or null), {@code references} (array), {@code thread} (the
 * root message id: first of References, else In-Reply-To, else its own Message-ID, else null),
 * {@code snippet} (the first 200 characters of its text), {@code attachments} (how many) and {@code
 * size} (bytes). The text itself is not in the summary: {@link #searchText} reads it from the
 * message when a search asks for it.
 *
 * <p>Mail comes from strangers, so every method reads it as hostile: the parser streams through the
 * message (mime4j's pull parser, never a DOM), reads at most a bounded number of characters from
 * each part, counts attachment bytes without keeping them, and on a message it cannot parse returns
 * what it read before the failure instead of throwing. An attachment is any leaf part that is
 * marked as one, has a filename, or is neither text/plain nor text/html; message/rfc822 parts are
 * not descended into, so a forwarded message is one attachment.
 */
public final class MessageParser {

  /** Most header fields read from one entity; mime4j stops the parse beyond this. */
  public static final int MAX_HEADER_COUNT = 1000;

  /** Longest physical header line; body lines are not limited by mime4j. */
  static final int MAX_LINE_CHARS = 10_000;

  /** Longest header field including its folded continuation lines. */
  static final int MAX_HEADER_CHARS = 100_000;

  /** The largest message the mail service accepts. */
  public static final long MAX_MESSAGE_BYTES = 25L * 1024 * 1024;

  static final int SUMMARY_TEXT_CHARS = 4096;
  static final int SNIPPET_CHARS = 200;
  static final int FULL_TEXT_CHARS = 1024 * 1024;

  /** Most HTML read from a part; HTML beyond it is cut before sanitizing. */
  static final int HTML_CHARS = 2 * 1024 * 1024;

  /**
   * Most HTML read when a summary has only HTML to take its text from: enough to get past a large
   * head full of styles to the first 4096 characters of text.
   */
  static final int SUMMARY_HTML_CHARS = 256 * 1024;

  static final int MAX_PARTS = 1000;
  static final int MAX_REFERENCES = 200;
  static final int MAX_ADDRESSES = 1000;
  static final int MAX_VALUE_CHARS = 16 * 1024;

  private static final MimeConfig CONFIG =
      new MimeConfig.Builder()
          .setMaxHeaderCount(MAX_HEADER_COUNT)
          .setMaxLineLen(MAX_LINE_CHARS)
          .setMaxHeaderLen(MAX_HEADER_CHARS)
          .setMaxContentLen(MAX_MESSAGE_BYTES + 1024 * 1024)
          .setStrictParsing(false)
          .build();

  private static final Pattern MSG_ID = Pattern.compile("<([^<>\\s]{1,998})>");
  private static final Pattern FOLD = Pattern.compile("\r?\n(?=[ \t])");
  private static final Pattern WHITESPACE = Pattern.compile("[\\s\\u00a0]+");
  private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\t]]");

  private MessageParser() {}

  /** What a mailbox lists of a message; see the class comment. Never throws on bad input. */
  public static JsonObject summary(byte[] raw) {
    Walk walk = new Walk(Mode.SUMMARY, -1);
    walk.run(raw);
    JsonObject summary = walk.envelope(raw == null ? 0 : raw.length);
    summary.put("snippet", snippet(walk.plainText(SUMMARY_TEXT_CHARS)));
    summary.put("attachments", walk.attachments.size());
    return summary;
  }

  /**
   * The message's plain text for search: its text parts, or its HTML's text when it has none, up to
   * a million characters. Never throws on bad input.
   */
  public static String searchText(byte[] raw) {
    Walk walk = new Walk(Mode.FULL, -1);
    walk.run(raw);
    return walk.plainText(FULL_TEXT_CHARS);
  }

  /**
   * The whole message for display: {@code headers} (array of {name, value}, decoded), the summary
   * fields, {@code text}, {@code html} (sanitized, or null) and {@code attachments} (array of
   * {index, filename, mediaType, size}; an attachment with a Content-ID also has {@code contentId},
   * which the message's HTML refers to as {@code cid:contentId}). Never throws on bad input.
   */
  public static JsonObject parse(byte[] raw) {
    Walk walk = new Walk(Mode.FULL, -1);
    walk.run(raw);
    JsonObject message = walk.envelope(raw == null ? 0 : raw.length);
    JsonArray headers = new JsonArray();
    for (Field field : walk.topFields) {
      headers.add(new JsonObject().put("name", field.getName()).put("value", decoded(field)));
    }
    message.put("headers", headers);
    String text = walk.plainText(FULL_TEXT_CHARS);
    message.put("snippet", snippet(text));
    message.put("text", text);
    message.put("html", walk.html == null ? null : sanitizeHtml(walk.html));
    JsonArray attachments = new JsonArray();
    for (Part part : walk.attachments) {
      JsonObject json =
          new JsonObject()
              .put("index", part.index)
              .put("filename", part.filename)
              .put("mediaType", part.mediaType)
              .put("size", part.size);
      if (part.contentId != null) {
        json.put("contentId", part.contentId);
      }
      attachments.add(json);
    }
    message.put("attachments", attachments);
    return message;
  }

  /** Attachment {@code index} (from 0), or null when there is no such attachment. */
  public static Attachment attachment(byte[] raw, int index) {
    if (index < 0) {
      return null;
    }
    Walk walk = new Walk(Mode.ATTACHMENT, index);
    walk.run(raw);
    if (walk.wanted == null) {
      return null;
    }
    return new Attachment(walk.wanted.filename, walk.wanted.mediaType, walk.wantedBytes);
  }

  /** One attachment's decoded bytes. */
  public record Attachment(String filename, String mediaType, byte[] bytes) {}

  /**
   * HTML made safe to show: formatting, tables and links stay; scripts, event handlers, forms,
   * frames and style sheets go; links keep only http, https and mailto and get {@code rel=nofollow
   * noopener noreferrer}; images keep only {@code cid:} and inline raster {@code data:} sources, so
   * opening a message never fetches anything from its sender; inline styles keep only properties
   * that cannot load a URL.
   */
  public static String sanitizeHtml(String html) {
    if (html == null) {
      return null;
    }
    return DISPLAY_POLICY.sanitize(html);
  }

  /**
   * The text of an HTML document: tags dropped, entities decoded, scripts and styles skipped,
   * blocks and line breaks turned into newlines. At most {@code maxChars} characters.
   */
  public static String htmlToText(String html, int maxChars) {
    if (html == null || html.isEmpty()) {
      return "";
    }
    TextCollector collector = new TextCollector(maxChars);
    HtmlSanitizer.sanitize(html, collector);
    return collector.result();
  }

  // ---- the walk through one message ----

  private enum Mode {
    SUMMARY,
    FULL,
    ATTACHMENT
  }

  private static final class Part {
    final int index;
    final String filename;
    final String mediaType;
    final String contentId;
    long size;

    Part(int index, String filename, String mediaType, String contentId) {
      this.index = index;
      this.filename = filename;
      this.mediaType = mediaType;
      this.contentId = contentId;
    }
  }

  /** One pass of the pull parser, collecting what the mode needs and nothing more. */
  private static final class Walk {
    final Mode mode;
    final int wantedIndex;
    final List<Field> topFields = new ArrayList<>();
    final List<Part> attachments = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    String html;
    Part wanted;
    byte[] wantedBytes;

    Walk(Mode mode, int wantedIndex) {
      this.mode = mode;
      this.wantedIndex = wantedIndex;
    }

    int textCap() {
      return mode == Mode.FULL ? FULL_TEXT_CHARS : SUMMARY_TEXT_CHARS;
    }

    int htmlCap() {
      return mode == Mode.FULL ? HTML_CHARS : SUMMARY_HTML_CHARS;
    }

    void run(byte[] raw) {
      if (raw == null || raw.length == 0) {
        return;
      }
      MimeTokenStream stream =
          new MimeTokenStream(
              CONFIG,
              DecodeMonitor.SILENT,
              new DefaultBodyDescriptorBuilder(
                  null, LenientFieldParser.getParser(), DecodeMonitor.SILENT));
      // A forwarded message stays one attachment instead of mixing its parts into this one.
      stream.setRecursionMode(RecursionMode.M_NO_RECURSE);
      stream.parse(new ByteArrayInputStream(raw));
      int headerBlocks = 0;
      int parts = 0;
      try {
        for (EntityState state = stream.getState();
            state != EntityState.T_END_OF_STREAM;
            state = stream.next()) {
          switch (state) {
            case T_START_HEADER -> headerBlocks++;
            case T_FIELD -> {
              if (headerBlocks == 1 && topFields.size() < MAX_HEADER_COUNT) {
                topFields.add(stream.getField());
              }
            }
            case T_BODY -> {
              if (++parts > MAX_PARTS || !body(stream)) {
                return;
              }
            }
            default -> {}
          }
        }
      } catch (Exception | StackOverflowError e) {
        // Keep what was read before the damage: a broken message still lists and shows.
      }
    }

    /** Handles one leaf part; false when the walk has what it came for. */
    boolean body(MimeTokenStream stream) throws IOException {
      BodyDescriptor descriptor = stream.getBodyDescriptor();
      String mimeType = lower(descriptor.getMimeType());
      String disposition = null;
      String filename = null;
      String contentId = null;
      if (descriptor instanceof MaximalBodyDescriptor maximal) {
        disposition = lower(maximal.getContentDispositionType());
        filename = maximal.getContentDispositionFilename();
        if (filename == null && maximal.getContentTypeParameters() != null) {
          filename = maximal.getContentTypeParameters().get("name");
        }
        contentId = bareId(maximal.getContentId());
      }
      filename = cleanFilename(filename);
      boolean textual = "text/plain".equals(mimeType) || "text/html".equals(mimeType);
      boolean attachment = "attachment".equals(disposition) || filename != null || !textual;
      if (attachment) {
        Part part =
            new Part(
                attachments.size(),
                filename != null ? filename : unnamed(mimeType, attachments.size()),
                mimeType,
                contentId);
        attachments.add(part);
        if (mode == Mode.FULL) {
          part.size = count(stream.getDecodedInputStream());
        } else if (mode == Mode.ATTACHMENT && part.index == wantedIndex) {
          wanted = part;
          wantedBytes = stream.getDecodedInputStream().readAllBytes();
          return false;
        }
        return true;
      }
      if (mode == Mode.ATTACHMENT) {
        return true;
      }
      Charset charset = charsetOf(descriptor.getCharset());
      if ("text/plain".equals(mimeType)) {
        int room = textCap() - text.length();
        if (room > 0) {
          if (text.length() > 0) {
            text.append('\n');
          }
          text.append(read(stream.getDecodedInputStream(), charset, room));
        }
      } else if (html == null) {
        html = read(stream.getDecodedInputStream(), charset, htmlCap());
      }
      return true;
    }

    /** The plain text: the text/plain parts, else the HTML's text. */
    String plainText(int maxChars) {
      String plain = text.toString().replace("\r\n", "\n").replace('\r', '\n');
      if (plain.isBlank() && html != null) {
        plain = htmlToText(html, maxChars);
      }
      plain = plain.length() > maxChars ? plain.substring(0, maxChars) : plain;
      // The line break before a boundary or at the end of the message is not the sender's text.
      return plain.stripTrailing();
    }

    /** The header fields of the summary. */
    JsonObject envelope(int size) {
      Field messageId = null;
      Field subject = null;
      Field from = null;
      Field date = null;
      Field inReplyTo = null;
      Field references = null;
      List<Field> to = new ArrayList<>();
      List<Field> cc = new ArrayList<>();
      for (Field field : topFields) {
        switch (lower(field.getName())) {
          case "message-id" -> messageId = messageId == null ? field : messageId;
          case "subject" -> subject = subject == null ? field : subject;
          case "from" -> from = from == null ? field : from;
          case "date" -> date = date == null ? field : date;
          case "in-reply-to" -> inReplyTo = inReplyTo == null ? field : inReplyTo;
          case "references" -> references = references == null ? field : references;
          case "to" -> to.add(field);
          case "cc" -> cc.add(field);
          default -> {}
        }
      }
      String ownId = firstId(messageId);
      String parentId = firstId(inReplyTo);
      List<String> refs = ids(references, MAX_REFERENCES);
      String thread = !refs.isEmpty() ? refs.get(0) : parentId != null ? parentId : ownId;
      return new JsonObject()
          .put("messageId", ownId)
          .put("subject", subject == null ? null : decoded(subject))
          .put("from", addresses(from == null ? List.of() : List.of(from)))
          .put("to", addresses(to))
          .put("cc", addresses(cc))
          .put("date", dateOf(date))
          .put("inReplyTo", parentId)
          .put("references", new JsonArray(new ArrayList<Object>(refs)))
          .put("thread", thread)
          .put("size", size);
    }
  }

  // ---- header helpers ----

  /** A header's value unfolded, RFC 2047 words decoded, control characters dropped, capped. */
  static String decoded(Field field) {
    String body = field.getBody();
    if (body == null) {
      return "";
    }
    if (body.length() > MAX_VALUE_CHARS) {
      body = body.substring(0, MAX_VALUE_CHARS);
    }
    String unfolded = FOLD.matcher(body).replaceAll("");
    String value;
    try {
      value = DecoderUtil.decodeEncodedWords(unfolded, DecodeMonitor.SILENT);
    } catch (RuntimeException e) {
      value = unfolded;
    }
    return CONTROL.matcher(value).replaceAll("").trim();
  }

  private static JsonArray addresses(List<Field> fields) {
    JsonArray result = new JsonArray();
    for (Field field : fields) {
      String body = field.getBody();
      if (body == null || body.isBlank()) {
        continue;
      }
      String unfolded = FOLD.matcher(truncate(body, MAX_VALUE_CHARS)).replaceAll("");
      List<Mailbox> mailboxes;
      try {
        AddressList list = LenientAddressParser.DEFAULT.parseAddressList(unfolded);
        mailboxes = list.flatten();
      } catch (RuntimeException e) {
        mailboxes = List.of();
      }
      boolean any = false;
      for (Mailbox mailbox : mailboxes) {
        if (result.size() >= MAX_ADDRESSES) {
          return result;
        }
        if (mailbox.getLocalPart() == null || mailbox.getLocalPart().isEmpty()) {
          continue;
        }
        result.add(display(mailbox));
        any = true;
      }
      if (!any) {
        // Nothing parsed as an address: show the sender's words rather than nothing.
        String words = decoded(field);
        if (!words.isEmpty()) {
          result.add(words);
        }
      }
    }
    return result;
  }

  private static String display(Mailbox mailbox) {
    String address =
        mailbox.getDomain() == null || mailbox.getDomain().isEmpty()
            ? mailbox.getLocalPart()
            : mailbox.getLocalPart() + "@" + mailbox.getDomain();
    String name = mailbox.getName();
    if (name != null) {
      name = CONTROL.matcher(name).replaceAll("").trim();
    }
    if (name == null || name.isEmpty()) {
      return address;
    }
    // Quote names with specials so that the string parses back as one address.
    if (name.matches(".*[()<>\\[\\]:;@\\\\,.\"].*")) {
      name = '"' + name.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
    return name + " <" + address + ">";
  }

  private static Long dateOf(Field field) {
    if (field == null) {
      return null;
    }
    try {
      ParsedField parsed = LenientFieldParser.getParser().parse(field, DecodeMonitor.SILENT);
      if (parsed instanceof DateTimeField dateField && dateField.getDate() != null) {
        return dateField.getDate().getTime();
      }
    } catch (RuntimeException e) {
      // An unreadable date is no date.
    }
    return null;
  }

  private static String firstId(Field field) {
    List<String> ids = ids(field, 1);
    return ids.isEmpty() ? null : ids.get(0);
  }

  /** Message ids in a header, without angle brackets; bare tokens when nothing is bracketed. */
  static List<String> ids(Field field, int max) {
    List<String> ids = new ArrayList<>();
    if (field == null || field.getBody() == null) {
      return ids;
    }
    String body = truncate(field.getBody(), MAX_HEADER_CHARS);
    Matcher matcher = MSG_ID.matcher(body);
    while (matcher.find() && ids.size() < max) {
      ids.add(matcher.group(1));
    }
    if (ids.isEmpty() && body.indexOf('<') < 0) {
      for (String token : body.trim().split("\\s+")) {
        if (!token.isEmpty() && ids.size() < max && token.length() <= 998) {
          ids.add(token);
        }
      }
    }
    return ids;
  }

  private static String bareId(String id) {
    if (id == null) {
      return null;
    }
    String trimmed = id.trim();
    if (trimmed.startsWith("<") && trimmed.endsWith(">")) {
      trimmed = trimmed.substring(1, trimmed.length() - 1).trim();
    }
    return trimmed.isEmpty() || trimmed.length() > 998 ? null : trimmed;
  }

  /**
   * A filename from a stranger made harmless to show and to offer for download: encoded words
   * decoded, only the last path segment, no control or quote characters, at most 255 characters.
   */
  static String cleanFilename(String filename) {
    if (filename == null) {
      return null;
    }
    String name = filename;
    try {
      name = DecoderUtil.decodeEncodedWords(truncate(name, 4096), DecodeMonitor.SILENT);
    } catch (RuntimeException e) {
      // Keep the raw name.
    }
    name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    name = CONTROL.matcher(name).replaceAll("").replace('"', '\'').replace('\t', ' ').trim();
    while (name.startsWith(".")) {
      name = name.substring(1);
    }
    name = truncate(name, 255).trim();
    return name.isEmpty() ? null : name;
  }

  /**
   * A name for an attachment that came without one, so that whoever lists or saves it always has
   * one: {@code attachment-2.pdf}, {@code message-1.eml}.
   */
  static String unnamed(String mimeType, int index) {
    String extension =
        switch (mimeType) {
          case "message/rfc822" -> ".eml";
          case "application/pdf" -> ".pdf";
          case "image/png" -> ".png";
          case "image/jpeg" -> ".jpg";
          case "image/gif" -> ".gif";
          case "text/plain" -> ".txt";
          case "text/html" -> ".html";
          case "text/calendar" -> ".ics";
          case "application/zip" -> ".zip";
          default -> ".bin";
        };
    String stem = mimeType.equals("message/rfc822") ? "message-" : "attachment-";
    return stem + (index + 1) + extension;
  }

  private static Charset charsetOf(String name) {
    if (name == null) {
      return StandardCharsets.UTF_8;
    }
    String lower = name.trim().toLowerCase(Locale.ROOT);
    // Mail that says us-ascii or nothing often carries UTF-8; UTF-8 reads ASCII the same.
    if (lower.isEmpty() || lower.equals("us-ascii") || lower.equals("ascii")) {
      return StandardCharsets.UTF_8;
    }
    // As browsers do: latin-1 labels mean windows-1252, a superset that names 0x80-0x9f.
    if (lower.equals("iso-8859-1") || lower.equals("latin1") || lower.equals("iso8859-1")) {
      lower = "windows-1252";
    }
    try {
      return Charset.forName(lower);
    } catch (RuntimeException e) {
      return StandardCharsets.UTF_8;
    }
  }

  /** At most {@code maxChars} characters of a part's text; malformed bytes become U+FFFD. */
  private static String read(InputStream in, Charset charset, int maxChars) throws IOException {
    StringBuilder out = new StringBuilder(Math.min(maxChars, 8192));
    Reader reader = new InputStreamReader(in, charset);
    char[] buffer = new char[8192];
    while (out.length() < maxChars) {
      int n = reader.read(buffer, 0, Math.min(buffer.length, maxChars - out.length()));
      if (n < 0) {
        break;
      }
      out.append(buffer, 0, n);
    }
    return out.toString();
  }

  private static long count(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    long total = 0;
    for (int n; (n = in.read(buffer)) >= 0; ) {
      total += n;
    }
    return total;
  }

  private static String snippet(String text) {
    String collapsed = WHITESPACE.matcher(text).replaceAll(" ").trim();
    return collapsed.length() > SNIPPET_CHARS ? collapsed.substring(0, SNIPPET_CHARS) : collapsed;
  }

  private static String truncate(String s, int max) {
    return s.length() > max ? s.substring(0, max) : s;
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  // ---- HTML ----

  private static final Pattern LINK_URL =
      Pattern.compile("(?i)\\s*(https?://|mailto:)[^\\s\"<>]*\\s*");
  private static final Pattern IMAGE_URL =
      Pattern.compile(
          "(?i)\\s*(cid:[^\\s\"<>]+|data:image/(png|gif|jpeg|jpg|webp);base64,[a-z0-9+/=\\s]+)\\s*");
  private static final Pattern LENGTH = Pattern.compile("\\d{1,4}(%|px)?");
  private static final Pattern COLOR = Pattern.compile("#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,20}");
  private static final Pattern WORD = Pattern.compile("[a-zA-Z]{1,20}");

  /** CSS properties that take no URL, so a style attribute cannot make the reader fetch. */
  private static final List<String> SAFE_CSS =
      List.of(
          "color",
          "background-color",
          "font-family",
          "font-size",
          "font-style",
          "font-weight",
          "text-align",
          "text-decoration",
          "text-indent",
          "text-transform",
          "line-height",
          "letter-spacing",
          "white-space",
          "vertical-align",
          "direction",
          "margin",
          "margin-top",
          "margin-right",
          "margin-bottom",
          "margin-left",
          "padding",
          "padding-top",
          "padding-right",
          "padding-bottom",
          "padding-left",
          "border",
          "border-top",
          "border-right",
          "border-bottom",
          "border-left",
          "border-color",
          "border-style",
          "border-width",
          "border-collapse",
          "border-spacing",
          "width",
          "height",
          "max-width",
          "min-width",
          "list-style-type");

  private static final PolicyFactory DISPLAY_POLICY =
      new HtmlPolicyBuilder()
          .allowCommonInlineFormattingElements()
          .allowCommonBlockElements()
          .allowElements(
              "a",
              "img",
              "pre",
              "hr",
              "center",
              "dl",
              "dt",
              "dd",
              "abbr",
              "address",
              "cite",
              "q",
              "kbd",
              "samp",
              "var",
              "mark",
              "table",
              "thead",
              "tbody",
              "tfoot",
              "tr",
              "td",
              "th",
              "caption",
              "colgroup",
              "col")
          .allowAttributes("href")
          .matching(LINK_URL)
          .onElements("a")
          .allowAttributes("src")
          .matching(IMAGE_URL)
          .onElements("img")
          .allowAttributes("alt")
          .onElements("img")
          .allowAttributes("title")
          .globally()
          .allowAttributes("dir")
          .matching(true, "ltr", "rtl", "auto")
          .globally()
          .allowAttributes("align", "valign")
          .matching(WORD)
          .onElements(
              "p",
              "div",
              "h1",
              "h2",
              "h3",
              "h4",
              "h5",
              "h6",
              "table",
              "tr",
              "td",
              "th",
              "img",
              "col",
              "colgroup",
              "thead",
              "tbody",
              "tfoot",
              "caption",
              "hr")
          .allowAttributes("width", "height")
          .matching(LENGTH)
          .onElements("table", "td", "th", "img", "col", "colgroup", "hr")
          .allowAttributes("colspan", "rowspan", "border", "cellpadding", "cellspacing")
          .matching(LENGTH)
          .onElements("table", "td", "th")
          .allowAttributes("bgcolor")
          .matching(COLOR)
          .onElements("table", "tr", "td", "th")
          .allowAttributes("color")
          .matching(COLOR)
          .onElements("font")
          .allowAttributes("face")
          .matching(Pattern.compile("[\\w ,'-]{1,100}"))
          .onElements("font")
          .allowAttributes("size")
          .matching(Pattern.compile("[+-]?\\d"))
          .onElements("font")
          .allowUrlProtocols("http", "https", "mailto", "cid", "data")
          .requireRelsOnLinks("nofollow", "noopener", "noreferrer")
          .allowStyling(CssSchema.withProperties(SAFE_CSS))
          .toFactory();

  private static final Set<String> SKIPPED_TEXT =
      Set.of("script", "style", "head", "title", "template", "noscript", "textarea", "select");
  private static final Set<String> BLOCKS =
      Set.of(
          "p",
          "div",
          "tr",
          "li",
          "h1",
          "h2",
          "h3",
          "h4",
          "h5",
          "h6",
          "table",
          "blockquote",
          "pre",
          "ul",
          "ol",
          "dl",
          "dt",
          "dd",
          "hr",
          "section",
          "article",
          "header",
          "footer");

  /** Receives the lexer's events and keeps the visible text. */
  private static final class TextCollector implements HtmlSanitizer.Policy {
    private final int maxChars;
    private final StringBuilder out = new StringBuilder();
    private int skipping;
    private int preformatted;

    TextCollector(int maxChars) {
      this.maxChars = maxChars;
    }

    @Override
    public void openDocument() {}

    @Override
    public void closeDocument() {}

    @Override
    public void openTag(String name, List<String> attrs) {
      String tag = lower(name);
      if (SKIPPED_TEXT.contains(tag)) {
        skipping++;
      } else if (tag.equals("br")) {
        newline(1);
      } else if (tag.equals("pre")) {
        preformatted++;
        newline(1);
      } else if (tag.equals("td") || tag.equals("th")) {
        space();
      } else if (BLOCKS.contains(tag)) {
        newline(1);
      }
    }

    @Override
    public void closeTag(String name) {
      String tag = lower(name);
      if (SKIPPED_TEXT.contains(tag)) {
        skipping = Math.max(0, skipping - 1);
      } else if (tag.equals("pre")) {
        preformatted = Math.max(0, preformatted - 1);
        newline(1);
      } else if (tag.equals("p") || tag.startsWith("h") && tag.length() == 2) {
        newline(2);
      } else if (BLOCKS.contains(tag)) {
        newline(1);
      }
    }

    @Override
    public void text(String chunk) {
      if (skipping > 0 || out.length() >= maxChars) {
        return;
      }
      String visible =
          preformatted > 0
              ? chunk.replace('\u00a0', ' ')
              : WHITESPACE.matcher(chunk).replaceAll(" ");
      if (visible.startsWith(" ")
          && (out.length() == 0 || Character.isWhitespace(out.charAt(out.length() - 1)))) {
        visible = visible.substring(1);
      }
      append(visible);
    }

    private void space() {
      if (out.length() > 0 && !Character.isWhitespace(out.charAt(out.length() - 1))) {
        append(" ");
      }
    }

    private void newline(int wanted) {
      if (out.length() == 0) {
        return;
      }
      int trailing = 0;
      int i = out.length() - 1;
      while (i >= 0 && (out.charAt(i) == ' ' || out.charAt(i) == '\n')) {
        if (out.charAt(i) == '\n') {
          trailing++;
        }
        i--;
      }
      out.setLength(i + 1);
      append("\n".repeat(Math.max(wanted, Math.min(trailing, 2))));
    }

    private void append(String s) {
      int room = maxChars - out.length();
      if (room > 0) {
        out.append(s, 0, Math.min(room, s.length()));
      }
    }

    String result() {
      return out.toString().strip();
    }
  }
}
