package dev.kith.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * alice's only device is down: her login is refused with a stream error that says why, bob's
 * messages to her are kept, and once her device is back they reach her in order, then stay in her
 * archive.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
@DisplayName("Chat for an owner whose devices are all down")
class ChatOfflineTest {

  private static final int COUNT = 5;

  @Test
  @DisplayName(
      "refuses alice's login with resource-constraint, keeps bob's messages, and delivers them in"
          + " order when her device returns")
  void keepsMessagesUntilADeviceReturns() {
    ChatTesting.requireSlixmpp();
    try (LocalMesh mesh = ChatTesting.startMesh("d1.alice", "d2.bob", "d3.bob")) {
      DeviceProcess d1 = mesh.device("d1.alice");
      DeviceProcess d2 = mesh.device("d2.bob");
      JsonObject config =
          new JsonObject()
              .put("domain", ChatTesting.DOMAIN)
              .put("alice_pw", Credentials.ownerPassword(d2, "alice"))
              .put("bob_pw", Credentials.ownerPassword(d2, "bob"))
              .put("port", ChatTesting.xmppPort(d2))
              .put("count", COUNT);
      Eventually.eventually(
          Duration.ofSeconds(60),
          () -> assertThat(ChatTesting.chatDeviceNow(d2, "alice")).isEqualTo("d1.alice"));
      d1.kill9();
      Eventually.eventually(
          Duration.ofSeconds(60),
          () -> assertThat(ChatTesting.chatDeviceNow(d2, "alice")).isNull());

      JsonObject refused = ChatTesting.python("/chat/offline.py", 120, "refused", config.encode());
      assertThat(refused.getBoolean("online")).as("alice logged in: %s", refused).isFalse();
      assertThat(refused.getJsonObject("error").getString("condition"))
          .isEqualTo("resource-constraint");
      assertThat(refused.getJsonObject("error").getString("text"))
          .contains("None of alice's own devices is up");

      JsonObject sent = ChatTesting.python("/chat/offline.py", 120, "send", config.encode());
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < COUNT; i++) {
        expected.add("offline-" + i);
      }
      assertThat(sent.getJsonArray("acked").getList()).isEqualTo(expected);

      DeviceProcess.Builder again = mesh.newDevice("d1.alice");
      ChatTesting.withChat(again);
      DeviceProcess back = mesh.startExtra(again);
      back.awaitHealthy(LocalMesh.START_TIMEOUT);
      ChatTesting.awaitXmpp(back);
      Eventually.eventually(
          Duration.ofSeconds(60),
          () -> assertThat(ChatTesting.chatDeviceNow(d2, "alice")).isEqualTo("d1.alice"));

      JsonObject got = ChatTesting.python("/chat/offline.py", 120, "receive", config.encode());
      assertThat(got.getJsonArray("received").getList()).as("%s", got).isEqualTo(expected);
      assertThat(got.getJsonArray("archived").getList()).isEqualTo(expected);
    }
  }
}
