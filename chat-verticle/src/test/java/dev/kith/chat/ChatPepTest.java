package dev.kith.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** PEP (XEP-0163) with publish-options, as OMEMO clients use it, through slixmpp. */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
@DisplayName("PEP")
class ChatPepTest {

  @Test
  @DisplayName(
      "an OMEMO device list published with access model open reaches alice's other resource and"
          + " bob; a whitelist node is refused to bob with forbidden and given to alice")
  void publishOptionsDecideWhoReads() {
    try (LocalMesh mesh = ChatTesting.startMesh("d1.alice", "d2.bob")) {
      DeviceProcess d1 = mesh.device("d1.alice");
      JsonObject out =
          ChatTesting.python(
              "/chat/pep.py",
              120,
              ChatTesting.xmppPort(d1),
              ChatTesting.DOMAIN,
              Credentials.ownerPassword(d1, "alice"),
              Credentials.ownerPassword(d1, "bob"));
      assertThat(out.getJsonArray("a2_events").getList()).contains("urn:xmpp:omemo:2:devices");
      assertThat(out.getJsonArray("bob_devices").getList()).isEqualTo(List.of("12345"));
      assertThat(out.getString("bob_private")).isEqualTo("forbidden");
      assertThat(out.getJsonArray("own_private").getList()).isEqualTo(List.of("only mine"));
    }
  }
}
