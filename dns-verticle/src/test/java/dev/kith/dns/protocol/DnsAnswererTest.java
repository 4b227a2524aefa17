package dev.kith.dns.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.dns.protocol.DnsAnswerer.Outcome;
import dev.kith.dns.protocol.DnsAnswerer.Response;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class DnsAnswererTest {

  static final long MINIMUM_TTL = 60;
  static final Name APEX = name("mesh.test.");
  static final Name LAPTOP = name("laptop.alice.mesh.test.");

  static final ZoneSnapshot ZONES = zones();

  private final DnsAnswerer answerer = new DnsAnswerer();

  static ZoneSnapshot zones() {
    ZoneSnapshot.Builder builder =
        ZoneSnapshot.builder()
            .zone(APEX, name("ns1.mesh.test."), name("hostmaster.mesh.test."), 42, MINIMUM_TTL)
            .add(new NSRecord(APEX, DClass.IN, 300, name("ns1.mesh.test.")))
            .add(new ARecord(name("ns1.mesh.test."), DClass.IN, 300, address("10.0.0.53")))
            .add(new ARecord(LAPTOP, DClass.IN, 30, address("10.0.0.1")))
            .add(new AAAARecord(LAPTOP, DClass.IN, 30, address("fd00::1")))
            .add(cname("failover1.alice.mesh.test.", "laptop.alice.mesh.test."))
            .add(cname("ghost.alice.mesh.test.", "nothere.alice.mesh.test."))
            .add(cname("away.alice.mesh.test.", "www.example.org."))
            .add(cname("loop1.mesh.test.", "loop2.mesh.test."))
            .add(cname("loop2.mesh.test.", "loop1.mesh.test."))
            .add(new MXRecord(name("alice.mesh.test."), DClass.IN, 300, 10, LAPTOP))
            .add(
                new SRVRecord(
                    name("_imaps._tcp.alice.mesh.test."), DClass.IN, 300, 0, 1, 993, LAPTOP))
            .add(
                new MXRecord(name("bigmx.mesh.test."), DClass.IN, 300, 10, name("big.mesh.test.")));
    for (int i = 0; i < 100; i++) {
      builder.add(new ARecord(name("big.mesh.test."), DClass.IN, 30, address("10.1.0." + i)));
    }
    return builder.build();
  }

  @Test
  @DisplayName(
      "An exact match is answered authoritatively, echoing the ID, RD, CD and the question")
  void exactAnswer() throws IOException {
    Message query = query("laptop.alice.mesh.test.", Type.A);
    query.getHeader().setFlag(Flags.CD);
    Message reply = ask(query, false);

    assertThat(reply.getHeader().getID()).isEqualTo(query.getHeader().getID());
    assertThat(reply.getHeader().getFlag(Flags.CD)).isTrue();
    assertThat(reply.getHeader().getFlag(Flags.QR)).isTrue();
    assertThat(reply.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(reply.getHeader().getFlag(Flags.RD)).isTrue();
    assertThat(reply.getHeader().getFlag(Flags.RA)).isFalse();
    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getQuestion()).isEqualTo(query.getQuestion());
    assertThat(reply.getSection(Section.ANSWER))
        .containsExactly(new ARecord(LAPTOP, DClass.IN, 30, address("10.0.0.1")));
    assertThat(answer(query, false).outcome()).isEqualTo(Outcome.NOERROR);
    assertThat(answer(query, false).qtype()).isEqualTo("A");
  }

  @Test
  @DisplayName("Names match whatever their case, and the question comes back as it was asked")
  void caseInsensitive() throws IOException {
    Message reply = ask(query("LAPTOP.Alice.MESH.test.", Type.AAAA), false);

    assertThat(reply.getQuestion().getName().toString()).isEqualTo("LAPTOP.Alice.MESH.test.");
    assertThat(reply.getSection(Section.ANSWER)).hasSize(1);
    assertThat(reply.getSection(Section.ANSWER).get(0).rdataToString())
        .isEqualTo("fd00:0:0:0:0:0:0:1");
  }

  @Test
  @DisplayName("A CNAME is answered, then followed to the target's records of the asked type")
  void cnameChase() throws IOException {
    Message reply = ask(query("failover1.alice.mesh.test.", Type.A), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getSection(Section.ANSWER))
        .extracting(Record::getType)
        .containsExactly(Type.CNAME, Type.A);
  }

  @Test
  @DisplayName("A CNAME asked as CNAME is not followed")
  void cnameAskedDirectly() throws IOException {
    Message reply = ask(query("failover1.alice.mesh.test.", Type.CNAME), false);

    assertThat(reply.getSection(Section.ANSWER))
        .containsExactly(cname("failover1.alice.mesh.test.", "laptop.alice.mesh.test."));
  }

  @Test
  @DisplayName("A CNAME to a missing name in the zone gives NXDOMAIN with the CNAME (RFC 6604)")
  void cnameToMissingName() throws IOException {
    Message reply = ask(query("ghost.alice.mesh.test.", Type.A), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(reply.getSection(Section.ANSWER))
        .extracting(Record::getType)
        .containsExactly(Type.CNAME);
    assertThat(reply.getSection(Section.AUTHORITY))
        .extracting(Record::getType)
        .containsExactly(Type.SOA);
  }

  @Test
  @DisplayName("A CNAME out of our zones stops the chase; the client resolves the rest")
  void cnameOutOfZone() throws IOException {
    Message reply = ask(query("away.alice.mesh.test.", Type.A), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getSection(Section.ANSWER))
        .extracting(Record::getType)
        .containsExactly(Type.CNAME);
    assertThat(reply.getSection(Section.AUTHORITY)).isEmpty();
  }

  @Test
  @DisplayName("A CNAME loop ends after each name once")
  void cnameLoop() throws IOException {
    Message reply = ask(query("loop1.mesh.test.", Type.A), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getSection(Section.ANSWER)).hasSize(2);
  }

  @Test
  @DisplayName("A name without the asked type gets NODATA with the SOA, TTL min(SOA TTL, MINIMUM)")
  void nodata() throws IOException {
    Message query = query("laptop.alice.mesh.test.", Type.TXT);
    Message reply = ask(query, false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(reply.getSection(Section.ANSWER)).isEmpty();
    assertNegativeSoa(reply);
    assertThat(answer(query, false).outcome()).isEqualTo(Outcome.NODATA);
  }

  @Test
  @DisplayName("An empty non-terminal exists: NODATA, not NXDOMAIN")
  void emptyNonTerminal() throws IOException {
    Message reply = ask(query("_tcp.alice.mesh.test.", Type.SRV), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getSection(Section.ANSWER)).isEmpty();
    assertNegativeSoa(reply);
  }

  @Test
  @DisplayName("A missing name gets NXDOMAIN with the SOA in the authority section")
  void nxdomain() throws IOException {
    Message query = query("nobody.alice.mesh.test.", Type.A);
    Message reply = ask(query, false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(reply.getHeader().getFlag(Flags.AA)).isTrue();
    assertNegativeSoa(reply);
    assertThat(answer(query, false).outcome()).isEqualTo(Outcome.NXDOMAIN);
  }

  @Test
  @DisplayName("A name outside our zones is refused, without AA or RA: never a resolver")
  void refusedOutsideZones() throws IOException {
    Message reply = ask(query("www.example.org.", Type.A), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(reply.getHeader().getFlag(Flags.AA)).isFalse();
    assertThat(reply.getHeader().getFlag(Flags.RA)).isFalse();
    assertThat(reply.getHeader().getFlag(Flags.RD)).isTrue();
    assertThat(reply.getSection(Section.ANSWER)).isEmpty();
  }

  @Test
  @DisplayName("An empty snapshot refuses everything")
  void emptySnapshot() throws IOException {
    byte[] wire = query("laptop.alice.mesh.test.", Type.A).toWire();
    Response response = answerer.answer(wire, wire.length, false, ZoneSnapshot.EMPTY);
    assertThat(response.outcome()).isEqualTo(Outcome.REFUSED);
  }

  @Test
  @DisplayName("MX, SRV and NS answers carry the addresses of their targets")
  void glue() throws IOException {
    Message mx = ask(query("alice.mesh.test.", Type.MX), false);
    Message srv = ask(query("_imaps._tcp.alice.mesh.test.", Type.SRV), false);
    Message ns = ask(query("mesh.test.", Type.NS), false);

    assertThat(mx.getSection(Section.ADDITIONAL))
        .extracting(Record::getType)
        .containsExactlyInAnyOrder(Type.A, Type.AAAA);
    assertThat(srv.getSection(Section.ADDITIONAL)).hasSize(2);
    assertThat(ns.getSection(Section.ADDITIONAL))
        .containsExactly(new ARecord(name("ns1.mesh.test."), DClass.IN, 300, address("10.0.0.53")));
  }

  @Test
  @DisplayName("Glue that does not fit is left out rather than truncating the answer")
  void glueDroppedFirst() throws IOException {
    Response response = answer(query("bigmx.mesh.test.", Type.MX), false);
    Message reply = new Message(response.wire());

    assertThat(response.outcome()).isEqualTo(Outcome.NOERROR);
    assertThat(reply.getHeader().getFlag(Flags.TC)).isFalse();
    assertThat(reply.getSection(Section.ANSWER)).hasSize(1);
    assertThat(reply.getSection(Section.ADDITIONAL)).isEmpty();
  }

  @Test
  @DisplayName("Two questions are a format error")
  void twoQuestions() throws IOException {
    Message query = query("laptop.alice.mesh.test.", Type.A);
    query.addRecord(Record.newRecord(LAPTOP, Type.AAAA, DClass.IN), Section.QUESTION);

    assertThat(ask(query, false).getRcode()).isEqualTo(Rcode.FORMERR);
  }

  @Test
  @DisplayName("A header followed by garbage is a format error that still echoes the question")
  void unparseableBody() throws IOException {
    byte[] wire = query("laptop.alice.mesh.test.", Type.A).toWire();
    wire[7] = 1; // ANCOUNT 1, but no answer follows
    Response response = answerer.answer(wire, wire.length, false, ZONES);
    Message reply = new Message(response.wire());

    assertThat(response.outcome()).isEqualTo(Outcome.FORMERR);
    assertThat(reply.getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(reply.getQuestion().getName()).isEqualTo(LAPTOP);
  }

  @ParameterizedTest
  @ValueSource(ints = {Opcode.UPDATE, Opcode.NOTIFY, Opcode.STATUS})
  @DisplayName("Opcodes other than QUERY are not implemented")
  void otherOpcodes(int opcode) throws IOException {
    Message query = query("mesh.test.", Type.SOA);
    query.getHeader().setOpcode(opcode);
    Message reply = ask(query, false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOTIMP);
    assertThat(reply.getHeader().getOpcode()).isEqualTo(opcode);
  }

  @ParameterizedTest
  @ValueSource(ints = {Type.AXFR, Type.IXFR})
  @DisplayName("Zone transfers are refused, over TCP too")
  void zoneTransfers(int type) throws IOException {
    assertThat(ask(query("mesh.test.", type), true).getRcode()).isEqualTo(Rcode.REFUSED);
  }

  @ParameterizedTest
  @ValueSource(ints = {DClass.CH, DClass.ANY})
  @DisplayName("Classes other than IN are refused")
  void otherClasses(int dclass) throws IOException {
    Message query = Message.newQuery(Record.newRecord(LAPTOP, Type.A, dclass));
    assertThat(ask(query, false).getRcode()).isEqualTo(Rcode.REFUSED);
  }

  @Test
  @DisplayName("ANY gets one synthesized HINFO \"RFC8482\" (RFC 8482), not every record")
  void anyQuery() throws IOException {
    Message reply = ask(query("laptop.alice.mesh.test.", Type.ANY), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getSection(Section.ANSWER)).hasSize(1);
    HINFORecord hinfo = (HINFORecord) reply.getSection(Section.ANSWER).get(0);
    assertThat(hinfo.getCPU()).isEqualTo("RFC8482");
    assertThat(hinfo.getOS()).isEmpty();
    assertThat(hinfo.getTTL()).isEqualTo(MINIMUM_TTL);
    assertThat(ask(query("nobody.mesh.test.", Type.ANY), false).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  @DisplayName("An EDNS query gets our OPT: version 0, 1232 bytes, no DO bit")
  void ednsReply() throws IOException {
    Message query = query("laptop.alice.mesh.test.", Type.A);
    query.addRecord(new OPTRecord(4096, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
    Message reply = ask(query, false);

    OPTRecord opt = reply.getOPT();
    assertThat(opt).isNotNull();
    assertThat(opt.getVersion()).isZero();
    assertThat(opt.getPayloadSize()).isEqualTo(DnsAnswerer.EDNS_PAYLOAD_BYTES);
    assertThat(opt.getFlags() & ExtendedFlags.DO).isZero();
    assertThat(opt.getOptions()).isEmpty();
    assertThat(reply.getSection(Section.ANSWER)).hasSize(1);
  }

  @Test
  @DisplayName("EDNS version 1 gets BADVERS with an OPT of version 0")
  void badVersion() throws IOException {
    Message query = query("laptop.alice.mesh.test.", Type.A);
    query.addRecord(new OPTRecord(4096, 0, 1), Section.ADDITIONAL);
    Message reply = ask(query, false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.BADVERS);
    assertThat(reply.getOPT().getVersion()).isZero();
    assertThat(reply.getSection(Section.ANSWER)).isEmpty();
    assertThat(answer(query, false).outcome()).isEqualTo(Outcome.BADVERS);
  }

  @Test
  @DisplayName("A UDP reply too big for 512 bytes is truncated to the question; TCP gets it all")
  void truncation() throws IOException {
    Message query = query("big.mesh.test.", Type.A);
    Response udp = answer(query, false);
    Message udpReply = new Message(udp.wire());
    Message tcpReply = ask(query, true);

    assertThat(udp.outcome()).isEqualTo(Outcome.TRUNCATED);
    assertThat(udp.wire().length).isLessThanOrEqualTo(512);
    assertThat(udpReply.getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(udpReply.getQuestion()).isEqualTo(query.getQuestion());
    assertThat(udpReply.getSection(Section.ANSWER)).isEmpty();
    assertThat(tcpReply.getHeader().getFlag(Flags.TC)).isFalse();
    assertThat(tcpReply.getSection(Section.ANSWER)).hasSize(100);
  }

  @Test
  @DisplayName("With EDNS, UDP replies may reach 1232 bytes, and a truncated one keeps the OPT")
  void ednsTruncation() throws IOException {
    Message big = query("big.mesh.test.", Type.A);
    big.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
    Response response = answer(big, false);
    Message reply = new Message(response.wire());

    // 100 A records need about 1650 bytes: more than 1232 even though the client offers 4096.
    assertThat(reply.getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(reply.getOPT()).isNotNull();
    assertThat(response.wire().length).isLessThanOrEqualTo(DnsAnswerer.EDNS_PAYLOAD_BYTES);

    Message small = query("laptop.alice.mesh.test.", Type.A);
    small.addRecord(new OPTRecord(100, 0, 0), Section.ADDITIONAL);
    assertThat(ask(small, false).getSection(Section.ANSWER)).hasSize(1);
  }

  @Test
  @DisplayName("Garbage and responses are dropped without a reply")
  void dropped() throws IOException {
    byte[] garbage = new byte[5];
    new Random(1).nextBytes(garbage);
    Message response = query("laptop.alice.mesh.test.", Type.A);
    response.getHeader().setFlag(Flags.QR);
    byte[] responseWire = response.toWire();

    assertThat(answerer.answer(garbage, garbage.length, false, ZONES).wire()).isNull();
    assertThat(answerer.answer(responseWire, responseWire.length, false, ZONES).outcome())
        .isEqualTo(Outcome.DROPPED);
    assertThat(answerer.truncated(garbage, garbage.length).wire()).isNull();
  }

  @Test
  @DisplayName("A failure inside answers SERVFAIL instead of throwing")
  void servfail() throws IOException {
    byte[] wire = query("laptop.alice.mesh.test.", Type.A).toWire();
    Response response = answerer.answer(wire, wire.length, false, null);

    assertThat(response.outcome()).isEqualTo(Outcome.SERVFAIL);
    assertThat(new Message(response.wire()).getRcode()).isEqualTo(Rcode.SERVFAIL);
  }

  @Test
  @DisplayName("The slip reply is an empty TC=1 reply to the same question")
  void slip() throws IOException {
    Message query = query("laptop.alice.mesh.test.", Type.A);
    byte[] wire = query.toWire();
    Response response = answerer.truncated(wire, wire.length);
    Message reply = new Message(response.wire());

    assertThat(reply.getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(reply.getHeader().getID()).isEqualTo(query.getHeader().getID());
    assertThat(reply.getQuestion()).isEqualTo(query.getQuestion());
    assertThat(reply.getSection(Section.ANSWER)).isEmpty();
  }

  private static void assertNegativeSoa(Message reply) {
    List<Record> authority = reply.getSection(Section.AUTHORITY);
    assertThat(authority).hasSize(1);
    SOARecord soa = (SOARecord) authority.get(0);
    assertThat(soa.getName()).isEqualTo(APEX);
    assertThat(soa.getTTL()).isEqualTo(Math.min(soa.getTTL(), soa.getMinimum()));
    assertThat(soa.getTTL()).isEqualTo(MINIMUM_TTL);
  }

  private Response answer(Message query, boolean overTcp) {
    byte[] wire = query.toWire();
    return answerer.answer(wire, wire.length, overTcp, ZONES);
  }

  private Message ask(Message query, boolean overTcp) throws IOException {
    return new Message(answer(query, overTcp).wire());
  }

  static Message query(String name, int type) {
    return Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
  }

  static Name name(String name) {
    return Name.fromConstantString(name);
  }

  static CNAMERecord cname(String from, String to) {
    return new CNAMERecord(name(from), DClass.IN, 300, name(to));
  }

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
