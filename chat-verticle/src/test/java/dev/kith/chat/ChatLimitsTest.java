package dev.kith.chat;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The XMPP server of one real device process, through a raw client that checks exact answers: each
 * bad input and each limit gets the condition RFC 6120 defines for it (a stream error, §4.9.3; a
 * SASL failure, §6.5; a stanza error, §8.3.3; or XEP-0198's {@code <failed/>}), and afterwards the
 * device still serves: a fresh client logs in and a message goes through. The limits are set small
 * so that a test reaches them quickly. Failed logins come from loopback addresses of their own
 * (127.0.0.x), so that the mesh's per-address lockout never locks out another test's logins.
 */
@ExtendWith(DeviceLogs.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
@DisplayName("Chat's limits and bad input, each with its RFC 6120 condition")
class ChatLimitsTest {

  static final int MAX_STANZA_BYTES = 10_000;
  static final int MAX_CONNECTIONS = 4;
  static final int PER_OWNER = 2;
  static final int IDLE_SECONDS = 30;
  static final int LOGIN_MAX_FAILURES = 5;

  private static final String DOMAIN = ChatTesting.DOMAIN;
  private static final String STREAM_NS =
      " xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";

  private LocalMesh mesh;
  private DeviceProcess device;
  private int port;
  private String alicePassword;

  @BeforeAll
  void startDevice() throws IOException {
    mesh =
        LocalMesh.options()
            .names("d1.alice")
            .each(
                b -> {
                  ChatTesting.withChat(b);
                  b.flag("xmpp-max-stanza-bytes", String.valueOf(MAX_STANZA_BYTES))
                      .flag("xmpp-max-connections", String.valueOf(MAX_CONNECTIONS))
                      .flag("xmpp-max-connections-per-owner", String.valueOf(PER_OWNER))
                      .flag("xmpp-idle-seconds", String.valueOf(IDLE_SECONDS))
                      .flag("login-max-failures", String.valueOf(LOGIN_MAX_FAILURES));
                })
            .start();
    device = mesh.device(0).awaitReady(LocalMesh.START_TIMEOUT);
    port = ChatTesting.xmppPort(device);
    alicePassword = Credentials.ownerPassword(device, "alice");
    // alice's chat instance is placed on her device a moment after it is ready.
    eventually(LocalMesh.START_TIMEOUT, this::assertServes);
  }

  @BeforeEach
  void keepLogs() {
    // DeviceLogs forgets what was registered before each test; the device is the class's.
    DeviceLogs.register(device.name() + " stdout", device.logFile());
    DeviceLogs.register(device.name() + " stderr", device.errFile());
  }

  @AfterAll
  void stopDevice() {
    if (mesh != null) {
      mesh.close();
    }
  }

  // Stream level (RFC 6120 §4.9.3)

  @Test
  @DisplayName(
      "a stream header for another domain, in another namespace or without a version ends the"
          + " stream with host-unknown, invalid-namespace and unsupported-version")
  void badStreamHeaders() throws IOException {
    assertThat(
            streamErrorAfter(
                "<?xml version='1.0'?><stream:stream to='other.example' version='1.0'"
                    + STREAM_NS
                    + ">"))
        .isEqualTo("host-unknown");
    assertThat(
            streamErrorAfter(
                "<?xml version='1.0'?><stream:stream to='"
                    + DOMAIN
                    + "' version='1.0' xmlns='jabber:server'"
                    + " xmlns:stream='http://etherx.jabber.org/streams'>"))
        .isEqualTo("invalid-namespace");
    assertThat(
            streamErrorAfter(
                "<?xml version='1.0'?><stream:stream to='" + DOMAIN + "'" + STREAM_NS + ">"))
        .isEqualTo("unsupported-version");
    assertServes();
  }

  @Test
  @DisplayName(
      "malformed XML ends the stream with not-well-formed; a comment, a processing instruction,"
          + " a DTD or an entity reference with restricted-xml")
  void badXml() throws IOException {
    assertThat(afterOpen("<message><body>hi</message>")).isEqualTo("not-well-formed");
    assertThat(afterOpen("<message to=nobody/>")).isEqualTo("not-well-formed");
    assertThat(afterOpen("<!-- a comment -->")).isEqualTo("restricted-xml");
    assertThat(afterOpen("<?kith please?>")).isEqualTo("restricted-xml");
    assertThat(afterOpen("<message><body>&custom;</body></message>")).isEqualTo("restricted-xml");
    assertThat(
            streamErrorAfter(
                "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY custom 'x'>]>"
                    + "<stream:stream to='"
                    + DOMAIN
                    + "' version='1.0'"
                    + STREAM_NS
                    + ">"))
        .isEqualTo("restricted-xml");
    assertServes();
  }

  @Test
  @DisplayName("before TLS, anything but STARTTLS ends the stream with policy-violation")
  void tlsFirst() throws IOException {
    assertThat(
            afterOpen("<auth xmlns='" + RawXmpp.SASL + "' mechanism='PLAIN'>AGFsaWNlAHg=</auth>"))
        .isEqualTo("policy-violation");
    assertThat(afterOpen("<message to='alice@" + DOMAIN + "'><body>hi</body></message>"))
        .isEqualTo("policy-violation");
    assertServes();
  }

  @Test
  @DisplayName("a stanza before authentication ends the stream with not-authorized")
  void authenticateFirst() throws IOException {
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.1")) {
      c.send("<message to='alice@" + DOMAIN + "'><body>let me in</body></message>");
      assertThat(c.streamError()).isEqualTo("not-authorized");
    }
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.1")) {
      c.send("<iq type='get' id='early'><ping xmlns='urn:xmpp:ping'/></iq>");
      assertThat(c.streamError()).isEqualTo("not-authorized");
    }
    assertServes();
  }

  @Test
  @DisplayName(
      "after binding, a non-stanza ends the stream with unsupported-stanza-type, a forged from"
          + " with invalid-from, and a stanza over xmpp-max-stanza-bytes with policy-violation")
  void afterBinding() throws IOException {
    try (RawXmpp c = alice()) {
      c.send("<presents xmlns='jabber:client'/>");
      assertThat(c.streamError()).isEqualTo("unsupported-stanza-type");
    }
    try (RawXmpp c = alice()) {
      c.send(
          "<message from='bob@"
              + DOMAIN
              + "/phone' to='alice@"
              + DOMAIN
              + "' type='chat'><body>from bob, honest</body></message>");
      assertThat(c.streamError()).isEqualTo("invalid-from");
    }
    try (RawXmpp c = alice()) {
      // Within the limit, a stanza goes through; one byte over, it ends the stream.
      String fits = message(c.jid(), "fits", "x".repeat(MAX_STANZA_BYTES - 200));
      assertThat(fits.getBytes(StandardCharsets.UTF_8).length).isLessThan(MAX_STANZA_BYTES);
      c.send(fits);
      assertThat(c.stanza("message", "fits")).contains("xxxxx</body>");
      c.send(message(c.jid(), "big", "x".repeat(MAX_STANZA_BYTES)));
      assertThat(c.streamError()).isEqualTo("policy-violation");
    }
    assertServes();
  }

  @Test
  @DisplayName("a session silent for xmpp-idle-seconds ends with connection-timeout")
  void silence() throws IOException {
    try (RawXmpp quiet = alice()) {
      long started = System.nanoTime();
      assertThat(quiet.streamError(Duration.ofSeconds(IDLE_SECONDS + 20)))
          .isEqualTo("connection-timeout");
      long seconds = (System.nanoTime() - started) / 1_000_000_000;
      assertThat(seconds).isBetween(IDLE_SECONDS - 1L, IDLE_SECONDS + 10L);
    }
    assertServes();
  }

  @Test
  @DisplayName("a connection over xmpp-max-connections is refused with resource-constraint")
  void tooManyConnections() throws IOException {
    List<RawXmpp> open = new ArrayList<>();
    try {
      // A connection of an earlier test counts until its close is seen: fill up to the limit.
      eventually(
          Duration.ofSeconds(10),
          () -> {
            open.forEach(RawXmpp::close);
            open.clear();
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
              RawXmpp c = new RawXmpp(port, "127.0.0.1");
              open.add(c);
              assertThat(c.open()).contains("<starttls");
            }
          });
      try (RawXmpp refused = new RawXmpp(port, "127.0.0.1")) {
        assertThat(refused.streamError()).isEqualTo("resource-constraint");
      }
    } finally {
      open.forEach(RawXmpp::close);
    }
    assertServes();
  }

  @Test
  @DisplayName(
      "a session of an owner over xmpp-max-connections-per-owner ends with policy-violation,"
          + " before SASL success")
  void tooManySessionsOfOneOwner() throws IOException {
    List<RawXmpp> open = new ArrayList<>();
    try {
      for (int i = 0; i < PER_OWNER; i++) {
        open.add(alice());
      }
      try (RawXmpp extra = RawXmpp.tls(port, "127.0.0.1")) {
        extra.sendPlain("alice", alicePassword);
        assertThat(extra.streamError()).as("no <success/> first").isEqualTo("policy-violation");
      }
    } finally {
      open.forEach(RawXmpp::close);
    }
    assertServes();
  }

  // SASL (RFC 6120 §6.5)

  @Test
  @DisplayName(
      "a wrong password, with PLAIN or SCRAM, fails with not-authorized, and the stream may try"
          + " again")
  void wrongPassword() throws IOException {
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.11")) {
      assertThat(RawXmpp.saslFailure(c.plain("alice", "not " + alicePassword)))
          .isEqualTo("not-authorized");
      assertThat(RawXmpp.saslFailure(c.scram("alice", "not " + alicePassword)))
          .isEqualTo("not-authorized");
      assertThat(c.plain("alice", alicePassword)).startsWith("<success");
      assertThat(c.bind()).startsWith("alice@" + DOMAIN + "/");
    }
    assertServes();
  }

  @Test
  @DisplayName("SCRAM-SHA-256 with the right password succeeds, and the server proves itself")
  void scram() throws IOException {
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.1")) {
      // scram() fails unless the success carries the server's signature.
      assertThat(c.scram("alice", alicePassword)).startsWith("<success");
      String jid = c.bind();
      c.send(message(jid, "scram-1", "over SCRAM"));
      assertThat(c.stanza("message", "scram-1")).contains("<body>over SCRAM</body>");
    }
  }

  @Test
  @DisplayName(
      "an unknown mechanism fails with invalid-mechanism, bad base64 with incorrect-encoding, and"
          + " the third failure on one stream ends it with policy-violation")
  void saslBadRequests() throws IOException {
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.12")) {
      c.send("<auth xmlns='" + RawXmpp.SASL + "' mechanism='X-KITH-MAGIC'>AGFsaWNlAHg=</auth>");
      assertThat(RawXmpp.saslFailure(c.saslOutcome())).isEqualTo("invalid-mechanism");
      c.send("<auth xmlns='" + RawXmpp.SASL + "' mechanism='PLAIN'>not*base64!</auth>");
      assertThat(RawXmpp.saslFailure(c.saslOutcome())).isEqualTo("incorrect-encoding");
      assertThat(RawXmpp.saslFailure(c.plain("alice", "guess"))).isEqualTo("not-authorized");
      assertThat(c.streamError()).isEqualTo("policy-violation");
    }
    assertServes();
  }

  @Test
  @DisplayName(
      "<abort/> fails with aborted, before or during an exchange; a response in bad base64 fails"
          + " once, with incorrect-encoding")
  void saslAbort() throws IOException {
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.13")) {
      c.send("<abort xmlns='" + RawXmpp.SASL + "'/>");
      assertThat(RawXmpp.saslFailure(c.saslOutcome())).isEqualTo("aborted");
      c.send(new RawXmpp.Scram("alice").auth());
      c.await("<challenge\\b[^>]*>[^<]+</challenge>");
      c.send("<abort xmlns='" + RawXmpp.SASL + "'/>");
      assertThat(RawXmpp.saslFailure(c.saslOutcome())).isEqualTo("aborted");
      assertThat(c.plain("alice", alicePassword)).startsWith("<success");
    }
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.13")) {
      c.send(new RawXmpp.Scram("alice").auth());
      c.await("<challenge\\b[^>]*>[^<]+</challenge>");
      c.send("<response xmlns='" + RawXmpp.SASL + "'>not*base64!</response>");
      assertThat(RawXmpp.saslFailure(c.saslOutcome())).isEqualTo("incorrect-encoding");
      // The next answer is the abort's: the bad response got one failure, not two.
      c.send("<abort xmlns='" + RawXmpp.SASL + "'/>");
      assertThat(RawXmpp.saslFailure(c.saslOutcome())).isEqualTo("aborted");
      assertThat(c.plain("alice", alicePassword)).startsWith("<success");
    }
    assertServes();
  }

  @Test
  @DisplayName(
      "XMPP and HTTP failures count toward one lockout of the account: then even the right"
          + " password gets temporary-auth-failure over XMPP and 429 over HTTP, from any address")
  void sharedLockout() throws IOException {
    // carol and the addresses 127.0.0.2x are this test's own.
    String carolPassword = Credentials.ownerPassword(device, "carol");
    int overXmpp = 2;
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.21")) {
      for (int i = 0; i < overXmpp; i++) {
        assertThat(RawXmpp.saslFailure(c.plain("carol", "guess " + i))).isEqualTo("not-authorized");
      }
    }
    for (int i = overXmpp; i < LOGIN_MAX_FAILURES; i++) {
      assertThat(httpLogin("127.0.0.22", "carol", "guess " + i).status()).isEqualTo(401);
    }
    try (RawXmpp c = RawXmpp.tls(port, "127.0.0.23")) {
      assertThat(RawXmpp.saslFailure(c.plain("carol", carolPassword)))
          .isEqualTo("temporary-auth-failure");
      assertThat(RawXmpp.saslFailure(c.scram("carol", carolPassword)))
          .isEqualTo("temporary-auth-failure");
      // Only carol is locked out: another owner logs in from the same address.
      assertThat(c.plain("alice", alicePassword)).startsWith("<success");
    }
    Http.Response http = httpLogin("127.0.0.24", "carol", carolPassword);
    assertThat(http.status()).as(http.body()).isEqualTo(429);
    assertThat(http.header("Retry-After")).matches("\\d+");
    assertServes();
  }

  // Stanzas after login (RFC 6120 §8.3.3)

  @Test
  @DisplayName(
      "stanza errors: an unknown local user gets service-unavailable, another server"
          + " remote-server-not-found, a bad address jid-malformed, an iq without id bad-request,"
          + " an unknown iq service-unavailable, a MAM query with an unknown field bad-request")
  void stanzaErrors() throws IOException {
    try (RawXmpp c = alice()) {
      c.send(message("nobody@" + DOMAIN, "m-nobody", "hello?"));
      assertThat(RawXmpp.errorOf(c.stanza("message", "m-nobody")))
          .isEqualTo("cancel service-unavailable");
      c.send(message("x@other.example", "m-remote", "hello?"));
      assertThat(RawXmpp.errorOf(c.stanza("message", "m-remote")))
          .isEqualTo("cancel remote-server-not-found");
      c.send(message("a@b@" + DOMAIN, "m-malformed", "hello?"));
      assertThat(RawXmpp.errorOf(c.stanza("message", "m-malformed")))
          .isEqualTo("modify jid-malformed");
      c.send("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
      assertThat(RawXmpp.errorOf(c.await("<iq\\b(?=[^>]*type=\"error\")[^>]*>.*?</iq>")))
          .isEqualTo("modify bad-request");
      c.send("<iq type='get' id='q-unknown'><query xmlns='urn:example:nothing'/></iq>");
      assertThat(RawXmpp.errorOf(c.stanza("iq", "q-unknown")))
          .isEqualTo("cancel service-unavailable");
      c.send(
          "<iq type='set' id='q-mam'><query xmlns='urn:xmpp:mam:2'>"
              + "<x xmlns='jabber:x:data' type='submit'>"
              + "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
              + "<field var='colour'><value>blue</value></field>"
              + "</x></query></iq>");
      assertThat(RawXmpp.errorOf(c.stanza("iq", "q-mam"))).isEqualTo("modify bad-request");
      // The session goes on.
      c.send(message(c.jid(), "m-after", "still here"));
      assertThat(c.stanza("message", "m-after")).contains("<body>still here</body>");
    }
    assertServes();
  }

  // Stream management (XEP-0198)

  @Test
  @DisplayName(
      "stream management: acknowledging more than was sent ends the stream with"
          + " undefined-condition; resuming an unknown session fails with item-not-found")
  void streamManagement() throws IOException {
    try (RawXmpp c = alice()) {
      c.send("<enable xmlns='" + RawXmpp.SM + "'/>");
      c.await("<enabled\\b[^>]*/>");
      c.send("<a xmlns='" + RawXmpp.SM + "' h='999'/>");
      assertThat(c.streamError()).isEqualTo("undefined-condition");
    }
    String madeUpOfThisDevice =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                (device.name() + "/no-such-session/no-secret").getBytes(StandardCharsets.UTF_8));
    for (String previd : List.of("made-up", madeUpOfThisDevice)) {
      try (RawXmpp c = RawXmpp.tls(port, "127.0.0.1")) {
        assertThat(c.plain("alice", alicePassword)).startsWith("<success");
        assertThat(c.open()).contains("<sm xmlns=\"" + RawXmpp.SM + "\"");
        c.send("<resume xmlns='" + RawXmpp.SM + "' previd='" + previd + "' h='0'/>");
        String failed = c.await("<(failed|resumed)\\b[^>]*?(?:/>|>.*?</\\1>)");
        assertThat(failed)
            .as(previd)
            .startsWith("<failed")
            .containsPattern("<item-not-found xmlns=[\"']urn:ietf:params:xml:ns:xmpp-stanzas");
        // After a failed resumption the client binds a new session on the same stream.
        c.send("<iq type='set' id='bind-2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
        assertThat(c.stanza("iq", "bind-2")).contains("type=\"result\"").contains("<jid>alice@");
      }
    }
    assertServes();
  }

  // Helpers

  /** A fresh client logs in as alice, sends herself a message and gets it: the device serves. */
  private void assertServes() throws IOException {
    try (RawXmpp c = alice()) {
      String id = "serves-" + UUID.randomUUID();
      c.send(message(c.jid(), id, id));
      assertThat(c.stanza("message", id)).contains("<body>" + id + "</body>");
    }
  }

  private RawXmpp alice() throws IOException {
    return RawXmpp.login(port, "alice", alicePassword);
  }

  /** Opens a plain connection, sends {@code header}, and answers the stream error it ends with. */
  private String streamErrorAfter(String header) throws IOException {
    try (RawXmpp c = new RawXmpp(port, "127.0.0.1")) {
      c.send(header);
      return c.streamError();
    }
  }

  /** Opens a plain stream, sends {@code xml} after its features, and answers its stream error. */
  private String afterOpen(String xml) throws IOException {
    try (RawXmpp c = new RawXmpp(port, "127.0.0.1")) {
      assertThat(c.open()).contains("<starttls");
      c.send(xml);
      return c.streamError();
    }
  }

  private static String message(String to, String id, String body) {
    return "<message to='"
        + to
        + "' id='"
        + id
        + "' type='chat'><body>"
        + body
        + "</body></message>";
  }

  private Http.Response httpLogin(String from, String owner, String password) {
    return Http.rawFrom(
        from,
        "POST",
        device.httpUrl() + "/api/auth/login",
        new JsonObject().put("owner", owner).put("password", password).encode(),
        "Content-Type",
        "application/json");
  }
}
