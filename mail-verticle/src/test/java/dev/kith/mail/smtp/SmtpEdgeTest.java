package dev.kith.mail.smtp;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.MailTesting;
import dev.kith.mail.RawSmtp;
import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.trust.MeshTrust;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The SMTP edge of a real device process, over real sockets on loopback: the protocol, its limits
 * and what the device does when they are broken. The device runs with small limits (2 MiB messages,
 * 5 recipients, 50 connections, 5 s idle, a 10 s login lockout) so that breaking them is cheap.
 */
@DisplayName("The SMTP edge")
@ExtendWith(DeviceLogs.class)
class SmtpEdgeTest {

  private static final long MAX_BYTES = 2 * 1024 * 1024;
  private static final int MAX_RECIPIENTS = 5;
  private static final int MAX_CONNECTIONS = 50;
  private static final int IDLE_SECONDS = 5;
  private static final int LOCKOUT_SECONDS = 10;

  private static LocalMesh mesh;
  private static DeviceProcess device;
  private static int smtpPort;
  private static String url;
  private static String alicePassword;

  @BeforeAll
  static void startDevice() throws IOException {
    smtpPort = FreePorts.next();
    // A certificate for STARTTLS, made the way a mesh makes a device's.
    Path tlsHome = Files.createDirectories(Path.of("target", "smtp-tls-" + UUID.randomUUID()));
    MeshTrust.createMesh(tlsHome, "smtp-tls", "mx.alice", List.of("127.0.0.1"));
    Path cert = MeshTrust.folder(tlsHome).resolve("device.pem").toAbsolutePath();
    Path key = MeshTrust.folder(tlsHome).resolve("device.key").toAbsolutePath();
    mesh =
        LocalMesh.options()
            .names("d1.alice")
            .each(
                b ->
                    b.flag("smtp-port", String.valueOf(smtpPort))
                        .flag("mail-domain", "example.org")
                        .flag("smtp-max-message-bytes", String.valueOf(MAX_BYTES))
                        .flag("smtp-max-recipients", String.valueOf(MAX_RECIPIENTS))
                        .flag("smtp-max-connections", String.valueOf(MAX_CONNECTIONS))
                        .flag("smtp-idle-seconds", String.valueOf(IDLE_SECONDS))
                        .flag("login-lockout-seconds", String.valueOf(LOCKOUT_SECONDS))
                        .flag("smtp-cert", cert.toString())
                        .flag("smtp-key", key.toString()))
            .start();
    device = mesh.device(0).awaitReady(LocalMesh.START_TIMEOUT);
    url = device.httpUrl();
    String operator = Credentials.operatorToken(device.home()).orElseThrow();
    // Creates alice's account, the way an administrator would.
    assertThat(Credentials.ownerToken(url, device.home(), operator, "alice")).isPresent();
    alicePassword = dev.kith.mail.MailTesting.password(device, "alice");
    // Alice's mailbox is placed by the controller shortly after the device is ready; the tests
    // that expect a 250 need it running.
    String token = aliceToken();
    eventually(
        LocalMesh.START_TIMEOUT,
        () ->
            assertThat(
                    Http.raw(
                            "GET",
                            url + "/api/mail/mailboxes",
                            null,
                            "Authorization",
                            "Bearer " + token)
                        .status())
                .isEqualTo(200));
  }

  @AfterAll
  static void stopDevice() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @DisplayName("greets, and EHLO lists SIZE, 8BITMIME, PIPELINING, ENHANCEDSTATUSCODES and AUTH")
  void ehloListsExtensions() throws IOException {
    try (Dialogue smtp = Dialogue.open(smtpPort)) {
      assertThat(smtp.greeting()).startsWith("220 ");
      String ehlo = smtp.command("EHLO client.test");
      assertThat(ehlo)
          .contains("250-PIPELINING", "250-SIZE " + MAX_BYTES, "250-8BITMIME")
          .contains("ENHANCEDSTATUSCODES")
          // A certificate is configured; a loopback connection may authenticate without TLS.
          .contains("250-STARTTLS", "AUTH PLAIN LOGIN")
          .doesNotContain("CHUNKING", "SMTPUTF8");
      assertThat(smtp.command("QUIT")).startsWith("221 2.0.0");
    }
  }

  @Test
  @DisplayName("refuses to relay to another domain without AUTH: 550 5.7.1")
  void refusesRelay() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("MAIL FROM:<someone@remote.test>")).startsWith("250 2.0.0");
      assertThat(smtp.command("RCPT TO:<victim@elsewhere.test>"))
          .startsWith("550 5.7.1 <victim@elsewhere.test>: relaying denied");
    }
  }

  @Test
  @DisplayName("refuses an owner that does not exist in the mesh's domain: 550 5.1.1")
  void refusesUnknownUser() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.command("MAIL FROM:<someone@remote.test>");
      assertThat(smtp.command("RCPT TO:<nobody@example.org>"))
          .isEqualTo("550 5.1.1 <nobody@example.org>: no such user here");
      assertThat(smtp.command("RCPT TO:<ALICE@Example.org>")).startsWith("250 2.0.0");
    }
  }

  @Test
  @DisplayName("refuses a message over the size limit: 552 5.3.4, by SIZE or by its bytes")
  void refusesOversized() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("MAIL FROM:<someone@remote.test> SIZE=" + (MAX_BYTES + 1)))
          .startsWith("552 5.3.4");
      assertThat(smtp.command("MAIL FROM:<someone@remote.test>")).startsWith("250");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("250");
      assertThat(smtp.command("DATA")).startsWith("354");
      String line = "x".repeat(998) + "\r\n";
      smtp.write(("Subject: big\r\n\r\n" + line.repeat((int) (MAX_BYTES / line.length()) + 10)));
      assertThat(smtp.command(".")).startsWith("552 5.3.4 Message too big");
      // The session goes on.
      assertThat(smtp.command("NOOP")).startsWith("250");
    }
  }

  @Test
  @DisplayName("refuses recipients over the limit: 452 4.5.3")
  void refusesTooManyRecipients() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.command("MAIL FROM:<someone@remote.test>");
      for (int i = 0; i < MAX_RECIPIENTS; i++) {
        assertThat(smtp.command("RCPT TO:<alice+" + i + "@example.org>")).startsWith("250");
      }
      assertThat(smtp.command("RCPT TO:<alice+x@example.org>")).startsWith("452 4.5.3");
    }
  }

  @Test
  @DisplayName("answers malformed commands and addresses with 500 5.5.2 and 501")
  void answersMalformedCommands() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("FROBNICATE now")).startsWith("500 5.5.2");
      assertThat(smtp.command("MAIL FROM someone")).startsWith("501 5.5.4");
      assertThat(smtp.command("MAIL FROM:<not an address>")).startsWith("501 5.1.7");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("503 5.5.1");
      assertThat(smtp.command("DATA")).startsWith("503 5.5.1");
      assertThat(smtp.command("MAIL FROM:<someone@remote.test>")).startsWith("250");
      assertThat(smtp.command("RCPT TO:<@@bad>")).startsWith("501 5.1.3");
      assertThat(smtp.command("AUTH")).startsWith("501 5.5.4");
      assertThat(smtp.command("NOOP")).startsWith("250 2.0.0");
    }
  }

  @Test
  @DisplayName("drops a 10 MB command line (500 5.5.2) and a 10 MB message line, and keeps serving")
  void survivesHugeLines() throws Exception {
    byte[] huge = new byte[10 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 'a');

    // A 10 MB command line: the edge stops reading at 998 octets, answers and closes.
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      CompletableFuture<Void> writing = smtp.writeInBackground("NOOP ", huge);
      String reply = smtp.replyOrClosed();
      assertThat(reply).isIn("500 5.5.2 Line too long", "closed");
      assertThat(smtp.replyOrClosed()).isEqualTo("closed");
      writing.handle((v, e) -> null).get();
    }

    // A 200 KB line in a small message: read to the end and refused.
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.command("MAIL FROM:<someone@remote.test>");
      smtp.command("RCPT TO:<alice@example.org>");
      assertThat(smtp.command("DATA")).startsWith("354");
      smtp.write("Subject: long line\r\n\r\n" + "y".repeat(200 * 1024) + "\r\n");
      assertThat(smtp.command(".")).startsWith("552 5.3.4 Line too long");
    }

    // A 10 MB line in DATA: dropped as it arrives; the edge answers 552 or hangs up.
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.command("MAIL FROM:<someone@remote.test>");
      smtp.command("RCPT TO:<alice@example.org>");
      assertThat(smtp.command("DATA")).startsWith("354");
      CompletableFuture<Void> writing = smtp.writeInBackground("Subject: x\r\n\r\n", huge);
      writing.handle((v, e) -> null).get();
      smtp.write("\r\n.\r\n");
      String reply = smtp.replyOrClosed();
      assertThat(reply).matches("552 5\\.3\\.4 .*|closed");
    } catch (IOException e) {
      // The edge hung up while the client still wrote: also a refusal.
    }

    // The device still serves: HTTP and a normal session.
    assertThat(Http.get(url + "/health").status()).isEqualTo(200);
    assertNormalSessionWorks();
    long heap = heapUsedBytes();
    System.out.printf("heap used after the huge lines: %d MB%n", heap / (1024 * 1024));
    // The number is printed, not bounded: heap use includes garbage not yet collected. What
    // bounds memory is structural (998-octet command lines, lines and bytes of DATA dropped past
    // their limits); the device surviving with -Xmx256m is the check.
    assertThat(device.isAlive()).isTrue();
  }

  @Test
  @DisplayName(
      "under 1000 parallel connections, serves at most the limit, answers the rest 421 4.7.0,"
          + " and serves normally afterwards")
  void boundsParallelConnections() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    int greeted = 0;
    int refused = 0;
    int other = 0;
    long start = System.nanoTime();
    try {
      for (int i = 0; i < 1000; i++) {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", smtpPort), 30_000);
        socket.setSoTimeout(30_000);
        sockets.add(socket);
      }
      long connectedMillis = (System.nanoTime() - start) / 1_000_000;
      for (Socket socket : sockets) {
        String first = firstLine(socket);
        if (first.startsWith("220 ")) {
          greeted++;
        } else if (first.startsWith("421 4.7.0")) {
          refused++;
        } else {
          other++;
        }
      }
      long answeredMillis = (System.nanoTime() - start) / 1_000_000;
      String sessions = metric("kith_smtp_sessions");
      System.out.printf(
          "1000 connections: %d greeted, %d refused 421, %d other; connected in %d ms, all"
              + " answered in %d ms; kith_smtp_sessions while held: %s%n",
          greeted, refused, other, connectedMillis, answeredMillis, sessions);
      assertThat(greeted).isBetween(1, MAX_CONNECTIONS);
      assertThat(refused).isGreaterThanOrEqualTo(1000 - MAX_CONNECTIONS);
      assertThat(greeted + refused).isEqualTo(1000);
      assertThat(Double.parseDouble(sessions)).isLessThanOrEqualTo(MAX_CONNECTIONS);
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
    assertThat(Http.get(url + "/health").status()).isEqualTo(200);
    eventually(Duration.ofSeconds(30), SmtpEdgeTest::assertNormalSessionWorks);
    eventually(
        Duration.ofSeconds(30),
        () -> assertThat(Double.parseDouble(metric("kith_smtp_sessions"))).isZero());
  }

  @Test
  @DisplayName("closes a silent connection after smtp-idle-seconds")
  void closesIdleConnections() throws IOException {
    try (Dialogue smtp = Dialogue.open(smtpPort)) {
      assertThat(smtp.greeting()).startsWith("220");
      long start = System.nanoTime();
      String reply = smtp.replyOrClosed();
      long idleMillis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("idle connection closed after %d ms: %s%n", idleMillis, reply);
      assertThat(reply).startsWith("421 4.4.2");
      assertThat(smtp.replyOrClosed()).isEqualTo("closed");
      assertThat(idleMillis).isBetween(IDLE_SECONDS * 1000L - 500, IDLE_SECONDS * 1000L + 10_000);
    }
  }

  @Test
  @DisplayName("answers 250 2.0.0 once the mailbox has filed the message (and counts it accepted)")
  void acknowledgesOnlyWhenFiled() throws IOException {
    String reply;
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.command("MAIL FROM:<someone@remote.test>");
      assertThat(smtp.command("RCPT TO:<nobody@example.org>")).startsWith("550 5.1.1");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("250");
      assertThat(smtp.command("DATA")).startsWith("354");
      smtp.write(message("<raw-" + UUID.randomUUID() + "@remote.test>", "alice@example.org"));
      reply = smtp.command(".");
    }
    assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
    assertThat(Double.parseDouble(metric("kith_mail_received_total{result=\"accepted\"")))
        .isPositive();
    assertThat(Double.parseDouble(metric("kith_mail_received_total{result=\"rejected\"")))
        .isPositive();
  }

  @Test
  @DisplayName(
      "a standard client (Angus Mail) gets 250, and the same Message-ID sent twice is filed once")
  void angusMailClientAndDuplicates() {
    String messageId = "angus-" + UUID.randomUUID() + "@remote.test";
    int first =
        MailTesting.send(
            smtpPort, "carol@remote.test", "alice@example.org", "hello", "Hi alice", messageId);
    assertThat(first).isEqualTo(250);
    int second =
        MailTesting.send(
            smtpPort, "carol@remote.test", "alice@example.org", "hello", "Hi alice", messageId);
    assertThat(second).isEqualTo(250);
    assertThat(Double.parseDouble(metric("kith_mail_received_total{result=\"duplicate\"")))
        .isPositive();
    String token = aliceToken();
    eventually(
        Duration.ofSeconds(30),
        () -> {
          Http.Response listed =
              Http.raw(
                  "GET",
                  url + "/api/mail/mailboxes/INBOX/messages?limit=200",
                  null,
                  "Authorization",
                  "Bearer " + token);
          assertThat(listed.status()).isEqualTo(200);
          long copies =
              listed.json().getJsonArray("messages").stream()
                  .map(JsonObject.class::cast)
                  .filter(m -> messageId.equals(m.getString("messageId")))
                  .count();
          assertThat(copies).isEqualTo(1);
        });
  }

  @Test
  @DisplayName(
      "AUTH on loopback: a wrong password gets 535 5.7.8 (three end the session); alice may send"
          + " only as herself, and her mail to a remote domain is kept in Sent and queued")
  void authenticatesSubmission() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("AUTH PLAIN " + plain("alice", "wrong-password-123")))
          .startsWith("535 5.7.8");
      assertThat(smtp.command("AUTH PLAIN " + plain("nobody", "wrong-password-123")))
          .startsWith("535 5.7.8");
      // The third failure in one session also ends the session.
      assertThat(smtp.command("AUTH PLAIN " + plain("alice", "wrong-password-456")))
          .startsWith("535 5.7.8");
      assertThat(smtp.replyOrClosed()).startsWith("421 4.7.0");
      assertThat(smtp.replyOrClosed()).isEqualTo("closed");
    }
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("AUTH PLAIN " + plain("alice", alicePassword)))
          .startsWith("235 2.7.0");
      assertThat(smtp.command("MAIL FROM:<bob@example.org>")).startsWith("553 5.7.1");
      assertThat(smtp.command("MAIL FROM:<alice@example.org>")).startsWith("250");
      assertThat(smtp.command("RCPT TO:<friend@remote.test>")).startsWith("250");
      assertThat(smtp.command("DATA")).startsWith("354");
      String id = "sub-" + UUID.randomUUID() + "@example.org";
      smtp.write(message("<" + id + ">", "friend@remote.test"));
      // Submission stores a copy in Sent and queues the remote recipient in the outbox.
      assertThat(smtp.command(".")).startsWith("250 2.0.0");
      String token = aliceToken();
      Http.Response sent =
          Http.raw(
              "GET",
              url + "/api/mail/mailboxes/Sent/messages?limit=200",
              null,
              "Authorization",
              "Bearer " + token);
      assertThat(sent.status()).isEqualTo(200);
      assertThat(
              sent.json().getJsonArray("messages").stream()
                  .map(JsonObject.class::cast)
                  .filter(m -> id.equals(m.getString("messageId")))
                  .count())
          .isEqualTo(1);
    }
  }

  @Test
  @DisplayName(
      "STARTTLS with the configured certificate: afterwards EHLO offers AUTH but no STARTTLS, and"
          + " replies keep their enhanced status codes")
  void startsTls() throws Exception {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("STARTTLS")).startsWith("220");
      String protocol = smtp.startTls();
      String ehlo = smtp.command("EHLO client.test");
      assertThat(ehlo).contains("250-PIPELINING", "AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
      assertThat(smtp.command("FROBNICATE")).startsWith("500 5.5.2");
      assertThat(smtp.command("AUTH PLAIN " + plain("alice", alicePassword)))
          .startsWith("235 2.7.0");
      assertThat(smtp.command("MAIL FROM:<alice@example.org>")).startsWith("250 2.0.0");
      assertThat(smtp.command("QUIT")).startsWith("221 2.0.0");
      System.out.printf("STARTTLS negotiated %s%n", protocol);
    }
  }

  @Test
  @DisplayName(
      "a device whose SMTP port is taken still starts and serves HTTP, and logs the port and cause")
  void portTakenDoesNotStopTheDevice() {
    try (LocalMesh other =
        LocalMesh.options()
            .names("d1.bob")
            .each(
                b ->
                    b.flag("smtp-port", String.valueOf(smtpPort))
                        .flag("mail-domain", "example.org"))
            .start()) {
      DeviceProcess bob = other.device(0).awaitReady(LocalMesh.START_TIMEOUT);
      assertThat(Http.get(bob.httpUrl() + "/health").status()).isEqualTo(200);
      eventually(
          Duration.ofSeconds(10),
          () ->
              assertThat(bob.logText())
                  .contains("d1.bob cannot take SMTP on port " + smtpPort + " (smtp-port)")
                  .contains("Address already in use"));
    }
    // The device that holds the port still takes mail.
    eventually(Duration.ofSeconds(10), SmtpEdgeTest::assertNormalSessionWorks);
  }

  @Test
  @DisplayName(
      "answers a command line that ends in a bare LF with 500 5.5.2 at once, and the session goes"
          + " on")
  void answersBareLfLines() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.timeoutMillis(5_000);
      String expected = "500 5.5.2 Syntax error: the line ends in a bare LF; end lines with CRLF";
      smtp.write("NOOP\n");
      assertThat(smtp.reply()).isEqualTo(expected);
      // Pipelined: each bare-LF line gets its own answer, and nothing of them runs.
      smtp.write("MAIL FROM:<someone@remote.test>\nRCPT TO:<alice@example.org>\n");
      assertThat(smtp.reply()).isEqualTo(expected);
      assertThat(smtp.reply()).isEqualTo(expected);
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("503 5.5.1");
      assertThat(smtp.command("NOOP")).isEqualTo("250 2.0.0 Ok");
    }
    assertNormalSessionWorks();
  }

  @Test
  @DisplayName(
      "refuses a message with a NUL byte (554 5.6.0) without storing it, and the session goes on")
  void refusesNul() throws IOException {
    String id = "nul-" + UUID.randomUUID() + "@remote.test";
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.command("MAIL FROM:<someone@remote.test>");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("250");
      assertThat(smtp.command("DATA")).startsWith("354");
      smtp.write(message("<" + id + ">", "alice@example.org").replace("Hello.", "Hel\0lo."));
      assertThat(smtp.command(".")).isEqualTo("554 5.6.0 Message refused: it contains NUL bytes");
      assertThat(smtp.command("NOOP")).isEqualTo("250 2.0.0 Ok");
    }
    // A message sent after it is filed, and the refused one is not.
    String after = "after-nul-" + UUID.randomUUID() + "@remote.test";
    assertThat(
            MailTesting.send(
                smtpPort, "carol@remote.test", "alice@example.org", "after", "Hi", after))
        .isEqualTo(250);
    String token = aliceToken();
    eventually(
        Duration.ofSeconds(30),
        () -> {
          List<String> ids = inboxMessageIds(token);
          assertThat(ids).contains(after).doesNotContain(id);
        });
  }

  @Test
  @DisplayName("answers MAIL, RCPT, DATA and AUTH before HELO or EHLO with 503 5.5.1")
  void needsHeloFirst() throws IOException {
    try (Dialogue smtp = Dialogue.open(smtpPort)) {
      assertThat(smtp.greeting()).startsWith("220 ");
      String expected = "503 5.5.1 Error: send HELO or EHLO first";
      assertThat(smtp.command("MAIL FROM:<someone@remote.test>")).isEqualTo(expected);
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).isEqualTo(expected);
      assertThat(smtp.command("DATA")).isEqualTo(expected);
      assertThat(smtp.command("AUTH PLAIN " + plain("alice", alicePassword))).isEqualTo(expected);
      assertThat(smtp.command("HELO client.test")).startsWith("250 ");
      assertThat(smtp.command("MAIL FROM:<someone@remote.test>")).startsWith("250 2.0.0");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("250 2.0.0");
    }
  }

  @Test
  @DisplayName(
      "HELP lists only the commands offered: STARTTLS until TLS has started, never BDAT, VRFY or"
          + " EXPN")
  void helpTellsTheTruth() throws Exception {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("HELP"))
          .isEqualTo(
              "214-Kith on example.org\n"
                  + "214-Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP STARTTLS AUTH\n"
                  + "214 For more, HELP <command>");
      assertThat(smtp.command("HELP BDAT"))
          .isEqualTo("504 5.5.4 HELP topic \"BDAT\" is not a command offered here");
      assertThat(smtp.command("HELP mail")).startsWith("214-MAIL").endsWith("214 End of MAIL info");
      assertThat(smtp.command("STARTTLS")).startsWith("220");
      smtp.startTls();
      smtp.command("EHLO client.test");
      assertThat(smtp.command("HELP"))
          .isEqualTo(
              "214-Kith on example.org\n"
                  + "214-Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP AUTH\n"
                  + "214 For more, HELP <command>");
      assertThat(smtp.command("HELP STARTTLS"))
          .isEqualTo("504 5.5.4 HELP topic \"STARTTLS\" is not a command offered here");
      // Bare LFs are answered inside TLS too.
      smtp.write("NOOP\n");
      assertThat(smtp.reply())
          .isEqualTo("500 5.5.2 Syntax error: the line ends in a bare LF; end lines with CRLF");
      assertThat(smtp.command("NOOP")).isEqualTo("250 2.0.0 Ok");
    }
  }

  @Test
  @DisplayName(
      "25 wrong SMTP AUTH passwords over 25 connections lock the account out of SMTP (454 4.7.0)"
          + " and HTTP (429) for the lockout time; then it logs in from another address")
  void authSharesTheLoginLockout() throws Exception {
    // dave and the addresses 127.0.0.2x are this test's own, so its lockout touches no other test.
    String operator = Credentials.operatorToken(device.home()).orElseThrow();
    assertThat(Credentials.ownerToken(url, device.home(), operator, "dave")).isPresent();
    String davePassword = dev.kith.mail.MailTesting.password(device, "dave");
    String guesser = "127.0.0.20";
    List<String> replies = new ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      try (Dialogue smtp = Dialogue.readyFrom(smtpPort, guesser)) {
        replies.add(smtp.command("AUTH PLAIN " + plain("dave", "wrong guess " + i)));
      }
    }
    String locked =
        "454 4\\.7\\.0 Too many failed logins for this account or from this address; try again in"
            + " \\d+ s";
    // login-max-failures (20) are checked and refused; after them nothing is checked.
    assertThat(replies.subList(0, 20))
        .as(String.join("\n", replies))
        .containsOnly("535 5.7.8 Authentication credentials invalid");
    assertThat(replies.subList(20, 25)).allSatisfy(r -> assertThat(r).matches(locked));
    long lockedAt = System.nanoTime();
    try (Dialogue smtp = Dialogue.readyFrom(smtpPort, guesser)) {
      assertThat(smtp.command("AUTH PLAIN " + plain("dave", davePassword))).matches(locked);
    }
    // The account is locked everywhere: SMTP and HTTP login from other addresses.
    try (Dialogue smtp = Dialogue.readyFrom(smtpPort, "127.0.0.21")) {
      assertThat(smtp.command("AUTH PLAIN " + plain("dave", davePassword))).matches(locked);
    }
    Http.Response http = httpLoginFrom("127.0.0.22", "dave", davePassword);
    assertThat(http.status()).as(http.body()).isEqualTo(429);
    assertThat(http.json().getString("error")).isEqualTo("too-many-requests");
    assertThat(Integer.parseInt(http.header("Retry-After"))).isBetween(1, LOCKOUT_SECONDS);

    // After the lockout the owner logs in from another address, over HTTP and SMTP.
    eventually(
        Duration.ofSeconds(LOCKOUT_SECONDS + 30),
        () ->
            assertThat(httpLoginFrom("127.0.0.23", "dave", davePassword).status()).isEqualTo(200));
    long tookMillis = (System.nanoTime() - lockedAt) / 1_000_000;
    System.out.printf(
        "the right password worked %d ms after the lockout began (lockout %d s)%n",
        tookMillis, LOCKOUT_SECONDS);
    assertThat(tookMillis).isGreaterThanOrEqualTo((LOCKOUT_SECONDS - 3) * 1000L);
    try (Dialogue smtp = Dialogue.readyFrom(smtpPort, "127.0.0.24")) {
      assertThat(smtp.command("AUTH PLAIN " + plain("dave", davePassword))).startsWith("235 2.7.0");
    }
    assertNormalSessionWorks();
  }

  @Test
  @DisplayName(
      "serves an attachment as a sandboxed download that keeps its non-ASCII name (RFC 6266"
          + " filename*), and the raw message as one too")
  void attachmentKeepsItsName() throws IOException {
    String id = "invoice-" + UUID.randomUUID() + "@remote.test";
    String message =
        "From: someone@remote.test\r\nTo: alice@example.org\r\nSubject: invoice\r\n"
            + "Message-ID: <"
            + id
            + ">\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            + "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
            + "--b1\r\nContent-Type: application/pdf\r\n"
            + "Content-Disposition: attachment;"
            + " filename=\"=?UTF-8?Q?Rechnung_M=C3=A4rz.pdf?=\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";
    assertThat(RawSmtp.send(smtpPort, "someone@remote.test", "alice@example.org", message))
        .isEqualTo(250);
    String token = aliceToken();
    String stored =
        eventually(
            Duration.ofSeconds(30),
            () -> {
              Http.Response listed =
                  Http.raw(
                      "GET",
                      url + "/api/mail/mailboxes/INBOX/messages?limit=200",
                      null,
                      "Authorization",
                      "Bearer " + token);
              return listed.json().getJsonArray("messages").stream()
                  .map(JsonObject.class::cast)
                  .filter(m -> id.equals(m.getString("messageId")))
                  .map(m -> m.getString("id"))
                  .findFirst()
                  .orElseThrow();
            });
    Http.BytesResponse attachment =
        Http.getBytes(
            url + "/api/mail/messages/" + stored + "/attachments/0",
            "Authorization",
            "Bearer " + token);
    assertThat(attachment.status()).isEqualTo(200);
    assertThat(attachment.header("Content-Type")).isEqualTo("application/pdf");
    assertThat(attachment.header("Content-Disposition"))
        .isEqualTo(
            "attachment; filename=\"Rechnung M_rz.pdf\";"
                + " filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");
    assertThat(attachment.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(attachment.header("Content-Security-Policy"))
        .isEqualTo("sandbox; default-src 'none'");
    Http.BytesResponse raw =
        Http.getBytes(
            url + "/api/mail/messages/" + stored + "/raw", "Authorization", "Bearer " + token);
    assertThat(raw.status()).isEqualTo(200);
    assertThat(raw.header("Content-Type")).isEqualTo("message/rfc822");
    assertThat(raw.header("Content-Disposition"))
        .isEqualTo("attachment; filename=\"" + stored + ".eml\"");
    assertThat(raw.header("Content-Security-Policy")).isEqualTo("sandbox; default-src 'none'");
  }

  @Test
  @DisplayName(
      "keeps bare LFs inside a message as they are, and <LF>.<LF> does not end it (no smuggling)")
  void bareLfInsideDataIsMessageText() throws IOException {
    String id = "lf-" + UUID.randomUUID() + "@remote.test";
    String body = "line one\nline two\n.\nMAIL FROM:<smuggled@remote.test>\r\nlast\r\n";
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      smtp.timeoutMillis(15_000);
      smtp.command("MAIL FROM:<someone@remote.test>");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("250");
      assertThat(smtp.command("DATA")).startsWith("354");
      smtp.write("Subject: lf\r\nMessage-ID: <" + id + ">\r\n\r\n" + body);
      assertThat(smtp.command(".")).startsWith("250 2.0.0 Ok: queued as ");
      assertThat(smtp.command("NOOP")).isEqualTo("250 2.0.0 Ok");
    }
    String token = aliceToken();
    String stored =
        eventually(
            Duration.ofSeconds(30),
            () -> {
              Http.Response listed =
                  Http.raw(
                      "GET",
                      url + "/api/mail/mailboxes/INBOX/messages?limit=200",
                      null,
                      "Authorization",
                      "Bearer " + token);
              return listed.json().getJsonArray("messages").stream()
                  .map(JsonObject.class::cast)
                  .filter(m -> id.equals(m.getString("messageId")))
                  .map(m -> m.getString("id"))
                  .findFirst()
                  .orElseThrow();
            });
    Http.BytesResponse raw =
        Http.getBytes(
            url + "/api/mail/messages/" + stored + "/raw", "Authorization", "Bearer " + token);
    assertThat(new String(raw.body(), StandardCharsets.ISO_8859_1)).endsWith("\r\n\r\n" + body);
  }

  // --- helpers ---

  private static Http.Response httpLoginFrom(String from, String owner, String password) {
    return Http.rawFrom(
        from,
        "POST",
        url + "/api/auth/login",
        new JsonObject().put("owner", owner).put("password", password).encode(),
        "Content-Type",
        "application/json");
  }

  private static List<String> inboxMessageIds(String token) {
    Http.Response listed =
        Http.raw(
            "GET",
            url + "/api/mail/mailboxes/INBOX/messages?limit=200",
            null,
            "Authorization",
            "Bearer " + token);
    assertThat(listed.status()).isEqualTo(200);
    return listed.json().getJsonArray("messages").stream()
        .map(JsonObject.class::cast)
        .map(m -> m.getString("messageId"))
        .toList();
  }

  private static String aliceToken() {
    String operator = Credentials.operatorToken(device.home()).orElseThrow();
    return Credentials.ownerToken(url, device.home(), operator, "alice").orElseThrow();
  }

  private static void assertNormalSessionWorks() throws IOException {
    try (Dialogue smtp = Dialogue.ready(smtpPort)) {
      assertThat(smtp.command("MAIL FROM:<someone@remote.test>")).startsWith("250");
      assertThat(smtp.command("RCPT TO:<alice@example.org>")).startsWith("250");
      assertThat(smtp.command("RSET")).startsWith("250");
      assertThat(smtp.command("QUIT")).startsWith("221");
    }
  }

  private static String message(String messageId, String to) {
    return "From: someone@remote.test\r\nTo: "
        + to
        + "\r\nSubject: test\r\nMessage-ID: "
        + messageId
        + "\r\n\r\nHello.\r\n";
  }

  private static String plain(String user, String password) {
    return Base64.getEncoder()
        .encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String firstLine(Socket socket) {
    try {
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = socket.getInputStream().read()) != -1 && c != '\n') {
        line.append((char) c);
      }
      return line.toString().trim();
    } catch (IOException e) {
      return "error: " + e;
    }
  }

  /**
   * The value of the first sample on the device's /metrics whose line starts with {@code prefix} (a
   * name, or a name and its first labels), or "absent".
   */
  private static String metric(String prefix) {
    String body = Http.get(url + "/metrics").body();
    for (String line : body.split("\n")) {
      if (line.startsWith(prefix + " ")
          || line.startsWith(prefix + ",")
          || line.startsWith(prefix + "}")) {
        return line.substring(line.lastIndexOf(' ') + 1).trim();
      }
    }
    return "absent";
  }

  private static long heapUsedBytes() {
    String body = Http.get(url + "/metrics").body();
    Matcher m =
        Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\",[^}]*\\} ([0-9.E+]+)$")
            .matcher(body);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return (long) sum;
  }

  /** A raw SMTP dialogue: one command, one (possibly multi-line) reply. */
  static final class Dialogue implements AutoCloseable {

    private Socket socket;
    private BufferedReader in;
    private OutputStream out;

    private Dialogue(Socket socket) throws IOException {
      this.socket = socket;
      this.in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      this.out = socket.getOutputStream();
    }

    /** Upgrades to TLS after a 220 to STARTTLS, trusting any certificate; the protocol used. */
    String startTls() throws Exception {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, new TrustManager[] {new TrustAll()}, null);
      SSLSocket tls =
          (SSLSocket)
              ssl.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
      tls.setUseClientMode(true);
      tls.startHandshake();
      socket = tls;
      in =
          new BufferedReader(
              new InputStreamReader(tls.getInputStream(), StandardCharsets.ISO_8859_1));
      out = tls.getOutputStream();
      return tls.getSession().getProtocol();
    }

    /** Connected from {@code localAddress}, an address on loopback, greeted and past EHLO. */
    static Dialogue readyFrom(int port, String localAddress) throws IOException {
      Socket socket = new Socket();
      socket.bind(new InetSocketAddress(localAddress, 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(30_000);
      Dialogue d = new Dialogue(socket);
      assertThat(d.greeting()).startsWith("220");
      assertThat(d.command("EHLO client.test")).startsWith("250");
      return d;
    }

    /** How long a read waits for the device before the test fails. */
    void timeoutMillis(int millis) throws IOException {
      socket.setSoTimeout(millis);
    }

    static Dialogue open(int port) throws IOException {
      Socket socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(30_000);
      return new Dialogue(socket);
    }

    /** Connected, greeted and past EHLO. */
    static Dialogue ready(int port) throws IOException {
      Dialogue d = open(port);
      assertThat(d.greeting()).startsWith("220");
      assertThat(d.command("EHLO client.test")).startsWith("250");
      return d;
    }

    String greeting() throws IOException {
      return reply();
    }

    String command(String line) throws IOException {
      write(line + "\r\n");
      return reply();
    }

    void write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    CompletableFuture<Void> writeInBackground(String prefix, byte[] body) {
      return CompletableFuture.runAsync(
          () -> {
            try {
              out.write(prefix.getBytes(StandardCharsets.ISO_8859_1));
              for (int off = 0; off < body.length; off += 64 * 1024) {
                out.write(body, off, Math.min(64 * 1024, body.length - off));
              }
              out.flush();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
    }

    /** The next reply, with its lines joined by newlines. */
    String reply() throws IOException {
      StringBuilder all = new StringBuilder();
      while (true) {
        String line = in.readLine();
        if (line == null) {
          throw new IOException("closed after: " + all);
        }
        all.append(all.length() > 0 ? "\n" : "").append(line);
        if (line.length() < 4 || line.charAt(3) != '-') {
          return all.toString();
        }
      }
    }

    /** The next reply, or "closed" when the server closed the connection. */
    String replyOrClosed() {
      try {
        String line = in.readLine();
        return line == null ? "closed" : line;
      } catch (IOException e) {
        return "closed";
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Trusts any server certificate: the test checks the SMTP dialogue, not the PKI. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
