package dev.kith.mail.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mail.mime.MessageParser;
import dev.kith.mesh.vault.Version;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A mailbox index entry: what it keeps of a message record, and how small it is. */
class IndexedTest {

  private static JsonObject record(String text) {
    String raw =
        "From: Dave <dave@elsewhere.test>\r\nTo: alice@example.org\r\nSubject: Quarterly report"
            + "\r\nMessage-ID: <r1@elsewhere.test>\r\nReferences: <root@elsewhere.test>\r\n\r\n"
            + "the numbers are in\r\n".repeat(200);
    JsonObject r =
        MessageParser.summary(raw.getBytes(StandardCharsets.US_ASCII))
            .put("id", "0123456789abcdef0123456789abcdef")
            .put("box", "INBOX")
            .put("uid", 7L)
            .put("modseq", 12L)
            .put("flags", new JsonArray().add("seen").add("flagged"))
            .put("keywords", new JsonArray().add("$Forwarded"))
            .put("received", 1_796_000_000_000L);
    return text == null ? r : r.put("text", text);
  }

  @Test
  @DisplayName("keeps the record without the text that older records carry, and its fields beside")
  void keepsTheRecordWithoutText() {
    JsonObject old = record("the numbers are in ".repeat(200));
    Indexed m = Indexed.of(old, new Version(3, 99, "d1.alice"), "INBOX");

    assertThat(old.containsKey("text")).as("the caller's record is left alone").isTrue();
    JsonObject kept = m.value();
    assertThat(kept.containsKey("text")).isFalse();
    assertThat(kept.getString("subject")).isEqualTo("Quarterly report");
    assertThat(kept.getString("snippet")).startsWith("the numbers are in");
    kept.put("uid", 8L);
    assertThat(m.value().getLong("uid")).as("each value() is a fresh copy").isEqualTo(7L);

    assertThat(m.id()).isEqualTo("0123456789abcdef0123456789abcdef");
    assertThat(m.box()).isEqualTo("INBOX");
    assertThat(m.uid()).isEqualTo(7L);
    assertThat(m.modseq()).isEqualTo(12L);
    assertThat(m.received()).isEqualTo(1_796_000_000_000L);
    assertThat(m.size()).isEqualTo(old.getLong("size"));
    assertThat(m.hasFlag("seen")).isTrue();
    assertThat(m.hasFlag("flagged")).isTrue();
    assertThat(m.hasFlag("deleted")).isFalse();
    assertThat(m.hasKeywords()).isTrue();
    assertThat(m.inThread("root@elsewhere.test")).isTrue();
    assertThat(m.inThread("other@elsewhere.test")).isFalse();
    assertThat(m.version()).isEqualTo(new Version(3, 99, "d1.alice"));
    assertThatThrownBy(() -> m.hasFlag("$Forwarded")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a record from before modification sequences counts as modseq 1")
  void defaults() {
    JsonObject r = record(null);
    r.remove("modseq");
    r.remove("keywords");
    Indexed m = Indexed.of(r, new Version(1, 1, "d1.alice"), "INBOX");
    assertThat(m.modseq()).isEqualTo(1L);
    assertThat(m.hasKeywords()).isFalse();
  }

  @Test
  @DisplayName("an entry for a 4 KB message keeps about 1 KB, a fifth of the record with its text")
  void small() {
    JsonObject r = record(null);
    int withText = record("the numbers are in\n".repeat(215)).encode().length();
    int kept = Indexed.of(r, new Version(1, 1, "d1.alice"), "INBOX").value().encode().length();
    assertThat(kept).isLessThan(1024).isLessThan(withText / 4);
  }
}
