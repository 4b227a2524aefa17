package dev.kith.mail.imap;

import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
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
}
