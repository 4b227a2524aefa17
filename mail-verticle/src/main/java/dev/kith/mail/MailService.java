package dev.kith.mail;

import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * Mail: one mailbox service per owner, placed by the controller on any trusted device, and the HTTP
 * API under {@code /api/mail/} that every device serves for the logged-in owner. The SMTP edge
 * ({@link SmtpService}) and the outbound sender ({@link OutboundService}) are services of their
 * own.
 */
public final class MailService implements KithService {

  /** The event-bus address of {@code owner}'s mailbox service. */
  public static String address(String owner) {
    return "kith.mail." + owner;
  }

  @Override
  public String name() {
    return "mail";
  }

  @Override
  public Placement placement() {
    return Placement.PER_OWNER_ANYWHERE;
  }

  @Override
  public Deployable newInstance() {
    return new MailboxVerticle();
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(address(owner));
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    new MailRoutes(context).mount(router);
  }
}
