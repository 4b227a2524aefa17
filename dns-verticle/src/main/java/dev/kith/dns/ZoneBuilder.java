package dev.kith.dns;

import dev.kith.dns.protocol.ZoneSnapshot;
import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.MeshDirectory.Device;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The mesh's names, from one view of it (see docs/dns.md), for each zone {@code Z}:
 *
 * <ul>
 *   <li>{@code <device>.Z} (a device is {@code NAME.OWNER}): the address of every live device;
 *   <li>{@code failoverN.<owner>.Z}: a CNAME to the N-th live device of the owner's failover order
 *       (without one: the owner's live devices by name);
 *   <li>{@code <owner>.Z} and each mail domain: MX and the services' SRV records, the owner's order
 *       first (for a mail domain, every owner's order in turn), then every other live device, since
 *       any device answers any request;
 *   <li>each web site's domain: the addresses of every live device;
 *   <li>the apex: NS records naming the live devices, and the SOA.
 * </ul>
 *
 * A dead device is in no answer; names that are not in any zone are left out.
 */
final class ZoneBuilder {

  /** A device's own address changes rarely. */
  static final long DEVICE_TTL = 300;

  /** Names that follow failover: a client asks again within half a minute. */
  static final long FAILOVER_TTL = 30;

  /** The SOA minimum: how long a resolver may remember that a name does not exist. */
  static final long NEGATIVE_TTL = 30;

  private final List<Name> zones = new ArrayList<>();
  private final List<Record> records = new ArrayList<>();
  private final Set<Name> aliases = new HashSet<>();
  private final Set<Name> owned = new HashSet<>();
  private final List<Device> alive;
  private final Map<String, List<String>> failover;
  private final List<DnsName> names;
  private final List<DnsName> services;
  private final boolean mail;

  private ZoneBuilder(
      List<Device> devices, Map<String, List<String>> failover, List<DnsName> names) {
    this.alive = devices.stream().filter(Device::alive).filter(d -> d.host() != null).toList();
    this.failover = failover;
    this.names = names;
    this.services =
        names.stream().filter(n -> n.kind() == DnsName.Kind.SERVICE).distinct().toList();
    this.mail = names.stream().anyMatch(n -> n.kind() == DnsName.Kind.MAIL_DOMAIN);
  }

  /** The zones that the configured ones, or else the mail domains, make. */
  static List<String> zones(List<String> configured, List<DnsName> names) {
    if (!configured.isEmpty()) {
      return configured;
    }
    Set<String> out = new TreeSet<>();
    for (DnsName n : names) {
      if (n.kind() == DnsName.Kind.MAIL_DOMAIN) {
        out.add(n.name().toLowerCase(Locale.ROOT));
      }
    }
    return List.copyOf(out);
  }

  /**
   * Every record of the mesh's names, sorted, for comparing one view with the next.
   *
   * @throws IllegalArgumentException when a zone or a name is not a domain name
   */
  static List<Record> records(
      List<String> zones,
      List<Device> devices,
      Map<String, List<String>> failover,
      List<DnsName> names) {
    ZoneBuilder b = new ZoneBuilder(devices, failover, names);
    for (String zone : zones) {
      b.zone(name(zone, Name.root));
    }
    List<Record> out = new ArrayList<>(b.records);
    out.sort(Record::compareTo);
    return out;
  }

  /** A snapshot of {@code records} for the zones, with {@code self}'s name as primary server. */
  static ZoneSnapshot snapshot(List<String> zones, List<Record> records, String self, long serial) {
    ZoneSnapshot.Builder b = ZoneSnapshot.builder();
    for (String zone : zones) {
      Name apex = name(zone, Name.root);
      b.zone(apex, name(self, apex), name("hostmaster", apex), serial, NEGATIVE_TTL);
    }
    records.forEach(b::add);
    return b.build();
  }

  private void zone(Name z) {
    for (Device d : alive) {
      Name host = name(d.name(), z);
      if (address(host, d, DEVICE_TTL)) {
        // A name server's name must have an address, not be an alias (RFC 2181).
        add(new NSRecord(z, DClass.IN, DEVICE_TTL, host));
      }
    }
    Set<String> owners = new TreeSet<>(failover.keySet());
    alive.forEach(d -> owners.add(d.owner()));
    for (String owner : owners) {
      Name ownerName = name(owner, z);
      List<Device> order = order(List.of(owner));
      for (int i = 0; i < order.size(); i++) {
        add(
            new CNAMERecord(
                name("failover" + (i + 1), ownerName),
                DClass.IN,
                FAILOVER_TTL,
                name(order.get(i).name(), z)));
      }
      serviceRecords(ownerName, z, withEveryOther(order));
    }
    for (DnsName n : names) {
      Name domain = name(n.name(), Name.root);
      if (!domain.subdomain(z)) {
        continue;
      }
      if (n.kind() == DnsName.Kind.MAIL_DOMAIN) {
        serviceRecords(domain, z, withEveryOther(order(new ArrayList<>(owners))));
      } else if (n.kind() == DnsName.Kind.SITE) {
        // Only addresses: a site's name cannot be an alias of several devices at once.
        alive.stream()
            .filter(ZoneBuilder::hasAddress)
            .forEach(d -> address(domain, d, FAILOVER_TTL));
      }
    }
  }

  /**
   * Adds a record unless it would break the rule that an alias (CNAME) stands alone at its name
   * (RFC 1034): the first record at a name wins (device names come first), so a device named like
   * {@code failover1.alice} keeps its name and that failover name is left out, instead of every
   * answer of the zone failing.
   */
  private void add(Record r) {
    Name at = r.getName();
    boolean alias = r.getType() == Type.CNAME;
    if (aliases.contains(at) || (alias && owned.contains(at))) {
      return;
    }
    (alias ? aliases : owned).add(at);
    records.add(r);
  }

  /** MX (when mail runs) and every service's SRV record at {@code at}, in {@code order}. */
  private void serviceRecords(Name at, Name z, List<Device> order) {
    for (int i = 0; i < order.size(); i++) {
      Name target = name(order.get(i).name(), z);
      if (mail) {
        add(new MXRecord(at, DClass.IN, FAILOVER_TTL, 10 * (i + 1), target));
      }
      for (DnsName n : services) {
        add(new SRVRecord(name(n.name(), at), DClass.IN, FAILOVER_TTL, i, 0, n.port(), target));
      }
    }
  }

  /** The live devices of the owners' failover orders in turn (or their own devices, by name). */
  private List<Device> order(List<String> owners) {
    Set<Device> out = new LinkedHashSet<>();
    for (String owner : owners) {
      List<String> configured = failover.get(owner);
      if (configured != null && !configured.isEmpty()) {
        for (String name : configured) {
          alive.stream().filter(d -> d.name().equals(name)).findFirst().ifPresent(out::add);
        }
      } else {
        alive.stream().filter(d -> owner.equals(d.owner())).forEach(out::add);
      }
    }
    return List.copyOf(out);
  }

  private List<Device> withEveryOther(List<Device> first) {
    Set<Device> out = new LinkedHashSet<>(first);
    out.addAll(alive);
    return List.copyOf(out);
  }

  /**
   * An A or AAAA record of the device's address, or a CNAME to its host name.
   *
   * @return whether the device has an address (not a host name)
   */
  private boolean address(Name at, Device d, long ttl) {
    try {
      byte[] v4 = Address.toByteArray(d.host(), Address.IPv4);
      if (v4 != null) {
        add(new ARecord(at, DClass.IN, ttl, InetAddress.getByAddress(v4)));
        return true;
      }
      byte[] v6 = Address.toByteArray(d.host(), Address.IPv6);
      if (v6 != null) {
        add(new AAAARecord(at, DClass.IN, ttl, InetAddress.getByAddress(v6)));
        return true;
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad address of " + d.name() + ": " + d.host(), e);
    }
    if (!"localhost".equals(d.host())) {
      add(new CNAMERecord(at, DClass.IN, ttl, name(d.host(), Name.root)));
    }
    return false;
  }

  private static boolean hasAddress(Device d) {
    return Address.toByteArray(d.host(), Address.IPv4) != null
        || Address.toByteArray(d.host(), Address.IPv6) != null;
  }

  static Name name(String text, Name origin) {
    try {
      return Name.fromString(text.toLowerCase(Locale.ROOT), origin);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a domain name: " + text, e);
    }
  }
}
