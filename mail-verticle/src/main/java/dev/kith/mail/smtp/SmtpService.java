package dev.kith.mail.smtp;

import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
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
}
