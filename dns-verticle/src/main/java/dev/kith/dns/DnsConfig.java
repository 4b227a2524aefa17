package dev.kith.dns;

import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Settings of the DNS server every device runs.
 *
 * @param port the UDP and TCP port (53 in deployments), or 0 for none
 * @param bindHost the address it listens on
 * @param zones the zones the mesh is authoritative for; empty: the mail domains
 * @param rateLimit answers per second to one client network (IPv4 /24, IPv6 /56) over UDP; 0 for no
 *     limit
 * @param maxTcpConnections the most DNS connections over TCP at once
 */
public record DnsConfig(
    int port, String bindHost, List<String> zones, int rateLimit, int maxTcpConnections) {

  private static final Pattern DOMAIN =
      Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  public DnsConfig {
    zones = List.copyOf(zones);
  }

  /** The DNS section of the device's configuration. */
  public static final class Section implements ConfigSection<DnsConfig> {

    static final String DNS_PORT = "dns-port";
    static final String DNS_BIND_HOST = "dns-bind-host";
    static final String DNS_ZONE = "dns-zone";
    static final String DNS_RATE_LIMIT = "dns-rate-limit";
    static final String DNS_MAX_TCP_CONNECTIONS = "dns-max-tcp-connections";

    @Override
    public String name() {
      return "dns";
    }

    @Override
    public Class<DnsConfig> type() {
      return DnsConfig.class;
    }

    @Override
    public List<Setting> settings() {
      return List.of(
          Setting.of(DNS_PORT, "1053", "DNS port, UDP and TCP (53 in deployments; 0: off)"),
          Setting.of(DNS_BIND_HOST, "0.0.0.0", "address the DNS port listens on"),
          Setting.of(
              DNS_ZONE, null, "zone the mesh's DNS serves (repeatable; default: mail domains)"),
          Setting.of(
              DNS_RATE_LIMIT, "20", "DNS answers per second to one client network (0: no limit)"),
          Setting.of(DNS_MAX_TCP_CONNECTIONS, "200", "most DNS connections over TCP at once"));
    }

    @Override
    public DnsConfig parse(Settings v) {
      return new DnsConfig(
          v.port(DNS_PORT, 0),
          v.listenAddress(DNS_BIND_HOST),
          zones(v.list(DNS_ZONE)),
          v.integer(DNS_RATE_LIMIT, 0, 1_000_000),
          v.integer(DNS_MAX_TCP_CONNECTIONS, 1, 100_000));
    }

    private static List<String> zones(List<String> raw) {
      List<String> out = new ArrayList<>();
      for (String zone : raw) {
        String z = zone.toLowerCase(Locale.ROOT);
        z = z.endsWith(".") ? z.substring(0, z.length() - 1) : z;
        if (z.length() > 253 || !DOMAIN.matcher(z).matches()) {
          throw new ConfigException(DNS_ZONE, "'" + zone + "' is not a domain name");
        }
        out.add(z);
      }
      return out;
    }
  }
}
