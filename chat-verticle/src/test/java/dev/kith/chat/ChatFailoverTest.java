package dev.kith.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The device running alice's chat fails while bob sends a message every 100 ms: alice has two
 * devices, bob a third. alice's resource on the failing device reconnects to another device and
 * resumes or asks the archive; every message the server acknowledged to bob (XEP-0198) reaches both
 * of alice's resources exactly once, and alice's chat runs only on her own devices.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(900)
@DisplayName("Chat when alice's chat device fails")
class ChatFailoverTest {

  private static final int COUNT = 150;
  private static final Duration MOVE_DEADLINE = Duration.ofSeconds(60);

  @Test
  @DisplayName("kill -9 of the device that runs alice's chat loses no acknowledged message")
  void crash() throws Exception {
    run(false);
  }

  @Test
  @DisplayName(
      "an 8 s SIGSTOP of the device that runs alice's chat loses no acknowledged message and"
          + " leaves one chat instance of alice")
  void hang() throws Exception {
    run(true);
  }

  private void run(boolean hang) throws Exception {
    ChatTesting.requireSlixmpp();
    try (LocalMesh mesh = ChatTesting.startMesh("d1.alice", "d2.alice", "d3.bob")) {
      DeviceProcess d3 = mesh.device("d3.bob");
      String alicePw = Credentials.ownerPassword(d3, "alice");
      String bobPw = Credentials.ownerPassword(d3, "bob");
      String running =
          Eventually.eventually(
              MOVE_DEADLINE,
              () -> {
                String d = ChatTesting.chatDeviceNow(d3, "alice");
                assertThat(d).as("alice's chat runs").isNotNull();
                return d;
              });
      DeviceProcess failing = mesh.device(running);
      DeviceProcess other = mesh.device(running.equals("d1.alice") ? "d2.alice" : "d1.alice");
      JsonObject config =
          new JsonObject()
              .put("domain", ChatTesting.DOMAIN)
              .put("alice_pw", alicePw)
              .put("bob_pw", bobPw)
              .put("a1_ports", List.of(ChatTesting.xmppPort(failing), ChatTesting.xmppPort(d3)))
              .put("a2_ports", List.of(ChatTesting.xmppPort(other)))
              .put("bob_ports", List.of(ChatTesting.xmppPort(d3)))
              .put("count", COUNT)
              .put("interval", 0.1)
              .put("settle", 60);
      try (ChatTesting.Script script = ChatTesting.start("/chat/failover.py", config.encode())) {
        script.awaitLine("READY", 120);
        script.awaitLine("SENT 30", 60);
        if (hang) {
          failing.pause();
          script.awaitLine("SENT 110", 60);
          failing.resume();
        } else {
          failing.kill9();
        }
        JsonObject out = script.result(300);
        check(out, script);
      }
      String now =
          Eventually.eventually(
              MOVE_DEADLINE,
              () -> {
                String d = ChatTesting.chatDeviceNow(d3, "alice");
                assertThat(d).as("alice's chat runs again").isNotNull();
                return d;
              });
      assertThat(now).as("alice's chat runs on her own device").endsWith(".alice");
      if (hang) {
        for (DeviceProcess d : mesh.devices()) {
          Eventually.eventually(
              MOVE_DEADLINE,
              () -> assertThat(ChatTesting.chatInstances(d, "alice")).as("on %s", d).isEqualTo(1));
        }
      }
      String bobLog = Files.readString(d3.directory().resolve("stdout.log"));
      assertThat(bobLog)
          .as("bob's device never ran alice's chat")
          .doesNotContain("chat of alice open");
    }
  }

  private static void check(JsonObject out, ChatTesting.Script script) {
    JsonArray acked = out.getJsonArray("acked");
    System.out.printf(
        "[chat] %d sent, %d acknowledged to bob; a1: %d sessions, %d resumed; a2: %d sessions%n",
        out.getInteger("sent"),
        acked.size(),
        out.getJsonObject("a1").getInteger("sessions"),
        out.getJsonObject("a1").getInteger("resumed"),
        out.getJsonObject("a2").getInteger("sessions"));
    assertThat(acked.size())
        .as("most of bob's messages were acknowledged")
        .isGreaterThan(COUNT / 2);
    for (String r : List.of("a1", "a2")) {
      JsonObject report = out.getJsonObject(r);
      JsonObject live = report.getJsonObject("live");
      JsonObject archive = report.getJsonObject("archive");
      assertThat(report.getJsonArray("live_duplicates")).as("%s got nothing twice", r).isEmpty();
      for (Object o : acked) {
        String body = (String) o;
        Set<Object> ids = new HashSet<>();
        if (live.containsKey(body)) {
          assertThat(live.getJsonArray(body)).as("%s got %s live once", r, body).hasSize(1);
          ids.addAll(live.getJsonArray(body).getList());
        }
        if (archive.containsKey(body)) {
          ids.addAll(archive.getJsonArray(body).getList());
        }
        assertThat(ids)
            .as("%s has acknowledged %s exactly once (stanza ids); log:%n%s", r, body, script.log())
            .hasSize(1);
      }
    }
  }
}
