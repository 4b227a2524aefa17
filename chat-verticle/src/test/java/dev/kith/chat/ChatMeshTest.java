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

/** Chat across devices with real clients: alice has two devices, bob one. */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
@DisplayName("Chat on the mesh")
class ChatMeshTest {

  @Test
  @DisplayName("bob's messages reach alice through other devices, in order, exactly once")
  void messagesCrossDevices() {
    ChatTesting.requireSlixmpp();
    try (LocalMesh mesh =
        LocalMesh.options()
            .names("d1.alice", "d2.alice", "d3.bob")
            .each(ChatTesting::withChat)
            .start()) {
      DeviceProcess d1 = mesh.device("d1.alice");
      DeviceProcess d3 = mesh.device("d3.bob");
      String alicePw = Credentials.ownerPassword(d1, "alice");
      String bobPw = Credentials.ownerPassword(d1, "bob");
      JsonObject out =
          ChatTesting.python(
              "/chat/smoke.py",
              120,
              "127.0.0.1",
              ChatTesting.xmppPort(d1),
              ChatTesting.xmppPort(d3),
              ChatTesting.DOMAIN,
              alicePw,
              bobPw,
              20);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        expected.add("m" + i);
      }
      assertThat(out.getJsonArray("received").getList()).isEqualTo(expected);
    }
  }
}
