package dev.kith.mesh.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProcSocketsTest {

  @BeforeEach
  void littleEndian() {
    // The samples below were printed by a little-endian kernel.
    assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  @DisplayName("IPv4 addresses are read in host byte order")
  void ipv4() {
    assertThat(ProcSockets.parseEndpoint("0100007F:1F90"))
        .isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
    assertThat(ProcSockets.parseAddress("0202A8C0").getHostAddress()).isEqualTo("192.168.2.2");
    assertThat(ProcSockets.parseAddress("00000000").isAnyLocalAddress()).isTrue();
  }

  @Test
  @DisplayName("IPv6 addresses are read word by word, and IPv4-mapped ones come back as IPv4")
  void ipv6() {
    assertThat(ProcSockets.parseAddress("00000000000000000000000001000000").getHostAddress())
        .isEqualTo("0:0:0:0:0:0:0:1");
    assertThat(ProcSockets.parseAddress("B80D0120000000000000000001000000").getHostAddress())
        .isEqualTo("2001:db8:0:0:0:0:0:1");
    assertThat(ProcSockets.parseAddress("0000000000000000FFFF00000100007F").getHostAddress())
        .isEqualTo("127.0.0.1");
    assertThat(ProcSockets.parseAddress("0000000000000000FFFF00000100007F").isLoopbackAddress())
        .isTrue();
    assertThat(ProcSockets.parseAddress("00000000000000000000000000000000").isAnyLocalAddress())
        .isTrue();
  }

  @Test
  @DisplayName("A table line gives protocol, both ends, state and inode")
  void table() {
    String table =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
            + " inode\n"
            + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 "
            + "       0 4242 1 0000000000000000 100 0 0 10 0\n"
            + "   1: 0100007F:D431 0202A8C0:0050 01 00000000:00000000 00:00000000 00000000     0 "
            + "       0 4343 1 0000000000000000 20 4 30 10 -1\n";

    List<ProcSockets.Socket> sockets = ProcSockets.parseTable("tcp", table);

    assertThat(sockets).hasSize(2);
    assertThat(sockets.get(0).state()).isEqualTo("LISTEN");
    assertThat(sockets.get(0).hasRemote()).isFalse();
    assertThat(sockets.get(0).inode()).isEqualTo(4242);
    assertThat(sockets.get(1).hasRemote()).isTrue();
    assertThat(sockets.get(1).remoteIsLoopback()).isFalse();
    assertThat(sockets.get(1)).hasToString("tcp 127.0.0.1:54321 -> 192.168.2.2:80 ESTABLISHED");
  }

  @Test
  @DisplayName("The sockets of a live process are found through its file descriptors")
  void ownProcess() throws IOException {
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));

      List<ProcSockets.Socket> sockets = ProcSockets.socketsOf(ProcessHandle.current().pid());

      assertThat(sockets)
          .anySatisfy(
              socket -> {
                assertThat(socket.local().getPort()).isEqualTo(server.getLocalPort());
                assertThat(socket.state()).isEqualTo("LISTEN");
              });
    }
  }
}
