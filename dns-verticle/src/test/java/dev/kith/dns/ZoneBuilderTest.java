package dev.kith.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.MeshDirectory.Device;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

@DisplayName("The mesh's names")
class ZoneBuilderTest {

  private static final List<Device> DEVICES =
      List.of(
          new Device("d1.alice", "alice", "10.0.0.1", true),
          new Device("d2.alice", "alice", "fd00::2", true),
          new Device("d3.alice", "alice", "10.0.0.3", false),
          new Device("pc.bob", "bob", "pc.bob.lan", true));
  private static final Map<String, List<String>> FAILOVER =
      Map.of("alice", List.of("d2.alice", "d3.alice", "d1.alice"));
  private static final List<DnsName> NAMES =
      List.of(
          DnsName.mailDomain("mesh.test"),
          DnsName.service("_imaps._tcp", 993),
          DnsName.site("www.mesh.test"),
          DnsName.site("alice.example"));

  private static List<String> lines(String name, int type) {
    return ZoneBuilder.records(List.of("mesh.test"), DEVICES, FAILOVER, NAMES).stream()
        .filter(r -> r.getName().toString().equals(name) && r.getType() == type)
        .map(Record::rdataToString)
        .sorted()
        .toList();
  }

  @Test
  @DisplayName("names every live device, and only those")
  void devices() {
    assertThat(lines("d1.alice.mesh.test.", Type.A)).containsExactly("10.0.0.1");
    assertThat(lines("d2.alice.mesh.test.", Type.AAAA)).containsExactly("fd00:0:0:0:0:0:0:2");
    assertThat(lines("d3.alice.mesh.test.", Type.A)).isEmpty();
    assertThat(lines("pc.bob.mesh.test.", Type.CNAME)).containsExactly("pc.bob.lan.");
    assertThat(lines("mesh.test.", Type.NS))
        .as("name servers need addresses, not aliases")
        .containsExactly("d1.alice.mesh.test.", "d2.alice.mesh.test.");
  }

  @Test
  @DisplayName("follows the failover order over live devices, then every other live device")
  void failover() {
    assertThat(lines("failover1.alice.mesh.test.", Type.CNAME))
        .containsExactly("d2.alice.mesh.test.");
    assertThat(lines("failover2.alice.mesh.test.", Type.CNAME))
        .containsExactly("d1.alice.mesh.test.");
    assertThat(lines("failover3.alice.mesh.test.", Type.CNAME)).isEmpty();
    assertThat(lines("failover1.bob.mesh.test.", Type.CNAME))
        .as("an owner without an order: their own live devices")
        .containsExactly("pc.bob.mesh.test.");
    assertThat(lines("alice.mesh.test.", Type.MX))
        .containsExactly(
            "10 d2.alice.mesh.test.", "20 d1.alice.mesh.test.", "30 pc.bob.mesh.test.");
    assertThat(lines("_imaps._tcp.alice.mesh.test.", Type.SRV))
        .containsExactly(
            "0 0 993 d2.alice.mesh.test.",
            "1 0 993 d1.alice.mesh.test.",
            "2 0 993 pc.bob.mesh.test.");
    assertThat(lines("mesh.test.", Type.MX))
        .as("the mail domain: every owner's order in turn")
        .containsExactly(
            "10 d2.alice.mesh.test.", "20 d1.alice.mesh.test.", "30 pc.bob.mesh.test.");
  }

  @Test
  @DisplayName("serves sites in its zones from every live device, and leaves other names out")
  void sites() {
    assertThat(lines("www.mesh.test.", Type.A)).containsExactly("10.0.0.1");
    assertThat(lines("www.mesh.test.", Type.AAAA)).containsExactly("fd00:0:0:0:0:0:0:2");
    assertThat(ZoneBuilder.records(List.of("mesh.test"), DEVICES, FAILOVER, NAMES))
        .noneMatch(r -> r.getName().toString().endsWith("alice.example."));
    assertThat(ZoneBuilder.zones(List.of(), NAMES)).containsExactly("mesh.test");
    assertThat(ZoneBuilder.zones(List.of("other.test"), NAMES)).containsExactly("other.test");
  }

  @Test
  @DisplayName(
      "never puts an alias beside other records: a site skips devices known by host name, and a"
          + " device named like a failover name keeps its name")
  void aliasesStandAlone() {
    List<Device> devices =
        List.of(
            new Device("failover1.alice", "alice", "10.0.0.9", true),
            new Device("d1.alice", "alice", "10.0.0.1", true),
            new Device("pc.alice", "alice", "pc.lan", true));
    List<Record> records =
        ZoneBuilder.records(
            List.of("mesh.test"),
            devices,
            Map.of("alice", List.of("d1.alice", "pc.alice")),
            List.of(DnsName.site("www.mesh.test")));
    assertThat(records)
        .filteredOn(r -> r.getName().toString().equals("www.mesh.test."))
        .extracting(Record::rdataToString)
        .containsExactlyInAnyOrder("10.0.0.9", "10.0.0.1");
    assertThat(records)
        .filteredOn(r -> r.getName().toString().equals("failover1.alice.mesh.test."))
        .extracting(r -> Type.string(r.getType()))
        .containsOnly("A");
    assertThat(ZoneBuilder.snapshot(List.of("mesh.test"), records, "d1.alice", 1).zones())
        .hasSize(1);
  }
}
