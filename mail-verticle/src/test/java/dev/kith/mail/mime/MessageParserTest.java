package dev.kith.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("The message parser")
class MessageParserTest {

  /** A message from lines joined with CRLF, as it arrives over SMTP. */
  private static byte[] mail(String... lines) {
    return (String.join("\r\n", lines) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Nested
  @DisplayName("headers")
  class Headers {

    private final byte[] encoded =
        mail(
            "Message-ID: <abc@example.org>",
            "Date: Fri, 27 Nov 2026 16:49:21 +0100",
            "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>",
            "To: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>, bob@example.com",
            "Cc: \"Doe, Jane\" <jane@example.com>",
            "Subject: " + "=?UTF-8?B?" + b64("Grüße aus München") + "?=",
            "X-Note: =?iso-8859-1?q?caf=E9?= ouvert",
            "",
            "Hallo");

    @Test
    @DisplayName("decodes an RFC 2047 subject in UTF-8 B encoding")
    void subjectBase64() {
      assertThat(MessageParser.summary(encoded).getString("subject"))
          .isEqualTo("Grüße aus München");
    }

    @Test
    @DisplayName("decodes display names in UTF-8 Q and ISO-8859-1 Q encodings")
    void addressNames() {
      JsonObject summary = MessageParser.summary(encoded);
      assertThat(summary.getJsonArray("from").getList())
          .containsExactly("Jürgen Müller <juergen@example.de>");
      assertThat(summary.getJsonArray("to").getList())
          .containsExactly("André <andre@example.fr>", "bob@example.com");
      // A name with a comma is quoted so that the string reads back as one address.
      assertThat(summary.getJsonArray("cc").getList())
          .containsExactly("\"Doe, Jane\" <jane@example.com>");
    }

    @Test
    @DisplayName("gives the Message-ID without brackets and the date as epoch millis")
    void idAndDate() {
      JsonObject summary = MessageParser.summary(encoded);
      assertThat(summary.getString("messageId")).isEqualTo("abc@example.org");
      assertThat(summary.getLong("date"))
          .isEqualTo(Instant.parse("2026-11-27T15:49:21Z").toEpochMilli());
      assertThat(summary.getInteger("size")).isEqualTo(encoded.length);
    }

    @Test
    @DisplayName("lists every header decoded, in order, for display")
    void headerList() {
      JsonArray headers = MessageParser.parse(encoded).getJsonArray("headers");
      assertThat(headers.size()).isEqualTo(7);
      assertThat(headers.getJsonObject(0))
          .isEqualTo(new JsonObject().put("name", "Message-ID").put("value", "<abc@example.org>"));
      assertThat(headers.getJsonObject(6))
          .isEqualTo(new JsonObject().put("name", "X-Note").put("value", "café ouvert"));
    }

    @Test
    @DisplayName("unfolds folded headers")
    void folded() {
      byte[] raw = mail("Subject: a long", "\tsubject folded", " twice", "From: a@b.c", "", "x");
      assertThat(MessageParser.summary(raw).getString("subject"))
          .isEqualTo("a long\tsubject folded twice");
    }

    @Test
    @DisplayName("gives null for a missing subject, id and date, and empty address lists")
    void missing() {
      JsonObject summary = MessageParser.summary(mail("X-Other: 1", "", "body"));
      assertThat(summary.getString("subject")).isNull();
      assertThat(summary.getString("messageId")).isNull();
      assertThat(summary.getValue("date")).isNull();
      assertThat(summary.getString("thread")).isNull();
      assertThat(summary.getJsonArray("from")).isEmpty();
      assertThat(summary.getJsonArray("references")).isEmpty();
      assertThat(summary.getString("snippet")).isEqualTo("body");
      assertThat(summary.containsKey("text")).as("the text is read for search, not kept").isFalse();
    }

    @Test
    @DisplayName("keeps at most 1000 headers and still reads the message")
    void manyHeaders() {
      StringBuilder raw = new StringBuilder("Subject: many\r\n");
      raw.append("X-Spam: y\r\n".repeat(3000));
      raw.append("\r\nbody\r\n");
      byte[] bytes = raw.toString().getBytes(StandardCharsets.US_ASCII);
      JsonObject parsed = MessageParser.parse(bytes);
      assertThat(parsed.getJsonArray("headers").size()).isLessThanOrEqualTo(1000);
      assertThat(parsed.getString("subject")).isEqualTo("many");
    }
  }

  @Nested
  @DisplayName("threads")
  class Threads {

    @Test
    @DisplayName("take the root from the first References id")
    void fromReferences() {
      JsonObject summary =
          MessageParser.summary(
              mail(
                  "Message-ID: <c@x>",
                  "In-Reply-To: <b@x>",
                  "References: <a@x>",
                  " <b@x>",
                  "",
                  "hi"));
      assertThat(summary.getString("thread")).isEqualTo("a@x");
      assertThat(summary.getJsonArray("references").getList()).containsExactly("a@x", "b@x");
      assertThat(summary.getString("inReplyTo")).isEqualTo("b@x");
    }

    @Test
    @DisplayName("fall back to In-Reply-To, then to the message's own id")
    void fallbacks() {
      assertThat(
              MessageParser.summary(mail("Message-ID: <c@x>", "In-Reply-To: <b@x>", "", "hi"))
                  .getString("thread"))
          .isEqualTo("b@x");
      assertThat(MessageParser.summary(mail("Message-ID: <c@x>", "", "hi")).getString("thread"))
          .isEqualTo("c@x");
    }
  }

  @Nested
  @DisplayName("bodies")
  class Bodies {

    private final byte[] alternative =
        mail(
            "Subject: alt",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"b1\"",
            "",
            "--b1",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Plain   words\there",
            "--b1",
            "Content-Type: text/html; charset=utf-8",
            "",
            "<p>HTML <b>words</b></p>",
            "--b1--");

    @Test
    @DisplayName("take the text from text/plain and the HTML from text/html of an alternative")
    void alternative() {
      JsonObject parsed = MessageParser.parse(alternative);
      assertThat(parsed.getString("text")).isEqualTo("Plain   words\there");
      assertThat(parsed.getString("snippet")).isEqualTo("Plain words here");
      assertThat(parsed.getString("html")).contains("<b>words</b>").doesNotContain("Plain");
      assertThat(parsed.getJsonArray("attachments")).isEmpty();
      assertThat(MessageParser.summary(alternative).getInteger("attachments")).isZero();
    }

    @Test
    @DisplayName("decode quoted-printable text with soft line breaks in its charset")
    void quotedPrintable() {
      byte[] raw =
          mail(
              "Subject: qp",
              "Content-Type: text/plain; charset=UTF-8",
              "Content-Transfer-Encoding: quoted-printable",
              "",
              "Sch=C3=B6ne Gr=C3=BC=C3=9Fe, a very long line that was wrapped by the sen=",
              "der =3D done");
      assertThat(MessageParser.searchText(raw))
          .isEqualTo("Schöne Grüße, a very long line that was wrapped by the sender = done");
    }

    @Test
    @DisplayName("read ISO-8859-1 text in its charset")
    void latin1() {
      byte[] raw = mail("Content-Type: text/plain; charset=iso-8859-1", "", "Caf\u00e9 cr\u00e8me");
      assertThat(MessageParser.searchText(raw)).isEqualTo("Café crème");
    }

    @Test
    @DisplayName("take the text of an HTML-only message from the HTML, without tags or scripts")
    void htmlOnly() {
      byte[] raw =
          mail(
              "Content-Type: text/html; charset=utf-8",
              "",
              "<html><head><title>T</title><style>p{color:red}</style></head><body>",
              "<p>Hello&nbsp;&amp; welcome</p><script>alert('x')</script>",
              "<div>second</div></body></html>");
      JsonObject summary = MessageParser.summary(raw);
      assertThat(MessageParser.searchText(raw)).isEqualTo("Hello & welcome\n\nsecond");
      assertThat(summary.getString("snippet")).isEqualTo("Hello & welcome second");
    }

    @Test
    @DisplayName("read messages with bare LF line ends as well as CRLF")
    void bareLineFeeds() {
      byte[] raw =
          ("Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                  + "Content-Type: text/plain\n\nline one\nline two\n--b\n"
                  + "Content-Type: text/plain\nContent-Disposition: attachment\n\nfile\n--b--\n")
              .getBytes(StandardCharsets.US_ASCII);
      JsonObject parsed = MessageParser.parse(raw);
      assertThat(parsed.getString("subject")).isEqualTo("lf");
      assertThat(parsed.getString("text")).isEqualTo("line one\nline two");
      // Marked as an attachment, a text part is one even without a filename.
      assertThat(parsed.getJsonArray("attachments").size()).isEqualTo(1);
      assertThat(MessageParser.attachment(raw, 0).bytes()).isEqualTo("file".getBytes());
    }

    @Test
    @DisplayName("cap the summary text at 4096 characters and the snippet at 200")
    void caps() {
      String text = "word ".repeat(5000);
      JsonObject summary = MessageParser.summary(mail("Subject: long", "", text));
      assertThat(summary.getString("snippet").length()).isEqualTo(200);
      assertThat(MessageParser.searchText(mail("Subject: long", "", text))).isEqualTo(text.strip());
      assertThat(MessageParser.parse(mail("Subject: long", "", text)).getString("text"))
          .isEqualTo(text.strip());
    }
  }

  @Nested
  @DisplayName("attachments")
  class Attachments {

    private final byte[] payload = randomBytes(3000, 7);

    private byte[] nested() {
      String encoded = Base64.getMimeEncoder().encodeToString(payload);
      return mail(
          "Subject: with attachment",
          "MIME-Version: 1.0",
          "Content-Type: multipart/mixed; boundary=\"outer\"",
          "",
          "preamble",
          "--outer",
          "Content-Type: multipart/alternative; boundary=\"inner\"",
          "",
          "--inner",
          "Content-Type: text/plain",
          "",
          "see attached",
          "--inner",
          "Content-Type: text/html",
          "",
          "<p>see <i>attached</i></p>",
          "--inner--",
          "--outer",
          "Content-Type: application/octet-stream; name=\"data.bin\"",
          "Content-Disposition: attachment; filename=\"data.bin\"",
          "Content-Transfer-Encoding: base64",
          "",
          encoded,
          "--outer",
          "Content-Type: image/png",
          "Content-Disposition: inline; filename=\"logo.png\"",
          "Content-ID: <logo@x>",
          "Content-Transfer-Encoding: base64",
          "",
          Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}),
          "--outer",
          "Content-Type: text/plain; name=\"notes.txt\"",
          "",
          "a text file",
          "--outer",
          "Content-Type: message/rfc822",
          "",
          "Subject: forwarded",
          "",
          "inner body",
          "--outer--");
    }

    @Test
    @DisplayName("round-trip a base64 attachment in nested multiparts byte for byte")
    void base64RoundTrip() {
      MessageParser.Attachment attachment = MessageParser.attachment(nested(), 0);
      assertThat(attachment).isNotNull();
      assertThat(attachment.bytes()).isEqualTo(payload);
      assertThat(attachment.filename()).isEqualTo("data.bin");
      assertThat(attachment.mediaType()).isEqualTo("application/octet-stream");
    }

    @Test
    @DisplayName(
        "list attachments in document order: marked, inline with a name, named text, "
            + "forwarded messages")
    void listing() {
      JsonObject parsed = MessageParser.parse(nested());
      assertThat(parsed.getString("text")).isEqualTo("see attached");
      JsonArray attachments = parsed.getJsonArray("attachments");
      assertThat(attachments.size()).isEqualTo(4);
      assertThat(attachments.getJsonObject(0))
          .isEqualTo(
              new JsonObject()
                  .put("index", 0)
                  .put("filename", "data.bin")
                  .put("mediaType", "application/octet-stream")
                  .put("size", 3000L));
      assertThat(attachments.getJsonObject(1).getString("filename")).isEqualTo("logo.png");
      assertThat(attachments.getJsonObject(1).getString("contentId")).isEqualTo("logo@x");
      assertThat(attachments.getJsonObject(1).getLong("size")).isEqualTo(3);
      assertThat(attachments.getJsonObject(2).getString("mediaType")).isEqualTo("text/plain");
      assertThat(attachments.getJsonObject(3).getString("mediaType")).isEqualTo("message/rfc822");
      // A part without a name gets one, so that it can always be listed and saved.
      assertThat(attachments.getJsonObject(3).getString("filename")).isEqualTo("message-4.eml");
      assertThat(MessageParser.summary(nested()).getInteger("attachments")).isEqualTo(4);
      assertThat(new String(MessageParser.attachment(nested(), 2).bytes(), StandardCharsets.UTF_8))
          .isEqualTo("a text file");
    }

    @Test
    @DisplayName("give null for an attachment that does not exist")
    void missing() {
      assertThat(MessageParser.attachment(nested(), 4)).isNull();
      assertThat(MessageParser.attachment(nested(), -1)).isNull();
      assertThat(MessageParser.attachment(mail("Subject: x", "", "text"), 0)).isNull();
    }

    @Test
    @DisplayName("decode RFC 2231 and RFC 2047 filenames and drop their paths")
    void filenames() {
      byte[] raw =
          mail(
              "Content-Type: multipart/mixed; boundary=b",
              "",
              "--b",
              "Content-Type: application/pdf",
              "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf",
              "",
              "x",
              "--b",
              "Content-Type: application/pdf; name=\"=?UTF-8?B?" + b64("Grüße.pdf") + "?=\"",
              "",
              "y",
              "--b",
              "Content-Type: application/octet-stream",
              "Content-Disposition: attachment; filename=\"../../etc/passwd\"",
              "",
              "z",
              "--b--");
      JsonArray attachments = MessageParser.parse(raw).getJsonArray("attachments");
      assertThat(attachments.getJsonObject(0).getString("filename")).isEqualTo("Rechnung März.pdf");
      assertThat(attachments.getJsonObject(1).getString("filename")).isEqualTo("Grüße.pdf");
      assertThat(attachments.getJsonObject(2).getString("filename")).isEqualTo("passwd");
    }

    @Test
    @DisplayName("count a single-part message that is not text as one attachment")
    void singlePartBinary() {
      byte[] raw =
          mail(
              "Content-Type: application/pdf",
              "Content-Transfer-Encoding: base64",
              "",
              Base64.getEncoder().encodeToString("%PDF-1.4".getBytes(StandardCharsets.US_ASCII)));
      assertThat(MessageParser.summary(raw).getInteger("attachments")).isEqualTo(1);
      assertThat(MessageParser.searchText(raw)).isEmpty();
      assertThat(MessageParser.attachment(raw, 0).bytes())
          .isEqualTo("%PDF-1.4".getBytes(StandardCharsets.US_ASCII));
    }
  }

  @Nested
  @DisplayName("HTML for display")
  class Html {

    private String sanitized(String html) {
      return MessageParser.parse(mail("Content-Type: text/html", "", html)).getString("html");
    }

    @Test
    @DisplayName("loses scripts, event handlers and javascript: links")
    void scripts() {
      String html =
          sanitized(
              "<p onclick=\"steal()\">hi</p><script>steal()</script>"
                  + "<a href=\"javascript:steal()\">click</a><img src=x onerror=steal()>"
                  + "<iframe src=\"https://evil.example\"></iframe>"
                  + "<form action=\"https://evil.example\"><input name=p></form>");
      assertThat(html).contains("hi", "click");
      assertThat(html.toLowerCase())
          .doesNotContain(
              "script", "onclick", "javascript", "steal", "onerror", "iframe", "form", "input");
    }

    @Test
    @DisplayName("loses remote images, so that opening a message fetches nothing")
    void remoteImages() {
      String html =
          sanitized(
              "<img src=\"https://tracker.example/pixel.gif\" alt=\"pixel\">"
                  + "<img src=\"//tracker.example/p2\"><img src=\"tracker.gif\">"
                  + "<div style=\"background-image:url(https://tracker.example/bg)\">x</div>"
                  + "<table background=\"https://tracker.example/t\"><tr><td>cell</td></tr></table>"
                  + "<style>body{background:url(https://tracker.example/css)}</style>");
      assertThat(html).doesNotContain("tracker").contains("cell", "x");
    }

    @Test
    @DisplayName("keeps formatting, tables, inline images and web links with rel=nofollow")
    void keeps() {
      String html =
          sanitized(
              "<p style=\"color: red; text-align: center\"><b>bold</b> <i>it</i></p>"
                  + "<table border=\"1\"><tr><td colspan=\"2\">cell</td></tr></table>"
                  + "<img src=\"cid:logo@x\" alt=\"logo\">"
                  + "<a href=\"https://example.org/page\">link</a>"
                  + "<a href=\"mailto:a@example.org\">mail</a>");
      assertThat(html)
          .contains("<b>bold</b>", "<i>it</i>", "color:red", "<td colspan=\"2\">cell</td>")
          .contains("src=\"cid:logo&#64;x\"")
          .contains("href=\"https://example.org/page\"")
          .contains("href=\"mailto:a&#64;example.org\"")
          .contains("nofollow");
    }
  }

  @Nested
  @DisplayName("hostile input")
  class Hostile {

    @Test
    @DisplayName("garbage bytes give a summary with the size and do not throw")
    void garbage() {
      byte[] garbage = randomBytes(1_000_000, 42);
      assertTimeoutPreemptively(
          Duration.ofSeconds(20),
          () -> {
            JsonObject summary = MessageParser.summary(garbage);
            assertThat(summary.getInteger("size")).isEqualTo(garbage.length);
            assertThat(summary.getString("snippet").length()).isLessThanOrEqualTo(200);
            assertThat(MessageParser.searchText(garbage).length()).isLessThanOrEqualTo(1024 * 1024);
            JsonObject parsed = MessageParser.parse(garbage);
            assertThat(parsed.getInteger("size")).isEqualTo(garbage.length);
            MessageParser.attachment(garbage, 0);
          });
    }

    @Test
    @DisplayName("null and empty input give an empty summary")
    void empty() {
      for (byte[] raw : List.of(new byte[0])) {
        JsonObject summary = MessageParser.summary(raw);
        assertThat(summary.getInteger("size")).isZero();
        assertThat(summary.getString("subject")).isNull();
        assertThat(summary.getString("snippet")).isEmpty();
        assertThat(MessageParser.searchText(raw)).isEmpty();
      }
      assertThat(MessageParser.summary(null).getInteger("size")).isZero();
      assertThat(MessageParser.parse(null).getJsonArray("headers")).isEmpty();
    }

    @Test
    @DisplayName("a 10 MB line in the headers neither throws nor takes long")
    void longHeaderLine() {
      byte[] raw = ("Subject: " + "x".repeat(10_000_000) + "\r\n\r\nbody\r\n").getBytes();
      assertTimeoutPreemptively(
          Duration.ofSeconds(10),
          () -> {
            JsonObject summary = MessageParser.summary(raw);
            assertThat(summary.getInteger("size")).isEqualTo(raw.length);
            assertThat(MessageParser.parse(raw).getInteger("size")).isEqualTo(raw.length);
          });
    }

    @Test
    @DisplayName("a 10 MB line in the body neither throws nor takes long, and the text is capped")
    void longBodyLine() {
      byte[] raw =
          ("Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                  + "Content-Type: text/html\r\n\r\n<p>"
                  + "y".repeat(10_000_000)
                  + "</p>\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                  + "z".repeat(10_000_000)
                  + "\r\n--b--\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      assertTimeoutPreemptively(
          Duration.ofSeconds(15),
          () -> {
            JsonObject summary = MessageParser.summary(raw);
            assertThat(summary.getString("subject")).isEqualTo("big");
            assertThat(summary.getString("snippet")).startsWith("zzz");
            assertThat(MessageParser.searchText(raw).length()).isEqualTo(1024 * 1024);
            JsonObject parsed = MessageParser.parse(raw);
            assertThat(parsed.getString("text").length()).isEqualTo(1024 * 1024);
            assertThat(parsed.getString("html").length()).isLessThanOrEqualTo(3 * 1024 * 1024);
          });
    }

    @Test
    @DisplayName("a message cut off inside a multipart keeps its headers and what came before")
    void truncated() {
      byte[] raw =
          mail(
              "Subject: cut",
              "Content-Type: multipart/mixed; boundary=b",
              "",
              "--b",
              "Content-Type: text/plain",
              "",
              "first part",
              "--b",
              "Content-Type: application/zip",
              "Content-Transfer-Encoding: base64",
              "",
              "UEsDBBQAAAAI");
      JsonObject parsed = MessageParser.parse(raw);
      assertThat(parsed.getString("subject")).isEqualTo("cut");
      assertThat(parsed.getString("text")).isEqualTo("first part");
      assertThat(parsed.getJsonArray("attachments").size()).isEqualTo(1);
    }

    @Test
    @DisplayName("deeply nested multiparts do not overflow the stack")
    void deepNesting() {
      StringBuilder raw = new StringBuilder("Subject: deep\r\n");
      int depth = 5000;
      for (int i = 0; i < depth; i++) {
        raw.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n");
        raw.append("--b").append(i).append("\r\n");
      }
      raw.append("Content-Type: text/plain\r\n\r\ndeep text\r\n");
      byte[] bytes = raw.toString().getBytes(StandardCharsets.US_ASCII);
      assertTimeoutPreemptively(
          Duration.ofSeconds(20),
          () -> assertThat(MessageParser.summary(bytes).getString("subject")).isEqualTo("deep"));
    }
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
