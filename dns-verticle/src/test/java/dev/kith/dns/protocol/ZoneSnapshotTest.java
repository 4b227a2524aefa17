package dev.kith.dns.protocol;

import static dev.kith.dns.protocol.DnsAnswererTest.address;
import static dev.kith.dns.protocol.DnsAnswererTest.cname;
import static dev.kith.dns.protocol.DnsAnswererTest.name;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

class ZoneSnapshotTest {

  @Test
  @DisplayName("Each zone gets its SOA, with the minimum TTL as both TTL and MINIMUM")
  void soa() {
    ZoneSnapshot zones = DnsAnswererTest.ZONES;
    SOARecord soa = (SOARecord) zones.records(name("mesh.test."), Type.SOA).get(0);

    assertThat(soa.getTTL()).isEqualTo(60);
    assertThat(soa.getMinimum()).isEqualTo(60);
    assertThat(soa.getSerial()).isEqualTo(42);
    assertThat(soa.getRefresh()).isEqualTo(3600);
    assertThat(soa.getRetry()).isEqualTo(600);
    assertThat(soa.getExpire()).isEqualTo(604_800);
    assertThat(zones.soaFor(name("deep.down.MESH.test."))).contains(soa);
    assertThat(zones.soaFor(name("example.org."))).isEmpty();
  }

  @Test
  @DisplayName("Names with records, their ancestors up to the apex, and nothing else exist")
  void existence() {
    ZoneSnapshot zones = DnsAnswererTest.ZONES;

    assertThat(zones.exists(name("_imaps._tcp.alice.mesh.test."))).isTrue();
    assertThat(zones.exists(name("_TCP.alice.mesh.test."))).isTrue();
    assertThat(zones.hasRecords(name("_tcp.alice.mesh.test."))).isFalse();
    assertThat(zones.exists(name("mesh.test."))).isTrue();
    assertThat(zones.exists(name("nobody.mesh.test."))).isFalse();
    assertThat(zones.exists(name("test."))).isFalse();
  }

  @Test
  @DisplayName("A name in nested zones belongs to the deepest one")
  void nestedZones() {
    ZoneSnapshot zones =
        ZoneSnapshot.builder()
            .zone(name("test."), name("ns.test."), name("h.test."), 1, 60)
            .zone(name("b.a.test."), name("ns.test."), name("h.test."), 1, 30)
            .add(new ARecord(name("c.b.a.test."), DClass.IN, 30, address("10.0.0.1")))
            .build();

    assertThat(zones.soaFor(name("c.b.a.test.")).orElseThrow().getName())
        .isEqualTo(name("b.a.test."));
    assertThat(zones.soaFor(name("a.test.")).orElseThrow().getName()).isEqualTo(name("test."));
    assertThat(zones.exists(name("a.test."))).isTrue();
  }

  @Test
  @DisplayName("Records outside every zone, of another class, SOAs and shared CNAMEs are rejected")
  void rejects() {
    assertRejected(new ARecord(name("www.example.org."), DClass.IN, 30, address("10.0.0.1")));
    assertRejected(new ARecord(name("x.mesh.test."), DClass.CH, 30, address("10.0.0.1")));
    assertRejected(
        new SOARecord(name("mesh.test."), DClass.IN, 60, name("a."), name("b."), 1, 1, 1, 1, 1));
    assertThatThrownBy(
            () ->
                builder()
                    .add(cname("x.mesh.test.", "y.mesh.test."))
                    .add(new ARecord(name("x.mesh.test."), DClass.IN, 30, address("10.0.0.1")))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CNAME");
    assertThatThrownBy(() -> builder().zone(name("mesh.test."), name("a."), name("b."), 1, 60))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("The same record added twice is kept once")
  void deduplicates() {
    Record a = new ARecord(name("x.mesh.test."), DClass.IN, 30, address("10.0.0.1"));
    ZoneSnapshot zones = builder().add(a).add(a).build();

    assertThat(zones.records(name("x.mesh.test."), Type.A)).containsExactly(a);
  }

  private static ZoneSnapshot.Builder builder() {
    return ZoneSnapshot.builder()
        .zone(name("mesh.test."), name("ns1.mesh.test."), name("h."), 1, 60);
  }

  private static void assertRejected(Record record) {
    assertThatThrownBy(() -> builder().add(record).build())
        .isInstanceOf(IllegalArgumentException.class);
  }
}
