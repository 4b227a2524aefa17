package dev.kith.mail.smtp;

import dev.kith.mail.MailConfig;
import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * The SMTP edge that every device runs: it takes mail for the mesh's owners from anyone, and mail
 * from an authenticated owner to anyone (submission), and files it through {@link
 * dev.kith.mail.mailbox.Delivery} and {@link dev.kith.mail.mailbox.Submission}, wherever the
 * owner's mailbox runs. It serves no event-bus address and no HTTP route: its interface is the SMTP
 * port ({@code smtp-port}).
 */
public final class SmtpService implements KithService {

  @Override
  public String name() {
    return "smtp";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public SmtpInstance newInstance(InstanceContext context) {
    return new SmtpInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }

  /** Each mail domain (MX), and submission on the SMTP port (RFC 6186) while SMTP is on. */
  @Override
  public Future<List<DnsName>> dnsNames(ServiceContext context) {
    MailConfig config = context.config(MailConfig.class);
    List<DnsName> names = new ArrayList<>();
    config.domains().forEach(d -> names.add(DnsName.mailDomain(d)));
    if (config.smtpPort() > 0) {
      names.add(DnsName.service("_submission._tcp", config.smtpPort()));
    }
    return Future.succeededFuture(names);
  }
}
