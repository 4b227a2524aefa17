package dev.kith.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DebianPackages;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * XMPP over WebSocket (RFC 7395) on the HTTP edge, found through {@code /.well-known/host-meta}
 * (XEP-0156), with Debian's websocket-client: what a browser client such as converse.js does.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
@DisplayName("XMPP over WebSocket")
class ChatWebSocketTest {

  @Test
  @DisplayName(
      "host-meta names /xmpp-websocket; alice and bob log in over it with the xmpp subprotocol,"
          + " bob's messages reach alice, and a close is answered")
  void webSocketChat() {
    DebianPackages.require(
        Path.of("/usr/lib/python3/dist-packages/websocket/__init__.py"), "python3-websocket");
    try (LocalMesh mesh = ChatTesting.startMesh("d1.alice", "d2.bob")) {
      DeviceProcess d1 = mesh.device("d1.alice");
      JsonObject out =
          ChatTesting.python(
              "/chat/websocket.py",
              120,
              d1.httpPort(),
              ChatTesting.DOMAIN,
              Credentials.ownerPassword(d1, "alice"),
              Credentials.ownerPassword(d1, "bob"));
      assertThat(out.getString("url"))
          .isEqualTo("ws://127.0.0.1:" + d1.httpPort() + "/xmpp-websocket");
      assertThat(out.getJsonObject("alice").getString("subprotocol")).isEqualTo("xmpp");
      assertThat(out.getJsonObject("alice").getString("jid"))
          .isEqualTo("alice@" + ChatTesting.DOMAIN + "/web");
      assertThat(out.getJsonObject("alice").getJsonArray("mechanisms").getList())
          .contains("SCRAM-SHA-256", "PLAIN");
      assertThat(out.getJsonArray("received").getList()).isEqualTo(List.of("ws-0", "ws-1", "ws-2"));
      assertThat(out.getBoolean("closed")).isTrue();
    }
  }
}
