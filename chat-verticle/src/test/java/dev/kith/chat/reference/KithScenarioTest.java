package dev.kith.chat.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.chat.ChatTesting;
import dev.kith.chat.reference.XmppScenario.Tls;
import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reference scenario that {@link ProsodyScenarioTest} passes against Debian's Prosody, against
 * Kith: alice's and bob's two resources each, through the devices of a three-device mesh (alice's
 * chat on one of her two devices, bob's on his), over STARTTLS and over direct TLS.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
@DisplayName("The reference XMPP scenario against Kith")
class KithScenarioTest {

  @BeforeAll
  static void debianPackages() {
    XmppScenario.require();
  }

  @Test
  @DisplayName(
      "passes every step Prosody passes: roster, presence, carbons, MAM paging with matching"
          + " stanza ids, and stream resumption, over STARTTLS on one device and direct TLS on"
          + " another")
  void everyStepPassesAgainstKith() {
    try (LocalMesh mesh = ChatTesting.startMesh("d1.alice", "d2.alice", "d3.bob")) {
      DeviceProcess d1 = mesh.device("d1.alice");
      DeviceProcess d3 = mesh.device("d3.bob");
      String alice = Credentials.ownerPassword(d1, "alice");
      String bob = Credentials.ownerPassword(d1, "bob");
      for (Tls tls : Tls.values()) {
        DeviceProcess through = tls == Tls.STARTTLS ? d3 : d1;
        int port =
            tls == Tls.STARTTLS ? ChatTesting.xmppPort(through) : ChatTesting.xmppsPort(through);
        XmppScenario.Result result =
            XmppScenario.against("127.0.0.1", port, ChatTesting.DOMAIN)
                .alice("alice", alice)
                .bob("bob", bob)
                .tls(tls)
                .attempt();
        assertThat(result.passed()).as(() -> tls + ": " + result.describe()).isTrue();
        JsonObject steps = result.json().getJsonObject("steps");
        assertThat(XmppScenario.STEPS)
            .allSatisfy(s -> assertThat(steps.getBoolean(s)).as("%s: %s", tls, s).isTrue());
      }
    }
  }
}
