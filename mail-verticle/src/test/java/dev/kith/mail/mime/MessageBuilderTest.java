package dev.kith.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The message builder")
class MessageBuilderTest {

  private static final String FROM = "Alice Example <alice@kith.example>";
  private static final Instant DATE = Instant.parse("2026-11-27T16:49:21Z");

  private static JsonObject request() {
    return new JsonObject()
        .put("to", new JsonArray().add("Bob <bob@example.org>"))
        .put("subject", "Hello")
        .put("text", "Hi Bob");
  }

  private static byte[] compose(JsonObject request) {
    return MessageBuilder.compose(request, FROM, "id1@kith.example", DATE);
  }

  private static String ascii(byte[] raw) {
    return new String(raw, StandardCharsets.ISO_8859_1);
  }

  /** The header block of a message, unfolded. */
  private static String headers(byte[] raw) {
    String text = ascii(raw);
    return text.substring(0, text.indexOf("\r\n\r\n") + 2).replace("\r\n ", " ");
  }

  @Nested
  @DisplayName("composes a message that reads back")
  class RoundTrip {

    @Test
    @DisplayName("with an umlaut subject, names, text and an attachment byte for byte")
    void roundTrip() {
      byte[] payload = MessageParserTest.randomBytes(100_000, 3);
      JsonObject request =
          new JsonObject()
              .put("to", new JsonArray().add("Jürgen Müller <juergen@example.de>"))
              .put("cc", new JsonArray().add("carol@EXAMPLE.org"))
              .put("subject", "Grüße aus München – schöne Äpfel")
              .put("text", "Hallo Jürgen,\nanbei die Datei.\n\n-- \nAlice")
              .put(
                  "attachments",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("filename", "Übersicht März.bin")
                              .put("mediaType", "application/octet-stream")
                              .put("base64", Base64.getEncoder().encodeToString(payload))));
      byte[] raw = compose(request);

      JsonObject parsed = MessageParser.parse(raw);
      assertThat(parsed.getString("subject")).isEqualTo("Grüße aus München – schöne Äpfel");
      assertThat(parsed.getJsonArray("from").getList())
          .containsExactly("Alice Example <alice@kith.example>");
      assertThat(parsed.getJsonArray("to").getList())
          .containsExactly("Jürgen Müller <juergen@example.de>");
      assertThat(parsed.getJsonArray("cc").getList()).containsExactly("carol@example.org");
      assertThat(parsed.getString("text"))
          .isEqualTo("Hallo Jürgen,\nanbei die Datei.\n\n-- \nAlice");
      assertThat(parsed.getString("messageId")).isEqualTo("id1@kith.example");
      assertThat(parsed.getLong("date")).isEqualTo(DATE.toEpochMilli());
      assertThat(parsed.getJsonArray("attachments").getJsonObject(0).getString("filename"))
          .isEqualTo("Übersicht März.bin");

      MessageParser.Attachment attachment = MessageParser.attachment(raw, 0);
      assertThat(attachment.bytes()).isEqualTo(payload);
      assertThat(attachment.mediaType()).isEqualTo("application/octet-stream");
    }

    @Test
    @DisplayName("as seven-bit text with CRLF line ends, short lines and encoded non-ASCII headers")
    void wireFormat() {
      JsonObject request =
          request()
              .put("subject", "Grüße " + "lang ".repeat(60))
              .put("text", "ä".repeat(500) + "\n" + "x".repeat(300) + "   \n.leading dot");
      byte[] raw = compose(request);
      for (byte b : raw) {
        assertThat(b & 0xff).isLessThan(0x80);
      }
      String text = ascii(raw);
      assertThat(text.replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
      for (String line : text.split("\r\n")) {
        assertThat(line.length()).isLessThanOrEqualTo(78);
      }
      assertThat(headers(raw)).contains("Subject: =?UTF-8?B?").doesNotContain("Grüße");
      assertThat(headers(raw))
          .contains("MIME-Version: 1.0")
          .contains("Date: Fri, 27 Nov 2026 16:49:21 +0000")
          .contains("Message-ID: <id1@kith.example>")
          .contains("Content-Type: text/plain; charset=UTF-8")
          .contains("Content-Transfer-Encoding: quoted-printable");
      // Quoted-printable text decodes to what was sent, trailing spaces included.
      assertThat(MessageParser.parse(raw).getString("text"))
          .isEqualTo("ä".repeat(500) + "\n" + "x".repeat(300) + "   \n.leading dot");
      assertThat(MessageParser.parse(raw).getString("subject"))
          .isEqualTo("Grüße " + "lang ".repeat(60).strip());
    }

    @Test
    @DisplayName("as multipart/alternative when there is HTML")
    void html() {
      byte[] raw = compose(request().put("html", "<p>Hi <b>Bob</b></p>"));
      assertThat(headers(raw)).contains("Content-Type: multipart/alternative;");
      JsonObject parsed = MessageParser.parse(raw);
      assertThat(parsed.getString("text")).isEqualTo("Hi Bob");
      assertThat(parsed.getString("html")).isEqualTo("<p>Hi <b>Bob</b></p>");
      assertThat(parsed.getJsonArray("attachments")).isEmpty();
    }

    @Test
    @DisplayName("with a text part made from the HTML when only HTML is given")
    void htmlOnly() {
      JsonObject request = request().put("html", "<p>Only&nbsp;<i>html</i></p>");
      request.remove("text");
      assertThat(MessageParser.parse(compose(request)).getString("text")).isEqualTo("Only html");
    }

    @Test
    @DisplayName("with In-Reply-To and References, so that it joins the thread")
    void thread() {
      byte[] raw =
          compose(
              request()
                  .put("inReplyTo", "<b@x>")
                  .put("references", new JsonArray().add("<a@x>").add("b@x")));
      assertThat(headers(raw)).contains("In-Reply-To: <b@x>").contains("References: <a@x> <b@x>");
      JsonObject summary = MessageParser.summary(raw);
      assertThat(summary.getString("thread")).isEqualTo("a@x");
      assertThat(summary.getString("inReplyTo")).isEqualTo("b@x");
    }

    @Test
    @DisplayName("with html and attachments as mixed around alternative")
    void mixed() {
      JsonObject request =
          request()
              .put("html", "<p>Hi</p>")
              .put(
                  "attachments",
                  new JsonArray()
                      .add(attachment("a.txt", "text/plain", "one".getBytes()))
                      .add(attachment("b.png", "image/png", new byte[] {(byte) 0x89, 'P'})));
      byte[] raw = compose(request);
      assertThat(headers(raw)).contains("Content-Type: multipart/mixed;");
      JsonObject parsed = MessageParser.parse(raw);
      assertThat(parsed.getString("text")).isEqualTo("Hi Bob");
      assertThat(parsed.getString("html")).isEqualTo("<p>Hi</p>");
      JsonArray attachments = parsed.getJsonArray("attachments");
      assertThat(attachments.size()).isEqualTo(2);
      assertThat(attachments.getJsonObject(0).getString("mediaType")).isEqualTo("text/plain");
      assertThat(attachments.getJsonObject(1).getString("filename")).isEqualTo("b.png");
      assertThat(MessageParser.attachment(raw, 1).bytes()).isEqualTo(new byte[] {(byte) 0x89, 'P'});
    }
  }

  @Nested
  @DisplayName("keeps Bcc secret")
  class Bcc {

    @Test
    @DisplayName("by writing no Bcc header, while the envelope includes the Bcc recipients")
    void bccAbsent() {
      JsonObject request =
          request()
              .put("cc", new JsonArray().add("carol@example.org"))
              .put("bcc", new JsonArray().add("Secret <secret@hidden.example>"));
      byte[] raw = compose(request);
      assertThat(ascii(raw).toLowerCase()).doesNotContain("bcc").doesNotContain("secret");
      assertThat(
              MessageParser.parse(raw).getJsonArray("headers").stream()
                  .map(h -> ((JsonObject) h).getString("name").toLowerCase()))
          .doesNotContain("bcc");
      assertThat(MessageBuilder.envelopeRecipients(request))
          .containsExactly("bob@example.org", "carol@example.org", "secret@hidden.example");
    }

    @Test
    @DisplayName("and still sends mail addressed only by Bcc")
    void bccOnly() {
      JsonObject request =
          new JsonObject().put("bcc", new JsonArray().add("x@y.example")).put("text", "t");
      byte[] raw = compose(request);
      assertThat(headers(raw)).doesNotContain("To:").doesNotContain("x@y.example");
    }
  }

  @Nested
  @DisplayName("rejects")
  class Rejects {

    @ParameterizedTest
    @ValueSource(
        strings = {
          "a@b.example\r\nBcc: x@y.example",
          "a@b.example\nBcc: x@y.example",
          "a@b.example\rBcc: x@y.example",
          "Name\r\nBcc: x@y.example <a@b.example>"
        })
    @DisplayName("header injection through a recipient")
    void injectionInRecipients(String address) {
      for (String field : List.of("to", "cc", "bcc")) {
        JsonObject request = request().put(field, new JsonArray().add(address));
        assertThatThrownBy(() -> compose(request))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(field);
      }
    }

    @Test
    @DisplayName("header injection through the subject, In-Reply-To, References and sender")
    void injectionElsewhere() {
      assertThatThrownBy(() -> compose(request().put("subject", "Hi\r\nBcc: x@y.example")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("subject");
      assertThatThrownBy(() -> compose(request().put("inReplyTo", "<a@b>\r\nBcc: x@y.example")))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(
              () -> compose(request().put("references", new JsonArray().add("<a@b>\nBcc: x@y"))))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(
              () -> MessageBuilder.compose(request(), "a@b.example\r\nBcc: x@y", "i@d", DATE))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(
              () -> MessageBuilder.compose(request(), FROM, "i@d>\r\nBcc: x@y.example", DATE))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("nothing through an attachment's filename or media type")
    void attachmentHeaders() {
      JsonObject request =
          request()
              .put(
                  "attachments",
                  new JsonArray()
                      .add(
                          attachment(
                              "x\r\nBcc: evil@y.example\r\n\"../a.txt",
                              "text/plain\r\nBcc: evil@y.example",
                              "a".getBytes())));
      byte[] raw = compose(request);
      assertThat(ascii(raw)).doesNotContain("\r\nBcc:").doesNotContain("evil@y.example\r\n");
      JsonObject parsed = MessageParser.parse(raw);
      assertThat(
              parsed.getJsonArray("headers").stream()
                  .map(h -> ((JsonObject) h).getString("name").toLowerCase()))
          .doesNotContain("bcc");
      JsonObject listed = parsed.getJsonArray("attachments").getJsonObject(0);
      assertThat(listed.getString("mediaType")).isEqualTo("application/octet-stream");
      assertThat(listed.getString("filename")).doesNotContain("/", "\"", "\r", "\n");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "not-an-address",
          "a@",
          "@b.example",
          "a b@c.example",
          "a@b..example",
          "a..b@c.example",
          "a@-b.example",
          "<>",
          "Name <>",
          "a@b.example, c@d.example"
        })
    @DisplayName("an invalid address")
    void invalidAddress(String address) {
      JsonObject request = request().put("to", new JsonArray().add(address));
      assertThatThrownBy(() -> compose(request))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("to:");
    }

    @Test
    @DisplayName("a request without recipients")
    void noRecipients() {
      JsonObject request = request();
      request.remove("to");
      assertThatThrownBy(() -> compose(request))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("recipient");
      assertThatThrownBy(() -> compose(request.put("to", new JsonArray())))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("more than 100 recipients, but not 100")
    void tooManyRecipients() {
      JsonArray to = new JsonArray();
      JsonArray bcc = new JsonArray();
      for (int i = 0; i < 50; i++) {
        to.add("to" + i + "@example.org");
        bcc.add("bcc" + i + "@example.org");
      }
      assertThat(compose(request().put("to", to).put("bcc", bcc))).isNotEmpty();
      JsonArray cc = new JsonArray().add("one@example.org");
      assertThatThrownBy(() -> compose(request().put("to", to).put("cc", cc).put("bcc", bcc)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("too many recipients");
    }

    @Test
    @DisplayName("a subject longer than 998 characters, but not one of 998")
    void longSubject() {
      assertThat(
              MessageParser.parse(compose(request().put("subject", "s".repeat(998))))
                  .getString("subject"))
          .isEqualTo("s".repeat(998));
      assertThatThrownBy(() -> compose(request().put("subject", "s".repeat(999))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("subject");
    }

    @Test
    @DisplayName("attachments over 25 MB in total")
    void largeAttachments() {
      byte[] half = new byte[13 * 1024 * 1024];
      JsonObject request =
          request()
              .put(
                  "attachments",
                  new JsonArray()
                      .add(attachment("a.bin", "application/octet-stream", half))
                      .add(attachment("b.bin", "application/octet-stream", half)));
      assertThatThrownBy(() -> compose(request))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("too large");
    }

    @Test
    @DisplayName("attachments that are not base64, and fields of the wrong type")
    void malformed() {
      assertThatThrownBy(
              () ->
                  compose(
                      request()
                          .put(
                              "attachments",
                              new JsonArray()
                                  .add(new JsonObject().put("filename", "a").put("base64", "!!")))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("base64");
      assertThatThrownBy(() -> compose(request().put("to", new JsonArray().add(42))))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> compose(request().put("subject", 42)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  @DisplayName("sanitizes attachment filenames to their last path segment")
  void filenames() {
    assertThat(MessageBuilder.safeFilename("../../etc/passwd")).isEqualTo("passwd");
    assertThat(MessageBuilder.safeFilename("C:\\Users\\x\\report.pdf")).isEqualTo("report.pdf");
    assertThat(MessageBuilder.safeFilename("a\u0000b\"c\r\n.txt")).isEqualTo("abc.txt");
    assertThat(MessageBuilder.safeFilename(".hidden")).isEqualTo("hidden");
    assertThat(MessageBuilder.safeFilename("   ")).isEqualTo("attachment");
    assertThat(MessageBuilder.safeFilename(null)).isEqualTo("attachment");
    assertThat(MessageBuilder.safeFilename("x".repeat(400)).length()).isEqualTo(255);
  }

  @Test
  @DisplayName("gives envelope recipients as bare addresses with lower-case domains, each once")
  void envelope() {
    JsonObject request =
        new JsonObject()
            .put("to", new JsonArray().add("Bob <Bob@Example.ORG>").add("dup@x.example"))
            .put("cc", new JsonArray().add("\"Doe, J\" <j@Bücher.example>"))
            .put("bcc", new JsonArray().add("DUP@X.example").add("dup@X.EXAMPLE"));
    assertThat(MessageBuilder.envelopeRecipients(request))
        .containsExactly(
            "Bob@example.org", "dup@x.example", "j@xn--bcher-kva.example", "DUP@x.example");
  }

  @Test
  @DisplayName("makes unique Message-IDs without brackets in the given domain")
  void messageIds() {
    Set<String> ids = new HashSet<>();
    List<String> list = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String id = MessageBuilder.newMessageId("Kith.Example");
      ids.add(id);
      list.add(id);
    }
    assertThat(ids).hasSize(1000);
    assertThat(list.get(0)).matches("[0-9a-z]+\\.[0-9a-f]{32}@kith\\.example");
    assertThatThrownBy(() -> MessageBuilder.newMessageId("bad\r\ndomain"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static JsonObject attachment(String filename, String mediaType, byte[] bytes) {
    return new JsonObject()
        .put("filename", filename)
        .put("mediaType", mediaType)
        .put("base64", Base64.getEncoder().encodeToString(bytes));
  }
}
