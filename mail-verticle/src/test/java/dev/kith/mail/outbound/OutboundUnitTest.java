package dev.kith.mail.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.kith.mesh.testing.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The outbound sender's parts that need no mesh: its SMTP client, backoff and notices. */
@ExtendWith(VertxExtension.class)
class OutboundUnitTest {

  private static final String EIGHT_BIT =
      "From: alice@example.org\r\n"
          + "To: bob@example.net\r\n"
          + "Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\r\n"
          + "Message-ID: <unit-1@example.org>\r\n"
          + "Content-Type: text/plain; charset=utf-8\r\n"
          + "Content-Transfer-Encoding: 8bit\r\n"
          + "\r\n"
          + "Grüße, a line that is much longer than seventy-six characters, which a MIME encoder"
          + " would fold or quote\r\n"
          + ".a line that starts with a dot\r\n"
          + "..and one with two\r\n";

  @Test
  @DisplayName("DATA bytes: CRLF line ends, leading dots doubled, a final CRLF; nothing else")
  void dataBytes() {
    String out =
        OutboundSmtp.dataBytes("a\n.b\r\n..c\rd".getBytes(StandardCharsets.ISO_8859_1))
            .toString(StandardCharsets.ISO_8859_1);
    assertThat(out).isEqualTo("a\r\n..b\r\n...c\r\nd\r\n");
  }

  @Test
  @DisplayName("Retries wait the first delay, doubling per attempt, never more than an hour")
  void backoff() {
    assertThat(OutboundInstance.backoff(200, 1)).isEqualTo(200);
    assertThat(OutboundInstance.backoff(200, 2)).isEqualTo(400);
    assertThat(OutboundInstance.backoff(200, 5)).isEqualTo(3_200);
    assertThat(OutboundInstance.backoff(60_000, 7)).isEqualTo(3_600_000);
    assertThat(OutboundInstance.backoff(60_000, 500)).isEqualTo(3_600_000);
  }

  @Test
  @DisplayName("Mail expires mail-expiry-hours after it was queued (120 h: five days)")
  void expiry() {
    long created = 1_000_000;
    assertThat(OutboundInstance.expired(created, created + 120 * 3_600_000L - 1, 120)).isFalse();
    assertThat(OutboundInstance.expired(created, created + 120 * 3_600_000L, 120)).isTrue();
  }

  @Test
  @DisplayName("A DSN is an RFC 3464 report with the remote's status and the original's headers")
  void dsn() {
    Bounce.Failed f =
        new Bounce.Failed(
            "example.org",
            "alice@example.org",
            "bob@example.net",
            "unit-1@example.org",
            0,
            1_000,
            "mx.example.net",
            "mx.example.net answered RCPT TO with 550 5.1.1 <bob@example.net>: no such user",
            false);
    String dsn =
        new String(
            Bounce.dsn(f, EIGHT_BIT.getBytes(StandardCharsets.UTF_8), "b1"),
            StandardCharsets.UTF_8);
    assertThat(dsn)
        .contains("Content-Type: multipart/report; report-type=delivery-status;")
        .contains("Content-Type: message/delivery-status")
        .contains("Final-Recipient: rfc822; bob@example.net")
        .contains("Action: failed")
        .contains("Status: 5.1.1")
        .contains("Remote-MTA: dns; mx.example.net")
        .contains("In-Reply-To: <unit-1@example.org>")
        .contains("Content-Type: text/rfc822-headers")
        .contains("Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=")
        .doesNotContain("Grüße, a line");
    Bounce.Failed expired =
        new Bounce.Failed("example.org", "a@example.org", "b@x", null, 0, 1, null, "451", true);
    assertThat(Bounce.status(expired)).isEqualTo("4.4.7");
  }

  @Test
  @DisplayName("The client sends the stored bytes unchanged, 8-bit and long lines included")
  void sendsBytesUnchanged(Vertx vertx, VertxTestContext test) throws Exception {
    int port = FreePorts.next();
    OutboundTestRelay relay = new OutboundTestRelay(port, 0);
    OutboundSmtp smtp = new OutboundSmtp(vertx, "example.org");
    AtomicBoolean committed = new AtomicBoolean();
    smtp.send(
            new OutboundSmtp.Target("127.0.0.1", port, "none", null, null),
            "alice@example.org",
            "bob@example.net",
            EIGHT_BIT.getBytes(StandardCharsets.UTF_8),
            () -> {
              committed.set(true);
              return Future.succeededFuture();
            })
        .onComplete(
            test.succeeding(
                reply ->
                    test.verify(
                        () -> {
                          assertThat(reply).startsWith("250");
                          assertThat(committed).isTrue();
                          assertThat(relay.received()).hasSize(1);
                          assertThat(relay.received().get(0).data())
                              .isEqualTo(EIGHT_BIT.getBytes(StandardCharsets.UTF_8));
                          relay.close();
                          test.completeNow();
                        })));
  }

  @Test
  @DisplayName("A 550 is a permanent failure before the commit; a refused connection, temporary")
  void failures(Vertx vertx, VertxTestContext test) throws Exception {
    int port = FreePorts.next();
    OutboundTestRelay relay = new OutboundTestRelay(port, 0);
    OutboundSmtp smtp = new OutboundSmtp(vertx, "example.org");
    byte[] raw = EIGHT_BIT.getBytes(StandardCharsets.UTF_8);
    smtp.send(
            new OutboundSmtp.Target("127.0.0.1", port, "none", null, null),
            "alice@example.org",
            "reject@example.net",
            raw,
            Future::succeededFuture)
        .recover(
            e -> {
              test.verify(
                  () -> {
                    OutboundSmtp.Failure f = (OutboundSmtp.Failure) e;
                    assertThat(f.code).isEqualTo(550);
                    assertThat(f.permanent).isTrue();
                    assertThat(f.committed).isFalse();
                  });
              closeQuietly(relay);
              return smtp.send(
                  new OutboundSmtp.Target("127.0.0.1", FreePorts.next(), "none", null, null),
                  "alice@example.org",
                  "bob@example.net",
                  raw,
                  Future::succeededFuture);
            })
        .onComplete(
            test.failing(
                e ->
                    test.verify(
                        () -> {
                          OutboundSmtp.Failure f = (OutboundSmtp.Failure) e;
                          assertThat(f.permanent).isFalse();
                          assertThat(f.committed).isFalse();
                          test.completeNow();
                        })));
  }

  @Test
  @DisplayName("With a relay login, AUTH succeeds; a refused login is temporary (the settings)")
  void relayLogin(Vertx vertx, VertxTestContext test) {
    int port = FreePorts.next();
    GreenMail relay =
        new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
            .withConfiguration(GreenMailConfiguration.aConfig().withUser("kith", "s3cret"));
    relay.start();
    OutboundSmtp smtp = new OutboundSmtp(vertx, "example.org");
    byte[] raw = EIGHT_BIT.getBytes(StandardCharsets.UTF_8);
    smtp.send(
            new OutboundSmtp.Target("127.0.0.1", port, "none", "kith", "s3cret"),
            "alice@example.org",
            "bob@example.net",
            raw,
            Future::succeededFuture)
        .compose(
            reply -> {
              test.verify(() -> assertThat(relay.getReceivedMessages()).hasSize(1));
              return smtp.send(
                  new OutboundSmtp.Target("127.0.0.1", port, "none", "kith", "wrong"),
                  "alice@example.org",
                  "bob@example.net",
                  raw,
                  Future::succeededFuture);
            })
        .onComplete(
            test.failing(
                e ->
                    test.verify(
                        () -> {
                          relay.stop();
                          OutboundSmtp.Failure f = (OutboundSmtp.Failure) e;
                          assertThat(f.permanent).as(f.getMessage()).isFalse();
                          assertThat(f.getMessage()).contains("mail-relay-password");
                          test.completeNow();
                        })));
  }

  private static void closeQuietly(OutboundTestRelay relay) {
    try {
      relay.close();
    } catch (java.io.IOException e) {
      // closing a test server
    }
  }
}
