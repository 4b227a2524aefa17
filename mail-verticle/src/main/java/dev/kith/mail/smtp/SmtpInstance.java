package dev.kith.mail.smtp;

import dev.kith.mail.MailConfig;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's SMTP edge ({@link SmtpEdge}), started on {@code smtp-port} and stopped on undeploy;
 * with {@code smtp-port 0} it does nothing.
 *
 * <p>A port that cannot be bound does not stop the device: every device takes mail, so the mesh's
 * MX records list several, and a device without its SMTP port still serves HTTP and its share of
 * the services. The failure is logged at ERROR with the port and the cause.
 */
public final class SmtpInstance extends ServiceInstance {

  private static final Logger log = LoggerFactory.getLogger(SmtpInstance.class);

  private SmtpEdge edge;

  SmtpInstance(InstanceContext context) {
    super(context);
  }

  @Override
  protected Future<Void> open() {
    int port = services().config(MailConfig.class).smtpPort();
    if (port == 0) {
      log.info("{} runs no SMTP edge (smtp-port is 0)", device());
      return Future.succeededFuture();
    }
    SmtpEdge starting = new SmtpEdge(services());
    return vertx
        .executeBlocking(starting::start, false)
        .onSuccess(bound -> edge = starting)
        .<Void>mapEmpty()
        .recover(
            e -> {
              log.error(
                  "{} cannot take SMTP on port {} (smtp-port); it serves without it",
                  device(),
                  port,
                  e);
              return vertx.executeBlocking(
                  () -> {
                    starting.stop();
                    return null;
                  },
                  false);
            });
  }

  @Override
  protected Future<Void> close() {
    SmtpEdge running = edge;
    edge = null;
    if (running == null) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(
        () -> {
          running.stop();
          return null;
        },
        false);
  }
}
