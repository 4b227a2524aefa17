package dev.kith.mail.imap;

import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * The IMAP server that every device runs ({@link ImapServer}): an owner's IMAP client can use any
 * device, and reads and changes the same mailboxes as the HTTP API, through the owner's mailbox
 * instance wherever it runs. It serves no event-bus address and no HTTP route: its interface is the
 * IMAP ports ({@code imap-port}, {@code imaps-port}).
 */
public final class ImapService implements KithService {

  @Override
  public String name() {
    return "imap";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public ImapInstance newInstance(InstanceContext context) {
    return new ImapInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }

  /** IMAP with STARTTLS and with implicit TLS (RFC 6186), on the ports that are on. */
  @Override
  public Future<List<DnsName>> dnsNames(ServiceContext context) {
    ImapConfig config = context.config(ImapConfig.class);
    List<DnsName> names = new ArrayList<>();
    if (config.port() > 0) {
      names.add(DnsName.service("_imap._tcp", config.port()));
    }
    if (config.tlsPort() > 0) {
      names.add(DnsName.service("_imaps._tcp", config.tlsPort()));
    }
    return Future.succeededFuture(names);
  }
}
