package dev.kith.mail.mailbox;

import dev.kith.mail.api.Mailboxes;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * Mail: one mailbox instance per owner ({@link MailboxInstance}), placed by the controller on any
 * trusted device, and the HTTP API under {@code /api/mail/} that every device serves for the
 * logged-in owner ({@link MailRoutes}). The SMTP edge and the outbound sender are services of their
 * own.
 */
public final class MailService implements KithService {

  @Override
  public String name() {
    return "mail";
  }

  @Override
  public Placement placement() {
    return Placement.PER_OWNER_ANYWHERE;
  }

  @Override
  public MailboxInstance newInstance(InstanceContext context) {
    return new MailboxInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(Mailboxes.address(owner));
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    new MailRoutes(context).mount(router);
  }
}
