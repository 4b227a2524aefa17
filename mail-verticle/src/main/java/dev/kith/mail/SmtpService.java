package dev.kith.mail;

import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * The SMTP edge that every device runs: it takes mail for the mesh's owners from anyone, and mail
 * from an authenticated owner to anyone (submission), and files it through {@link Delivery} and
 * {@link Submission}, wherever the owner's mailbox runs. It serves no event-bus address and no HTTP
 * route: its interface is the SMTP port ({@code smtp-port}).
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
  public Deployable newInstance() {
    return new SmtpVerticle();
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    // The SMTP edge has no HTTP routes.
  }
}
