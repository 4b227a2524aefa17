package dev.kith.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The DNS acceptance test: three devices of alice with a failover order, each asked with Debian's
 * {@code dig}. Every device answers the device names, {@code failover1} to {@code failover3} in
 * order, MX and SRV in that order; after {@code kill -9} of {@code failover1}'s device every device
 * answers without it within 5 s, and after it returns it is back. Then the server's defences: a
 * name outside the zone, a malformed packet, a flood from one address.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
@DisplayName("The mesh's DNS")
class DnsMeshTest {

  private static final String ZONE = MailNamesService.DOMAIN;
  private static final Duration FOLLOW_DEADLINE = Duration.ofSeconds(5);
  private final Map<String, Integer> dnsPorts = new HashMap<>();

  private void withDns(DeviceProcess.Builder device) {
    int port = FreePorts.next();
    dnsPorts.put(device.name(), port);
    device
        .flag("dns-port", String.valueOf(port))
        .flag("dns-zone", ZONE)
        .flag("failover", "d2.alice,d3.alice,d1.alice")
        .flag("power", "mains");
  }

  @Test
  @DisplayName(
      "names every device, follows a kill -9 of failover1 within 5 s on every device, and takes it"
          + " back when it returns")
  void followsFailover() throws Exception {
    Dig.require();
    try (LocalMesh mesh = LocalMesh.options().devices(3).each(this::withDns).start()) {
      List<String> order = List.of("d2.alice", "d3.alice", "d1.alice");
      for (DeviceProcess d : mesh.devices()) {
        int port = dnsPorts.get(d.name());
        Eventually.eventually(Duration.ofSeconds(60), () -> assertNames(port, order));
        for (DeviceProcess named : mesh.devices()) {
          assertThat(Dig.answers(port, named.name() + "." + ZONE, "A"))
              .as("%s's name on %s", named.name(), d.name())
              .containsExactly("127.0.0.1");
        }
      }
      System.out.printf("[dns] every device answers %s in the order %s%n", ZONE, order);

      DeviceProcess first = mesh.device("d2.alice");
      long killedAt = System.nanoTime();
      first.kill9();
      List<String> survivors = List.of("d3.alice", "d1.alice");
      for (DeviceProcess d : mesh.others(first)) {
        int port = dnsPorts.get(d.name());
        Eventually.eventually(FOLLOW_DEADLINE, () -> assertNames(port, survivors));
        System.out.printf(
            "[dns] %s answers without d2.alice %d ms after its kill -9%n",
            d.name(), (System.nanoTime() - killedAt) / 1_000_000);
        assertThat(Dig.answers(port, "d2.alice." + ZONE, "A")).isEmpty();
      }

      DeviceProcess.Builder again = mesh.newDevice("d2.alice");
      withDns(again);
      DeviceProcess back = mesh.startExtra(again);
      back.awaitHealthy(LocalMesh.START_TIMEOUT);
      for (DeviceProcess d : List.of(mesh.device("d1.alice"), mesh.device("d3.alice"), back)) {
        int port = dnsPorts.get(d.name());
        Eventually.eventually(Duration.ofSeconds(60), () -> assertNames(port, order));
      }
      System.out.println("[dns] d2.alice is back in every answer");
    }
  }

  /** failoverN, MX and SRV at alice's name and at the mail domain, in {@code order}. */
  private static void assertNames(int port, List<String> order) {
    List<String> targets = order.stream().map(d -> d + "." + ZONE + ".").toList();
    for (int i = 0; i < order.size(); i++) {
      assertThat(Dig.answers(port, "failover" + (i + 1) + ".alice." + ZONE, "CNAME"))
          .as("failover%d on port %d", i + 1, port)
          .containsExactly(targets.get(i));
    }
    assertThat(Dig.answers(port, "failover" + (order.size() + 1) + ".alice." + ZONE, "CNAME"))
        .isEmpty();
    for (String at : List.of("alice." + ZONE, ZONE)) {
      assertThat(byPriority(Dig.answers(port, at, "MX"), 0, 1))
          .as("MX of %s", at)
          .isEqualTo(targets);
      assertThat(byPriority(Dig.answers(port, "_imaps._tcp." + at, "SRV"), 0, 3))
          .as("SRV of _imaps._tcp.%s", at)
          .isEqualTo(targets);
    }
  }

  /** The targets of MX or SRV answers ({@code +short}) sorted by their priority field. */
  private static List<String> byPriority(List<String> answers, int priorityField, int field) {
    List<String[]> rows = new ArrayList<>();
    answers.forEach(a -> rows.add(a.split("\\s+")));
    rows.sort(
        (a, b) ->
            Integer.compare(
                Integer.parseInt(a[priorityField]), Integer.parseInt(b[priorityField])));
    return rows.stream().map(r -> r[field]).toList();
  }

  @Test
  @DisplayName(
      "refuses names outside its zones, drops a malformed packet and keeps answering, and limits a"
          + " flood from one address")
  void defends() throws Exception {
    Dig.require();
    try (LocalMesh mesh = LocalMesh.options().devices(1).each(this::withDns).start()) {
      DeviceProcess d = mesh.device(0);
      int port = dnsPorts.get(d.name());
      Eventually.eventually(
          Duration.ofSeconds(60),
          () -> assertThat(Dig.answers(port, "d1.alice." + ZONE, "A")).contains("127.0.0.1"));

      String outside = Dig.full(port, "example.org", "A");
      assertThat(outside).contains("status: REFUSED").doesNotContain(" ra;").doesNotContain(" aa");
      String missing = Dig.full(port, "nobody." + ZONE, "A");
      assertThat(missing).contains("status: NXDOMAIN").contains(" aa").contains("SOA");

      // Debian's dnspython: over TCP with EDNS0, and EDNS version 1, which no server speaks yet.
      String python =
          DnsPython.run(
              port,
              """
              q = dns.message.make_query('_imaps._tcp.mesh.test', 'SRV', use_edns=0)
              r = dns.query.tcp(q, '127.0.0.1', port=port, timeout=5)
              aa = 'aa' if r.flags & dns.flags.AA else 'no-aa'
              print('tcp', dns.rcode.to_text(r.rcode()), aa, r.edns, r.answer[0][0].target)
              q = dns.message.make_query('d1.alice.mesh.test', 'A')
              q.use_edns(edns=1)
              r = dns.query.udp(q, '127.0.0.1', port=port, timeout=5)
              print('edns1', dns.rcode.to_text(r.rcode()))
              """);
      assertThat(python).contains("tcp NOERROR aa 0 d1.alice.mesh.test.").contains("edns1 BADVERS");

      try (DatagramSocket socket = new DatagramSocket()) {
        socket.setSoTimeout(300);
        // Shorter than a DNS header: not even an error can answer it.
        byte[] junk = {0x12, 0x34, 0x01, 0x00, 0x7f};
        socket.send(new DatagramPacket(junk, junk.length, InetAddress.getLoopbackAddress(), port));
        Eventually.eventually(
            Duration.ofSeconds(10),
            () ->
                assertThat(MeshApi.metricSum(d.httpUrl(), "kith_dns_dropped_total"))
                    .isGreaterThan(0));
        assertThat(Dig.answers(port, "d1.alice." + ZONE, "A")).containsExactly("127.0.0.1");

        int sent = 300;
        int answered = flood(socket, port, sent);
        System.out.printf(
            "[dns] a flood of %d queries from one address: %d answered%n", sent, answered);
        assertThat(answered).isLessThan(sent / 2);
        assertThat(MeshApi.metricSum(d.httpUrl(), "kith_dns_limited_total")).isGreaterThan(0);
        // Over TCP the same client still gets its answer.
        assertThat(Dig.full(port, "+tcp", "d1.alice." + ZONE, "A")).contains("127.0.0.1");
      }
    }
  }

  private static int flood(DatagramSocket socket, int port, int count) throws Exception {
    Message query =
        Message.newQuery(
            Record.newRecord(Name.fromString("d1.alice." + ZONE + "."), Type.A, DClass.IN));
    byte[] wire = query.toWire();
    for (int i = 0; i < count; i++) {
      socket.send(new DatagramPacket(wire, wire.length, InetAddress.getLoopbackAddress(), port));
    }
    int answered = 0;
    byte[] buffer = new byte[4096];
    while (true) {
      try {
        DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
        socket.receive(reply);
        Message m = new Message(java.util.Arrays.copyOf(buffer, reply.getLength()));
        if (m.getSection(org.xbill.DNS.Section.ANSWER).size() > 0) {
          answered++;
        }
      } catch (SocketTimeoutException done) {
        return answered;
      }
    }
  }
}
