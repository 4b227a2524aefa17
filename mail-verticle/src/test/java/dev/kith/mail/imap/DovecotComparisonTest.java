package dev.kith.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.MailTesting;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One client script ({@code imap/compare.py}, Python's imaplib) run against a private Dovecot and
 * against a Kith device: the same 23 tricky messages appended with the same flags get the same
 * UIDs, and the same FLAGS, sizes, ENVELOPE, BODY, BODYSTRUCTURE and body sections, the same
 * answers to 18 searches, the same flags after STORE and the same UIDs after EXPUNGE. The
 * differences that remain are listed in {@link #KNOWN} with the reason for each, and printed.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class DovecotComparisonTest {

  static final Path MESSAGES = Path.of("src/test/resources/imap/messages");
  static final Path SCRIPT = Path.of("src/test/resources/imap/compare.py");

  /** Answers known to differ, as {@code "file item"}, and why. */
  static final Map<String, String> KNOWN =
      Map.of(
          "19-latin1-junk.eml ENVELOPE",
          "header bytes that are not UTF-8 are read as ISO-8859-1 and sent as UTF-8; Dovecot"
              + " sends the raw bytes");

  @Test
  @DisplayName("the same client script gets the same answers from Kith as from Dovecot")
  void sameAnswersAsDovecot() throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    if (!Dovecot.installed()) {
      if (ci) {
        throw new AssertionError("Dovecot is missing; .ci/run installs Debian's dovecot-imapd");
      }
      Assumptions.abort("Dovecot is not installed (Debian's dovecot-imapd)");
    }
    JsonObject dovecot;
    try (Dovecot server = Dovecot.start("alice", "dovecot-secret")) {
      dovecot = run(server.port(), "alice", "dovecot-secret");
    }
    JsonObject kith;
    try (LocalMesh mesh = LocalMesh.options().devices(1).each(MailTesting::withMail).start()) {
      DeviceProcess device = mesh.device(0);
      String password = MailTesting.password(device, "alice");
      Eventually.eventually(
          Duration.ofSeconds(60),
          () ->
              assertThat(MailTesting.call(device, "alice", "GET", "/mailboxes", null).status())
                  .isEqualTo(200));
      kith = run(MailTesting.imapPort(device), "alice", password);
    }

    assertThat(kith.getJsonArray("append")).isEqualTo(dovecot.getJsonArray("append"));
    assertThat(kith.getJsonObject("search")).isEqualTo(dovecot.getJsonObject("search"));
    assertThat(kith.getJsonArray("flags")).isEqualTo(withoutRecent(dovecot.getJsonArray("flags")));
    assertThat(kith.getJsonArray("after_expunge")).isEqualTo(dovecot.getJsonArray("after_expunge"));
    List<String> differences = new ArrayList<>();
    List<String> known = new ArrayList<>();
    JsonObject theirs = dovecot.getJsonObject("fetch");
    JsonObject ours = kith.getJsonObject("fetch");
    assertThat(ours.fieldNames()).isEqualTo(theirs.fieldNames());
    int compared = 0;
    for (String file : theirs.fieldNames()) {
      for (String item : theirs.getJsonObject(file).fieldNames()) {
        compared++;
        Object a = theirs.getJsonObject(file).getValue(item);
        Object b = ours.getJsonObject(file).getValue(item);
        if (item.equals("FLAGS")) {
          a = withoutRecentText(a);
        }
        if (!a.equals(b)) {
          String key = file + " " + item;
          String line = key + "\n  Dovecot: " + a + "\n  Kith:    " + b;
          (KNOWN.containsKey(key) ? known : differences).add(line);
        }
      }
    }
    System.out.printf(
        "[imap-dovecot] %d FETCH answers compared; %d known differences:%n%s%n",
        compared, known.size(), String.join("\n", known));
    assertThat(differences).as("answers that differ from Dovecot's").isEmpty();
  }

  private static JsonObject run(int port, String user, String password) throws Exception {
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3",
                SCRIPT.toString(),
                "127.0.0.1",
                String.valueOf(port),
                user,
                password,
                MESSAGES.toString(),
                "Compare")
            .redirectErrorStream(false)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    return new JsonObject(new String(out, StandardCharsets.UTF_8));
  }

  /** Dovecot keeps \Recent; Kith does not (RFC 9051 dropped it). */
  private static JsonArray withoutRecent(JsonArray flags) {
    JsonArray out = new JsonArray();
    for (Object o : flags) {
      JsonArray entry = (JsonArray) o;
      JsonArray names = new JsonArray();
      entry
          .getJsonArray(1)
          .forEach(
              n -> {
                if (!"\\Recent".equals(n)) {
                  names.add(n);
                }
              });
      out.add(new JsonArray().add(entry.getValue(0)).add(names));
    }
    return out;
  }

  private static Object withoutRecentText(Object answer) {
    JsonArray a = (JsonArray) answer;
    return new JsonArray()
        .add(a.getValue(0))
        .add(
            a.getString(1)
                .replace("\\Recent ", "")
                .replace(" \\Recent", "")
                .replace("\\Recent", ""));
  }
}
