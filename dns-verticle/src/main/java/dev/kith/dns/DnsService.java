package dev.kith.dns;

import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import java.util.List;

/**
 * The mesh's authoritative DNS server, on every device ({@code dns-port}, UDP and TCP): device
 * names, each owner's failover order, MX and SRV records of the devices alive now, and the web
 * sites' domains, from this device's own view of the mesh. See docs/dns.md.
 */
public final class DnsService implements KithService {

  @Override
  public String name() {
    return "dns";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public DnsInstance newInstance(InstanceContext context) {
    return new DnsInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }
}
