package dev.kith.mail.imap;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.MailTesting;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The IMAP server of one real device process, through a raw client that checks exact replies:
 * logging in, the mailbox and message commands with their UIDPLUS and CONDSTORE codes, one state
 * shared with the HTTP API, and every limit and bad input with its tagged reply, after which the
 * device still serves.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class ImapServerTest {

  static final int MAX_CONNECTIONS = 40;
  static final int PER_OWNER = 5;
  static final int IDLE_SECONDS = 5;
  static final long MAX_BYTES = 200_000;

  private static LocalMesh mesh;
  private static DeviceProcess device;
  private static int port;
  private static String password;

  private static int tlsPort;
  private static javax.net.ssl.SSLContext trust;

  @BeforeAll
  static void startDevice() throws Exception {
    port = FreePorts.next();
    tlsPort = FreePorts.next();
    // A certificate for STARTTLS and port 993's kind, made the way a mesh makes a device's.
    java.nio.file.Path tlsHome =
        java.nio.file.Files.createDirectories(
            java.nio.file.Path.of("target", "imap-tls-" + UUID.randomUUID()));
    dev.kith.mesh.trust.MeshTrust.createMesh(tlsHome, "imap-tls", "mx.alice", List.of("127.0.0.1"));
    java.nio.file.Path folder = dev.kith.mesh.trust.MeshTrust.folder(tlsHome);
    trust = trusting(folder.resolve("ca.pem"));
    mesh =
        LocalMesh.options()
            .names("d1.alice")
            .each(
                b ->
                    b.flag("smtp-port", String.valueOf(FreePorts.next()))
                        .flag("imap-port", String.valueOf(port))
                        .flag("imaps-port", String.valueOf(tlsPort))
                        .flag("smtp-cert", folder.resolve("device.pem").toAbsolutePath().toString())
                        .flag("smtp-key", folder.resolve("device.key").toAbsolutePath().toString())
                        .flag("mail-domain", MailTesting.DOMAIN)
                        .flag("smtp-max-message-bytes", String.valueOf(MAX_BYTES))
                        .flag("imap-max-connections", String.valueOf(MAX_CONNECTIONS))
                        .flag("imap-max-connections-per-owner", String.valueOf(PER_OWNER))
                        .flag("imap-idle-seconds", String.valueOf(IDLE_SECONDS))
                        .flag("login-lockout-seconds", "10"))
            .start();
    device = mesh.device(0).awaitReady(LocalMesh.START_TIMEOUT);
    password = MailTesting.password(device, "alice");
    eventually(
        LocalMesh.START_TIMEOUT,
        () ->
            assertThat(MailTesting.call(device, "alice", "GET", "/mailboxes", null).status())
                .isEqualTo(200));
  }

  @AfterAll
  static void stopDevice() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** TLS that trusts the test mesh's CA. */
  private static javax.net.ssl.SSLContext trusting(java.nio.file.Path caPem) throws Exception {
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (var in = java.nio.file.Files.newInputStream(caPem)) {
      store.setCertificateEntry(
          "ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    tmf.init(store);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  @Test
  @DisplayName("STARTTLS on imap-port and implicit TLS on imaps-port, with the mesh's certificate")
  void tls() throws IOException {
    try (ImapClient imap = new ImapClient(port)) {
      assertThat(imap.greeting()).contains(" STARTTLS");
      assertThat(imap.command("STARTTLS").tagged()).isEqualTo("OK Begin TLS negotiation now");
      imap.startTls(trust);
      ImapClient.Reply caps = imap.command("CAPABILITY");
      assertThat(caps.untagged().get(0)).contains("AUTH=PLAIN").doesNotContain("STARTTLS");
      assertThat(imap.command("STARTTLS").tagged()).isEqualTo("BAD TLS is on already");
      assertThat(imap.command("LOGIN alice " + ImapClient.quote(password)).tagged())
          .startsWith("OK [CAPABILITY");
    }
    try (ImapClient imap = new ImapClient(tlsPort, trust)) {
      assertThat(imap.greeting()).startsWith("* OK [CAPABILITY ").doesNotContain("STARTTLS");
      assertThat(imap.command("LOGIN alice " + ImapClient.quote(password)).tagged())
          .startsWith("OK [CAPABILITY");
      assertThat(imap.command("SELECT INBOX").tagged()).isEqualTo("OK [READ-WRITE] Selected");
    }
  }

  private static ImapClient alice() throws IOException {
    return ImapClient.login(port, "alice", password);
  }

  private static String message(String subject) {
    return "From: bob@remote.test\r\nTo: alice@example.org\r\nSubject: "
        + subject
        + "\r\nMessage-ID: <"
        + UUID.randomUUID()
        + "@remote.test>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nHello "
        + subject
        + ".\r\n";
  }

  /** APPENDs with a synchronizing literal; answers the tagged reply. */
  private static ImapClient.Reply append(ImapClient imap, String box, String flags, String text)
      throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    String tag = imap.nextTag();
    imap.send(tag + " APPEND " + box + " " + flags + " {" + bytes.length + "}\r\n");
    assertThat(imap.readLine()).startsWith("+ ");
    imap.sendBytes(bytes);
    imap.send("\r\n");
    return imap.readReply(tag);
  }

  @Test
  @DisplayName(
      "greets with its capabilities; LOGIN refuses a wrong password and takes the right one")
  void logsIn() throws IOException {
    try (ImapClient imap = new ImapClient(port)) {
      assertThat(imap.greeting())
          .startsWith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE")
          .contains("AUTH=PLAIN")
          .doesNotContain("LOGINDISABLED");
      assertThat(imap.command("SELECT INBOX").tagged())
          .isEqualTo("BAD Log in first (LOGIN or AUTHENTICATE)");
      assertThat(imap.command("LOGIN alice \"wrong-password\"").tagged())
          .isEqualTo("NO [AUTHENTICATIONFAILED] Invalid credentials");
      ImapClient.Reply ok = imap.command("LOGIN alice " + ImapClient.quote(password));
      assertThat(ok.tagged())
          .startsWith("OK [CAPABILITY ")
          .contains("IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "SPECIAL-USE");
      assertThat(imap.command("LOGIN alice x").tagged()).isEqualTo("BAD Logged in already");
      assertThat(imap.command("LOGOUT").untagged()).containsExactly("* BYE Logging out");
    }
  }

  @Test
  @DisplayName("AUTHENTICATE PLAIN with an initial response (SASL-IR) and with a continuation")
  void authenticatePlain() throws IOException {
    String plain =
        Base64.getEncoder()
            .encodeToString(("\0alice@example.org\0" + password).getBytes(StandardCharsets.UTF_8));
    try (ImapClient imap = new ImapClient(port)) {
      assertThat(imap.command("AUTHENTICATE PLAIN " + plain).tagged()).startsWith("OK [CAPABILITY");
    }
    try (ImapClient imap = new ImapClient(port)) {
      String tag = imap.nextTag();
      imap.send(tag + " AUTHENTICATE PLAIN\r\n");
      assertThat(imap.readLine()).isEqualTo("+ ");
      imap.send(plain + "\r\n");
      assertThat(imap.readReply(tag).tagged()).startsWith("OK [CAPABILITY");
    }
    try (ImapClient imap = new ImapClient(port)) {
      assertThat(imap.command("AUTHENTICATE CRAM-MD5").tagged())
          .isEqualTo("NO [CANNOT] Only AUTHENTICATE PLAIN is supported");
    }
  }

  @Test
  @DisplayName(
      "SELECT, APPEND (APPENDUID), FETCH of the exact bytes, STORE, SEARCH, COPY (COPYUID), MOVE"
          + " and EXPUNGE; the HTTP API sees the same flags")
  void mailboxRoundTrip() throws IOException {
    try (ImapClient imap = alice()) {
      assertThat(imap.command("CREATE Round" + port).tagged()).isEqualTo("OK CREATE completed");
      String box = "Round" + port;
      ImapClient.Reply select = imap.command("SELECT " + box);
      assertThat(select.tagged()).isEqualTo("OK [READ-WRITE] Selected");
      assertThat(select.untagged())
          .contains("* 0 EXISTS")
          .anySatisfy(l -> assertThat(l).matches("\\* OK \\[UIDVALIDITY \\d+\\] UIDs valid"))
          .contains("* OK [UIDNEXT 1] Predicted next UID");
      long validity = ImapClient.code(select.untagged(), "UIDVALIDITY");

      String text = message("first");
      ImapClient.Reply appended = append(imap, box, "(\\Flagged $Work)", text);
      assertThat(appended.tagged()).isEqualTo("OK [APPENDUID " + validity + " 1] APPEND completed");
      assertThat(appended.untagged()).containsExactly("* 1 EXISTS");
      assertThat(append(imap, box, "()", message("second")).untagged())
          .containsExactly("* 2 EXISTS");
      ImapClient.Reply fetch = imap.command("UID FETCH 1 (FLAGS RFC822.SIZE BODY.PEEK[])");
      assertThat(fetch.untagged())
          .containsExactly(
              "* 1 FETCH (UID 1 FLAGS (\\Flagged $Work) RFC822.SIZE "
                  + text.length()
                  + " BODY[] {"
                  + text.length()
                  + "}\n"
                  + text
                  + ")");
      assertThat(imap.command("STORE 2 +FLAGS (\\Seen)").untagged())
          .containsExactly("* 2 FETCH (FLAGS (\\Seen))");
      assertThat(imap.command("UID SEARCH SEEN").untagged()).containsExactly("* SEARCH 2");
      assertThat(imap.command("SEARCH SUBJECT first").untagged()).containsExactly("* SEARCH 1");

      ImapClient.Reply copy = imap.command("UID COPY 1:2 INBOX");
      assertThat(copy.tagged()).matches("OK \\[COPYUID \\d+ 1:2 \\d+:\\d+\\] COPY completed");
      ImapClient.Reply move = imap.command("UID MOVE 2 Archive");
      assertThat(move.untagged()).hasSize(2);
      assertThat(move.untagged().get(0)).matches("\\* OK \\[COPYUID \\d+ 2 \\d+\\] Moved");
      assertThat(move.untagged().get(1)).isEqualTo("* 2 EXPUNGE");

      assertThat(imap.command("STORE 1 +FLAGS.SILENT (\\Deleted)").untagged()).isEmpty();
      ImapClient.Reply expunge = imap.command("EXPUNGE");
      assertThat(expunge.untagged()).containsExactly("* 1 EXPUNGE");
      assertThat(imap.command("SELECT Nowhere").tagged())
          .isEqualTo("NO [NONEXISTENT] No mailbox 'Nowhere'");
    }
  }

  @Test
  @DisplayName("a flag set over IMAP is the flag the HTTP API shows, and the other way round")
  void oneStateTwoProtocols() throws IOException {
    try (ImapClient imap = alice()) {
      imap.command("SELECT INBOX");
      append(imap, "INBOX", "()", message("shared"));
      ImapClient.Reply search = imap.command("UID SEARCH SUBJECT shared");
      String uid = search.untagged().get(0).replace("* SEARCH ", "").split(" ")[0];
      imap.command("UID STORE " + uid + " +FLAGS (\\Flagged)");
      JsonObject list = MailTesting.getJson(device, "alice", "/search?q=subject:shared&limit=10");
      JsonObject http = list.getJsonArray("messages").getJsonObject(0);
      assertThat(http.getJsonArray("flags").getList()).contains("flagged");
      Http.Response patch =
          MailTesting.call(
              device,
              "alice",
              "PATCH",
              "/messages/" + http.getString("id"),
              "{\"flags\":{\"seen\":true}}");
      assertThat(patch.status()).as(patch.body()).isEqualTo(200);
      ImapClient.Reply after = imap.command("NOOP");
      assertThat(after.untagged())
          .anySatisfy(
              l -> assertThat(l).contains("UID " + uid).contains("\\Seen").contains("\\Flagged"));
    }
  }

  @Test
  @DisplayName(
      "bad input: unknown commands, bad sets, a line over 64 KB, a literal over the limit, each"
          + " with its tagged reply; then the session still works")
  void badInput() throws IOException {
    try (ImapClient imap = alice()) {
      assertThat(imap.command("FROBNICATE").tagged()).isEqualTo("BAD Unknown command FROBNICATE");
      assertThat(imap.command("FETCH 1 FLAGS").tagged())
          .isEqualTo("BAD No mailbox selected (SELECT or EXAMINE first)");
      imap.command("SELECT INBOX");
      assertThat(imap.command("FETCH 0:x FLAGS").tagged()).startsWith("BAD ");
      assertThat(imap.command("FETCH 1 (NONSENSE)").tagged())
          .isEqualTo("BAD Unknown FETCH item NONSENSE");
      assertThat(imap.command("STORE 1 +FLAGS (\\Bogus)").tagged())
          .startsWith("NO [CANNOT] unknown system flag \\Bogus");
      assertThat(imap.command("CREATE \"a/b\"").tagged())
          .startsWith("NO [CANNOT] A mailbox name is");
      assertThat(imap.command("NOOP " + "x".repeat(70_000)).tagged())
          .startsWith("BAD Command line too long");
      String tag = imap.nextTag();
      imap.send(tag + " APPEND INBOX {" + (MAX_BYTES + 1) + "}\r\n");
      assertThat(imap.readReply(tag).tagged()).startsWith("NO [TOOBIG]");
      assertThat(imap.command("NOOP").tagged()).isEqualTo("OK NOOP completed");
    }
    // A non-synchronizing literal over the limit cannot be skipped: BYE.
    try (ImapClient imap = alice()) {
      imap.send("x1 APPEND INBOX {" + (MAX_BYTES + 1) + "+}\r\n");
      assertThat(imap.readLine()).startsWith("* BYE ");
      assertThat(imap.readLine()).isNull();
    }
    try (ImapClient imap = alice()) {
      assertThat(imap.command("NOOP").tagged()).isEqualTo("OK NOOP completed");
    }
  }

  @Test
  @DisplayName("limits: connections per owner (NO [LIMIT]) and per device (BYE), and silence (BYE)")
  void limits() throws Exception {
    List<ImapClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < PER_OWNER; i++) {
        open.add(alice());
      }
      try (ImapClient extra = new ImapClient(port)) {
        assertThat(extra.command("LOGIN alice " + ImapClient.quote(password)).tagged())
            .isEqualTo(
                "NO [LIMIT] Too many IMAP connections for this account on this device"
                    + " (imap-max-connections-per-owner)");
      }
      while (open.size() < MAX_CONNECTIONS) {
        open.add(new ImapClient(port));
      }
      try (ImapClient refused = new ImapClient(port)) {
        assertThat(refused.greeting())
            .isEqualTo(
                "* BYE [UNAVAILABLE] Too many connections on this device; try another device or"
                    + " later");
      }
    } finally {
      for (ImapClient c : open) {
        c.close();
      }
    }
    // The closed connections leave the device's count as their close is seen.
    try (ImapClient quiet = eventually(Duration.ofSeconds(10), ImapServerTest::alice)) {
      long started = System.nanoTime();
      String bye = quiet.readLine();
      assertThat(bye).startsWith("* BYE Autologout; idle for too long");
      assertThat((System.nanoTime() - started) / 1_000_000_000)
          .isBetween(IDLE_SECONDS - 1L, IDLE_SECONDS + 10L);
    }
    eventually(
        Duration.ofSeconds(10),
        () -> {
          try (ImapClient again = alice()) {
            assertThat(again.command("NOOP").tagged()).isEqualTo("OK NOOP completed");
          }
        });
  }

  @Test
  @DisplayName(
      "IMAP password guesses count toward the mesh's one lockout: after 20 wrong LOGINs the"
          + " account is locked over IMAP and HTTP, from any address")
  void loginSharesTheLockout() throws IOException {
    // erin and the addresses 127.0.0.3x are this test's own.
    String erinPassword = MailTesting.password(device, "erin");
    List<String> replies = new ArrayList<>();
    for (int i = 1; i <= 22; i++) {
      try (ImapClient imap = new ImapClient(port, "127.0.0.30")) {
        replies.add(imap.command("LOGIN erin \"wrong guess " + i + "\"").tagged());
      }
    }
    String locked =
        "NO \\[AUTHENTICATIONFAILED\\] Too many failed logins for this account or from this"
            + " address; try again in \\d+ s";
    assertThat(replies.subList(0, 20))
        .as(String.join("\n", replies))
        .containsOnly("NO [AUTHENTICATIONFAILED] Invalid credentials");
    assertThat(replies.subList(20, 22)).allSatisfy(r -> assertThat(r).matches(locked));
    try (ImapClient imap = new ImapClient(port, "127.0.0.31")) {
      assertThat(imap.command("LOGIN erin " + ImapClient.quote(erinPassword)).tagged())
          .matches(locked);
    }
    Http.Response http =
        Http.rawFrom(
            "127.0.0.32",
            "POST",
            device.httpUrl() + "/api/auth/login",
            new JsonObject().put("owner", "erin").put("password", erinPassword).encode(),
            "Content-Type",
            "application/json");
    assertThat(http.status()).as(http.body()).isEqualTo(429);
    eventually(
        Duration.ofSeconds(40),
        () -> {
          try (ImapClient imap = new ImapClient(port, "127.0.0.33")) {
            assertThat(imap.command("LOGIN erin " + ImapClient.quote(erinPassword)).tagged())
                .startsWith("OK");
          }
        });
  }
}
