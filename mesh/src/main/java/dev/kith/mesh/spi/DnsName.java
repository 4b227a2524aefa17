package dev.kith.mesh.spi;

import java.util.Objects;

/**
 * A name that a service asks the mesh's DNS server to publish, pointing at the devices that serve
 * it (see docs/dns.md).
 *
 * @param kind what the name is
 * @param name the domain ({@link Kind#MAIL_DOMAIN}, {@link Kind#SITE}) or the SRV label such as
 *     {@code _imaps._tcp} ({@link Kind#SERVICE})
 * @param port the port of a {@link Kind#SERVICE}; 0 otherwise
 */
public record DnsName(Kind kind, String name, int port) {

  /** What a published name is. */
  public enum Kind {
    /** A mail domain: MX records of the devices that take SMTP, and the zone's default. */
    MAIL_DOMAIN,
    /** An SRV record (RFC 2782, RFC 6186) under each owner's name and each mail domain. */
    SERVICE,
    /** A web site's domain: the addresses of the devices that serve it. */
    SITE
  }

  public DnsName {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    if (kind == Kind.SERVICE && (port <= 0 || port > 65535 || !name.startsWith("_"))) {
      throw new IllegalArgumentException("a service name is _LABEL._PROTO with a port: " + name);
    }
  }

  public static DnsName mailDomain(String domain) {
    return new DnsName(Kind.MAIL_DOMAIN, domain, 0);
  }

  /** {@code label} as in {@code _imaps._tcp}, on {@code port} of every device that serves it. */
  public static DnsName service(String label, int port) {
    return new DnsName(Kind.SERVICE, label, port);
  }

  public static DnsName site(String domain) {
    return new DnsName(Kind.SITE, domain, 0);
  }
}
