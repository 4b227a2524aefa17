package dev.kith.dns.protocol;

import static dev.kith.dns.protocol.DnsAnswererTest.address;
import static dev.kith.dns.protocol.DnsAnswererTest.name;
import static dev.kith.dns.protocol.DnsAnswererTest.query;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.dns.protocol.DnsAnswerer.Outcome;
import dev.kith.dns.protocol.RateLimiter.Decision;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

class DnsServerTest {

  static final String HOST = "127.0.0.1";
  static final Duration DEADLINE = Duration.ofSeconds(5);
  static final ARecord LAPTOP_A =
      new ARecord(name("laptop.alice.mesh.test."), DClass.IN, 30, address("10.0.0.1"));

  static Vertx vertx;

  final RecordingListener listener = new RecordingListener();
  DnsServer server;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().await(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close().await(5, TimeUnit.SECONDS);
    }
    assertThat(listener.failures).isEmpty();
  }

  @Test
  @DisplayName("The same port answers over UDP and over TCP")
  void udpAndTcp() throws Exception {
    start(RateLimiter.UNLIMITED, DnsServer.Limits.DEFAULT);

    Message overUdp = resolver(false).send(query("laptop.alice.mesh.test.", Type.A));
    Message overTcp = resolver(true).send(query("nobody.mesh.test.", Type.A));

    assertThat(overUdp.getSection(Section.ANSWER)).containsExactly(LAPTOP_A);
    assertThat(overTcp.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    eventually(
        DEADLINE,
        () -> {
          assertThat(listener.count("answered udp A NOERROR")).isEqualTo(1);
          assertThat(listener.count("answered tcp A NXDOMAIN")).isEqualTo(1);
        });
  }

  @Test
  @DisplayName("Malformed datagrams are dropped and counted, and the server keeps answering")
  void malformedDatagram() throws Exception {
    start(RateLimiter.UNLIMITED, DnsServer.Limits.DEFAULT);
    Message response = query("laptop.alice.mesh.test.", Type.A);
    response.getHeader().setFlag(Flags.QR);

    try (DatagramSocket socket = new DatagramSocket()) {
      send(socket, new byte[] {1, 2, 3, 4, 5});
      send(socket, response.toWire());
      send(socket, new byte[DnsServer.MAX_UDP_QUERY_BYTES + 1]);
    }

    eventually(
        DEADLINE,
        () -> {
          assertThat(listener.count("dropped udp size")).isEqualTo(2);
          assertThat(listener.count("dropped udp malformed")).isEqualTo(1);
        });
    Message reply = resolver(false).send(query("laptop.alice.mesh.test.", Type.A));
    assertThat(reply.getSection(Section.ANSWER)).containsExactly(LAPTOP_A);
  }

  @Test
  @DisplayName("A UDP flood from one address is limited, with some TC=1 slips, while TCP works")
  void floodIsLimited() throws Exception {
    start(new RateLimiter(20, 1000), DnsServer.Limits.DEFAULT);
    int answered = 0;
    int slipped = 0;

    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(500);
      for (int i = 0; i < 200; i++) {
        send(socket, query("laptop.alice.mesh.test.", Type.A).toWire());
      }
      byte[] buffer = new byte[2048];
      long end = System.nanoTime() + DEADLINE.toNanos();
      while (System.nanoTime() < end) {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          break; // the server has sent all it will
        }
        Message reply = new Message(Arrays.copyOf(buffer, packet.getLength()));
        if (reply.getHeader().getFlag(Flags.TC)) {
          slipped++;
        } else {
          answered++;
        }
      }
    }

    assertThat(answered).isBetween(1, 100);
    assertThat(slipped).isPositive();
    assertThat(listener.count("limited DROP")).isPositive();
    Message overTcp = resolver(true).send(query("laptop.alice.mesh.test.", Type.A));
    assertThat(overTcp.getSection(Section.ANSWER)).containsExactly(LAPTOP_A);
  }

  @Test
  @DisplayName("Pipelined TCP queries on one connection are all answered, in order")
  void pipelinedTcp() throws Exception {
    start(RateLimiter.UNLIMITED, DnsServer.Limits.DEFAULT);
    Message first = query("laptop.alice.mesh.test.", Type.A);
    Message second = query("laptop.alice.mesh.test.", Type.AAAA);

    try (Socket socket = connect()) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      writeFrame(out, first);
      writeFrame(out, second);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      Message firstReply = readFrame(in);
      Message secondReply = readFrame(in);

      assertThat(firstReply.getHeader().getID()).isEqualTo(first.getHeader().getID());
      assertThat(firstReply.getSection(Section.ANSWER))
          .extracting(Record::getType)
          .containsExactly(Type.A);
      assertThat(secondReply.getHeader().getID()).isEqualTo(second.getHeader().getID());
      assertThat(secondReply.getSection(Section.ANSWER))
          .extracting(Record::getType)
          .containsExactly(Type.AAAA);
    }
  }

  @Test
  @DisplayName("A TCP frame too short for a header closes the connection")
  void malformedFrame() throws Exception {
    start(RateLimiter.UNLIMITED, DnsServer.Limits.DEFAULT);

    try (Socket socket = connect()) {
      socket.getOutputStream().write(new byte[] {0, 3, 1, 2, 3});
      assertClosedByServer(socket);
    }
    eventually(DEADLINE, () -> assertThat(listener.count("dropped tcp malformed")).isEqualTo(1));
  }

  @Test
  @DisplayName("Connections beyond the limit are closed at once")
  void connectionLimit() throws Exception {
    start(RateLimiter.UNLIMITED, new DnsServer.Limits(1, Duration.ofSeconds(10)));

    try (Socket first = connect();
        Socket second = connect()) {
      assertClosedByServer(second);
      DataOutputStream out = new DataOutputStream(first.getOutputStream());
      writeFrame(out, query("laptop.alice.mesh.test.", Type.A));
      assertThat(readFrame(new DataInputStream(first.getInputStream())).getRcode())
          .isEqualTo(Rcode.NOERROR);
    }
    eventually(DEADLINE, () -> assertThat(listener.count("dropped tcp connections")).isEqualTo(1));
  }

  @Test
  @DisplayName("An idle TCP connection is closed after the idle timeout")
  void idleTimeout() throws Exception {
    start(RateLimiter.UNLIMITED, new DnsServer.Limits(10, Duration.ofMillis(300)));

    try (Socket socket = connect()) {
      assertClosedByServer(socket);
    }
  }

  private void start(RateLimiter limiter, DnsServer.Limits limits) throws Exception {
    ZoneSnapshot zones =
        ZoneSnapshot.builder()
            .zone(name("mesh.test."), name("ns1.mesh.test."), name("hostmaster.mesh.test."), 1, 60)
            .add(LAPTOP_A)
            .add(new AAAARecord(name("laptop.alice.mesh.test."), DClass.IN, 30, address("fd00::1")))
            .build();
    server = new DnsServer(vertx, () -> zones, limiter, listener, limits);
    server.listen(HOST, 0).await(5, TimeUnit.SECONDS);
    assertThat(server.port()).isPositive();
  }

  private SimpleResolver resolver(boolean tcp) {
    SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(HOST, server.port()));
    resolver.setTCP(tcp);
    resolver.setIgnoreTruncation(true);
    resolver.setTimeout(Duration.ofSeconds(2));
    return resolver;
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(HOST, server.port());
    socket.setSoTimeout((int) DEADLINE.toMillis());
    return socket;
  }

  private void send(DatagramSocket socket, byte[] bytes) throws IOException {
    socket.send(
        new DatagramPacket(bytes, bytes.length, new InetSocketAddress(HOST, server.port())));
  }

  private static void writeFrame(DataOutputStream out, Message query) throws IOException {
    byte[] wire = query.toWire();
    out.writeShort(wire.length);
    out.write(wire);
  }

  private static Message readFrame(DataInputStream in) throws IOException {
    byte[] wire = new byte[in.readUnsignedShort()];
    in.readFully(wire);
    return new Message(wire);
  }

  /** Reads until the server closes; a read timeout (the deadline) fails the test. */
  private static void assertClosedByServer(Socket socket) throws IOException {
    try {
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    } catch (EOFException | SocketException reset) {
      // A reset is a close too.
    }
  }

  /** Counts every event by a short key, such as "answered udp A NOERROR" or "limited SLIP". */
  static final class RecordingListener implements DnsServer.Listener {
    final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    int count(String key) {
      AtomicInteger count = counts.get(key);
      return count == null ? 0 : count.get();
    }

    private void increment(String key) {
      counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void answered(String transport, String qtype, Outcome outcome) {
      increment("answered " + transport + " " + qtype + " " + outcome);
    }

    @Override
    public void dropped(String transport, String reason) {
      increment("dropped " + transport + " " + reason);
    }

    @Override
    public void limited(Decision decision) {
      increment("limited " + decision);
    }

    @Override
    public void failed(String transport, Throwable cause) {
      failures.add(cause);
    }
  }
}
