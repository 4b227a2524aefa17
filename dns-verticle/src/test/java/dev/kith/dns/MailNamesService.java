package dev.kith.dns;

import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import java.util.List;

/**
 * A service in the test devices that asks for the names mail does (the mail module is not on this
 * module's classpath: modules never depend on each other): the mail domain {@code mesh.test},
 * submission and IMAP over TLS.
 */
public final class MailNamesService implements KithService {

  static final String DOMAIN = "mesh.test";

  @Override
  public String name() {
    return "mailnames";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public ServiceInstance newInstance(InstanceContext context) {
    return new ServiceInstance(context) {};
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }

  @Override
  public Future<List<DnsName>> dnsNames(ServiceContext context) {
    return Future.succeededFuture(
        List.of(
            DnsName.mailDomain(DOMAIN),
            DnsName.service("_submission._tcp", 587),
            DnsName.service("_imaps._tcp", 993)));
  }
}
