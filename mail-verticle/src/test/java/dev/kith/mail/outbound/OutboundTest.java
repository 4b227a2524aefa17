package dev.kith.mail.outbound;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.kith.mail.MailTesting;
import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Outbound mail on one mesh of three real device processes whose relay is a server on a loopback
 * port: GreenMail for plain delivery and retries, {@link OutboundTestRelay} for a permanent refusal
 * and for a slow remote while the device running the sender is killed. The tests run in order on
 * the same mesh; the last one kills a device.
 */
@ExtendWith(DeviceLogs.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class OutboundTest {

  private static final String REMOTE = "bob@example.net";
  private static final String ALICE = "alice";
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private LocalMesh mesh;
  private int relayPort;
  private GreenMail greenMail;

  @BeforeAll
  void start() {
    relayPort = FreePorts.next();
    mesh = LocalMesh.options().devices(3).each(this::configure).start();
    eventually(Duration.ofSeconds(90), () -> assertThat(senderDevice(mesh.device(0))).isNotNull());
  }

  private void configure(DeviceProcess.Builder device) {
    MailTesting.withMail(device);
    device
        .flag("mail-relay", "127.0.0.1:" + relayPort)
        .flag("mail-relay-tls", "none")
        .flag("mail-retry-millis", "200");
  }

  @AfterAll
  void stop() {
    if (greenMail != null) {
      greenMail.stop();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("A message to a remote recipient goes out through the relay exactly once")
  void deliversOnce() {
    startGreenMail();
    // Load: one message, queued through a device.
    String messageId = send(mesh.device(0), REMOTE, "hello once");
    // Verdict: the relay has it once, the queue says delivered, and no second copy follows.
    Duration took = eventually(DEADLINE, () -> assertGreenMailCount(messageId, 1));
    JsonObject entry = eventually(DEADLINE, () -> finished(messageId, "delivered"));
    allTheTime(Duration.ofSeconds(3), () -> assertThat(greenMailCount(messageId)).isEqualTo(1));
    // The sender's device counts it.
    DeviceProcess sender = mesh.device(senderDevice(mesh.device(0)));
    String metrics = Http.get(sender.httpUrl() + "/metrics").body();
    assertThat(metrics)
        .containsPattern("kith_mail_sent_total\\{[^}]*result=\"delivered\"[^}]*\\} [1-9]")
        .contains("kith_mail_queue_size");
    System.out.printf(
        "[outbound] (a) delivered once in %d ms, attempts %d%n",
        took.toMillis(), entry.getInteger("attempts"));
  }

  @Test
  @Order(2)
  @DisplayName("With the relay down a message is retried, and delivered once the relay is back")
  void retriesUntilRelayStarts() {
    // Fault: the relay is down.
    greenMail.stop();
    greenMail = null;
    String messageId = send(mesh.device(1), REMOTE, "hello later");
    JsonObject deferred =
        eventually(
            DEADLINE,
            () -> {
              JsonObject e = queued(messageId);
              assertThat(e).isNotNull();
              // Deferred (not being tried right now) after at least two failed attempts.
              assertThat(e.getString("state")).isEqualTo("queued");
              assertThat(e.getInteger("attempts")).isGreaterThanOrEqualTo(2);
              assertThat(e.getString("lastError")).isNotBlank();
              return e;
            });
    // Recovery: the relay starts; the next retry delivers it.
    startGreenMail();
    Duration took = eventually(DEADLINE, () -> assertGreenMailCount(messageId, 1));
    JsonObject entry = eventually(DEADLINE, () -> finished(messageId, "delivered"));
    assertThat(entry.getInteger("attempts")).isGreaterThanOrEqualTo(3);
    allTheTime(Duration.ofSeconds(3), () -> assertThat(greenMailCount(messageId)).isEqualTo(1));
    System.out.printf(
        "[outbound] (b) deferred with '%s'; delivered %d ms after the relay started, after %d"
            + " attempts%n",
        deferred.getString("lastError"), took.toMillis(), entry.getInteger("attempts"));
  }

  @Test
  @Order(3)
  @DisplayName("A permanent refusal (550) bounces: a delivery status notification in the INBOX")
  void bouncesPermanentFailure() throws Exception {
    greenMail.stop();
    greenMail = null;
    try (OutboundTestRelay relay = new OutboundTestRelay(relayPort, 0)) {
      String messageId = send(mesh.device(2), "reject-me@example.net", "hello nobody");
      JsonObject entry = eventually(DEADLINE, () -> finished(messageId, "bounced"));
      assertThat(entry.getInteger("attempts")).isEqualTo(1);
      assertThat(entry.getString("lastError")).contains("550");
      assertThat(relay.count(messageId)).isZero();
      // The DSN is in alice's INBOX, once.
      JsonObject dsn =
          eventually(
              DEADLINE,
              () -> {
                List<JsonObject> found =
                    notices(mesh.device(0), messageId, "Undelivered mail: returned to sender");
                assertThat(found).hasSize(1);
                return found.get(0);
              });
      String raw =
          MailTesting.call(
                  mesh.device(1), ALICE, "GET", "/messages/" + dsn.getString("id") + "/raw", null)
              .body();
      assertThat(raw)
          .contains("multipart/report; report-type=delivery-status")
          .contains("Final-Recipient: rfc822; reject-me@example.net")
          .contains("Action: failed")
          .contains("Status: 5.1.1")
          .contains("Diagnostic-Code: smtp; ");
      System.out.printf(
          "[outbound] (c) bounced after %d attempt: %s%n",
          entry.getInteger("attempts"), entry.getString("lastError"));
    }
  }

  @Test
  @Order(4)
  @DisplayName(
      "A planned move of the sender (drain) mid-queue delivers every message exactly once, none in"
          + " doubt")
  void drainMidQueue() throws Exception {
    int count = 30;
    try (OutboundTestRelay relay = new OutboundTestRelay(relayPort, 500)) {
      String from = senderDevice(mesh.device(0));
      DeviceProcess api = mesh.others(mesh.device(from)).get(0);
      // Load: 30 messages through a slow relay.
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ids.add(send(api, REMOTE, "moving " + i));
      }
      eventually(DEADLINE, () -> assertThat(relay.received().size()).isGreaterThanOrEqualTo(5));
      int beforeMove = relay.received().size();
      // Planned move: drain the sender's device; the new instance starts before the old stops.
      long drainedAt = System.nanoTime();
      assertThat(drain(api, from, "drain")).isEqualTo(200);
      try {
        String to =
            eventually(
                DEADLINE,
                () -> {
                  String now = senderDevice(api);
                  assertThat(now).isNotNull().isNotEqualTo(from);
                  return now;
                });
        Map<String, JsonObject> done = finishedAll(api, ids, Duration.ofSeconds(120));
        double seconds = (System.nanoTime() - drainedAt) / 1e9;
        // Verdict: every message delivered, exactly once; nothing in doubt.
        for (String id : ids) {
          assertThat(done.get(id).getString("state")).as("state of %s", id).isEqualTo("delivered");
          assertThat(relay.count(id)).as("copies of %s", id).isEqualTo(1);
        }
        allTheTime(
            Duration.ofSeconds(3),
            () -> ids.forEach(id -> assertThat(relay.count(id)).isEqualTo(1)));
        System.out.printf(
            "[outbound] (e) %d queued; %d at the relay when %s was drained; the sender moved to"
                + " %s; queue finished %.1f s after the drain; %d delivered exactly once, 0 in"
                + " doubt, duplicates 0%n",
            count, beforeMove, from, to, seconds, count);
      } finally {
        assertThat(drain(api, from, "undrain")).isEqualTo(200);
      }
    }
  }

  @Test
  @Order(5)
  @DisplayName(
      "Killing the sender's device mid-queue sends each message at most once, and every message"
          + " not in doubt exactly once")
  void killSenderMidQueue() throws Exception {
    int count = 50;
    try (OutboundTestRelay relay = new OutboundTestRelay(relayPort, 1_000)) {
      String senderName = senderDevice(mesh.device(0));
      DeviceProcess sender = mesh.device(senderName);
      DeviceProcess api = mesh.others(sender).get(0);
      DeviceProcess survivor = mesh.others(sender).get(1);
      // Load: 50 messages, queued through a device that will survive.
      List<String> ids = new ArrayList<>();
      Map<String, String> sentCopy = new HashMap<>();
      for (int i = 0; i < count; i++) {
        JsonObject answer = sendFull(api, REMOTE, "queued " + i);
        ids.add(answer.getString("messageId"));
        sentCopy.put(answer.getString("messageId"), answer.getString("id"));
      }
      // Fault: once some are through, kill -9 the device that runs the sender, mid-transaction.
      eventually(DEADLINE, () -> assertThat(relay.received().size()).isGreaterThanOrEqualTo(10));
      int beforeKill = relay.received().size();
      sender.kill9();
      long killedAt = System.nanoTime();
      // Recovery: another device takes over the sender and finishes the queue.
      Map<String, JsonObject> done = finishedAll(survivor, ids, Duration.ofSeconds(120));
      double recoverySeconds = (System.nanoTime() - killedAt) / 1e9;
      // Verdict.
      int delivered = 0;
      int inDoubt = 0;
      int inDoubtReceived = 0;
      String someDelivered = null;
      for (String id : ids) {
        String state = done.get(id).getString("state");
        long received = relay.count(id);
        assertThat(received).as("copies of %s at the relay", id).isLessThanOrEqualTo(1);
        assertThat(state).as("state of %s", id).isIn("delivered", "in_doubt");
        if (state.equals("delivered")) {
          assertThat(received).as("copies of delivered %s", id).isEqualTo(1);
          delivered++;
          someDelivered = id;
        } else {
          inDoubt++;
          inDoubtReceived += (int) received;
          // The sender is told, once.
          eventually(
              DEADLINE,
              () -> assertThat(notices(survivor, id, "Delivery status unknown")).hasSize(1));
        }
      }
      // The bytes went out as stored: the relay got exactly the Sent copy's bytes.
      String stored =
          MailTesting.call(
                  survivor, ALICE, "GET", "/messages/" + sentCopy.get(someDelivered) + "/raw", null)
              .body();
      String atRelay = null;
      for (OutboundTestRelay.Received r : relay.received()) {
        if (someDelivered.equals(r.messageId())) {
          atRelay = new String(r.data(), java.nio.charset.StandardCharsets.UTF_8);
        }
      }
      assertThat(atRelay).isEqualTo(stored);
      allTheTime(
          Duration.ofSeconds(3),
          () -> ids.forEach(id -> assertThat(relay.count(id)).isLessThanOrEqualTo(1)));
      System.out.printf(
          "[outbound] (d) %d queued; %d at the relay before the kill of %s; queue finished %.1f s"
              + " after it; %d delivered exactly once, %d in doubt (%d of them had reached the"
              + " relay, %d had not); duplicates 0; %d connections' worth received in all%n",
          count,
          beforeKill,
          senderName,
          recoverySeconds,
          delivered,
          inDoubt,
          inDoubtReceived,
          inDoubt - inDoubtReceived,
          relay.received().size());
    }
  }

  @Test
  @Order(6)
  @DisplayName(
      "After a full power loss (every device killed, then restarted from its home) queued mail"
          + " still goes out, once, and new mail too")
  void fullPowerLoss() throws Exception {
    // Load: with the relay down, a message waits in the queue.
    DeviceProcess alive = mesh.devices().stream().filter(DeviceProcess::isAlive).findFirst().get();
    String before = send(alive, REMOTE, "before the power loss");
    eventually(
        DEADLINE,
        () -> assertThat(queued(alive, before).getInteger("attempts")).isGreaterThanOrEqualTo(1));
    // Fault: every device dies at once.
    for (DeviceProcess d : mesh.devices()) {
      if (d.isAlive()) {
        d.kill9();
      }
    }
    // Recovery: every device starts again from its home, on its old cluster port. The placement
    // epochs start again too, lower than the one the old sender recorded in the vault.
    long restartAt = System.nanoTime();
    List<DeviceProcess> restarted = new ArrayList<>();
    for (DeviceProcess old : mesh.devices()) {
      DeviceProcess.Builder builder =
          mesh.newDevice(old.name())
              .clusterPort(old.clusterPort())
              .flag("home", old.home().toString());
      configure(builder);
      restarted.add(mesh.startExtra(builder));
    }
    for (DeviceProcess d : restarted) {
      d.awaitHealthy(Duration.ofSeconds(90));
    }
    try (OutboundTestRelay relay = new OutboundTestRelay(relayPort, 0)) {
      String after = send(restarted.get(1), REMOTE, "after the power loss");
      Map<String, JsonObject> done =
          finishedAll(restarted.get(2), List.of(before, after), Duration.ofSeconds(120));
      assertThat(done.get(before).getString("state")).isEqualTo("delivered");
      assertThat(done.get(after).getString("state")).isEqualTo("delivered");
      allTheTime(
          Duration.ofSeconds(3),
          () -> {
            assertThat(relay.count(before)).isEqualTo(1);
            assertThat(relay.count(after)).isEqualTo(1);
          });
      System.out.printf(
          "[outbound] (f) full power loss: the queued message and a new one were delivered once"
              + " each, %.1f s after the restart began%n",
          (System.nanoTime() - restartAt) / 1e9);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  private void startGreenMail() {
    greenMail = new GreenMail(new ServerSetup(relayPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
  }

  private void assertGreenMailCount(String messageId, long expected) throws MessagingException {
    assertThat(greenMailCount(messageId)).isEqualTo(expected);
  }

  private long greenMailCount(String messageId) throws MessagingException {
    long n = 0;
    for (MimeMessage m : greenMail.getReceivedMessages()) {
      if (("<" + messageId + ">").equals(m.getMessageID())) {
        n++;
      }
    }
    return n;
  }

  /** Sends a message from alice through {@code device}'s mail API; returns its Message-ID. */
  private String send(DeviceProcess device, String to, String subject) {
    return sendFull(device, to, subject).getString("messageId");
  }

  /** Sends a message from alice; gives the API's answer ({@code id}, {@code messageId}, ...). */
  private JsonObject sendFull(DeviceProcess device, String to, String subject) {
    JsonObject body =
        new JsonObject()
            .put("to", new JsonArray().add(to))
            .put("subject", subject)
            .put("text", "Hello from the outbound test: " + subject);
    return eventually(
        DEADLINE,
        () -> {
          Http.Response response = MailTesting.call(device, ALICE, "POST", "/send", body.encode());
          assertThat(response.status()).as("%s", response).isEqualTo(202);
          return response.json();
        });
  }

  /** The notices in alice's INBOX that answer {@code messageId} and have {@code subject}. */
  private static List<JsonObject> notices(DeviceProcess device, String messageId, String subject) {
    List<JsonObject> found = new ArrayList<>();
    for (Object o : MailTesting.messages(device, ALICE, "INBOX")) {
      JsonObject m = (JsonObject) o;
      if (subject.equals(m.getString("subject")) && messageId.equals(m.getString("inReplyTo"))) {
        found.add(m);
      }
    }
    return found;
  }

  private static String operator(DeviceProcess device) {
    return Credentials.operatorToken(device.home()).orElseThrow();
  }

  /** The outbound queue as an administrator sees it on {@code device}. */
  private static JsonArray queue(DeviceProcess device, boolean done) {
    Http.Response r =
        Http.raw(
            "GET",
            device.httpUrl() + "/api/outbound/queue" + (done ? "?done=true" : ""),
            null,
            "Authorization",
            "Bearer " + operator(device));
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.jsonArray();
  }

  private JsonObject queued(String messageId) {
    return queued(mesh.device(0), messageId);
  }

  private static JsonObject queued(DeviceProcess device, String messageId) {
    for (Object o : queue(device, false)) {
      JsonObject e = (JsonObject) o;
      if (messageId.equals(e.getString("messageId"))) {
        return e;
      }
    }
    return null;
  }

  private JsonObject finished(String messageId, String state) {
    for (DeviceProcess d : mesh.devices()) {
      if (!d.isAlive()) {
        continue;
      }
      for (Object o : queue(d, true)) {
        JsonObject e = (JsonObject) o;
        if (messageId.equals(e.getString("messageId"))) {
          assertThat(e.getString("state")).isEqualTo(state);
          return e;
        }
      }
      throw new AssertionError(messageId + " is not finished yet");
    }
    throw new AssertionError("no device alive");
  }

  /** Waits until every message of {@code ids} is finished; gives the entries by Message-ID. */
  private static Map<String, JsonObject> finishedAll(
      DeviceProcess device, List<String> ids, Duration deadline) {
    return eventually(
        deadline,
        () -> {
          Map<String, JsonObject> byId = new HashMap<>();
          for (Object o : queue(device, true)) {
            JsonObject e = (JsonObject) o;
            byId.put(e.getString("messageId"), e);
          }
          assertThat(byId.keySet()).containsAll(ids);
          return byId;
        });
  }

  private static int drain(DeviceProcess via, String device, String action) {
    return Http.send(
            "POST",
            via.httpUrl() + "/api/mesh/devices/" + device + "/" + action,
            "application/json",
            new byte[0])
        .status();
  }

  /** The device that runs the outbound sender, as {@code device} sees the placements. */
  private static String senderDevice(DeviceProcess device) {
    for (Object o : Http.getJsonArray(device.httpUrl() + "/api/mesh/services")) {
      JsonObject s = (JsonObject) o;
      if ("outbound".equals(s.getString("service")) && "running".equals(s.getString("state"))) {
        return s.getString("device");
      }
    }
    return null;
  }
}
