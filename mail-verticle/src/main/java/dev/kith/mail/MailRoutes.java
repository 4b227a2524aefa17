package dev.kith.mail;

import dev.kith.mesh.spi.ServiceContext;
import io.vertx.ext.web.Router;

/** The HTTP API of mail. PLACEHOLDER: being written. */
final class MailRoutes {
  private final ServiceContext context;

  MailRoutes(ServiceContext context) {
    this.context = context;
  }

  void mount(Router router) {}
}
