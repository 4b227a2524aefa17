package dev.kith.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Chat across devices with a real client (slixmpp): alice has two devices and a resource on each,
 * bob has a third device and sends from it.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
@DisplayName("Chat on the mesh")
class ChatMeshTest {

  static final int COUNT = 30;

  @Test
  @DisplayName(
      "every message from bob reaches both of alice's resources on two other devices, one"
          + " directly and one as a carbon, in order, exactly once")
  void messagesReachBothResources() {
    ChatTesting.requireSlixmpp();
    try (LocalMesh mesh = ChatTesting.startMesh("d1.alice", "d2.alice", "d3.bob")) {
      DeviceProcess d1 = mesh.device("d1.alice");
      DeviceProcess d2 = mesh.device("d2.alice");
      DeviceProcess d3 = mesh.device("d3.bob");
      JsonObject config =
          new JsonObject()
              .put("domain", ChatTesting.DOMAIN)
              .put("alice_pw", Credentials.ownerPassword(d1, "alice"))
              .put("bob_pw", Credentials.ownerPassword(d1, "bob"))
              .put("a1_ports", List.of(ChatTesting.xmppPort(d1)))
              .put("a2_ports", List.of(ChatTesting.xmppPort(d2)))
              .put("bob_ports", List.of(ChatTesting.xmppPort(d3)))
              .put("count", COUNT)
              .put("interval", 0.05)
              .put("settle", 30);
      try (ChatTesting.Script script = ChatTesting.start("/chat/failover.py", config.encode())) {
        script.awaitLine("READY", 120);
        JsonObject out = script.result(120);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
          expected.add(String.format("m%04d", i));
        }
        assertThat(out.getJsonArray("acked").getList())
            .as("acknowledged to bob")
            .isEqualTo(expected);
        for (String r : List.of("a1", "a2")) {
          JsonObject live = out.getJsonObject(r).getJsonObject("live");
          assertThat(new ArrayList<>(live.fieldNames()))
              .as("%s got, in order", r)
              .isEqualTo(expected);
          for (String body : expected) {
            assertThat(live.getJsonArray(body)).as("%s: %s once", r, body).hasSize(1);
          }
          assertThat(out.getJsonObject(r).getJsonArray("live_duplicates")).isEmpty();
          String kind = r.equals("a1") ? "direct" : "carbon";
          JsonObject kinds = out.getJsonObject(r).getJsonObject("kinds");
          for (String body : expected) {
            assertThat(kinds.getJsonArray(body).getList())
                .as("%s: %s", r, body)
                .containsExactly(kind);
          }
        }
        for (String body : expected) {
          assertThat(out.getJsonObject("a1").getJsonObject("live").getJsonArray(body))
              .as("one stanza id for %s on both resources", body)
              .isEqualTo(out.getJsonObject("a2").getJsonObject("live").getJsonArray(body));
        }
      }
    }
  }
}
