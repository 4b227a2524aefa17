package dev.kith.mail;

import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
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
public final class SmtpVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SmtpVerticle.class);

  private SmtpEdge edge;

  @Override
  public Future<?> start() {
    ServiceContext context = ServiceContext.of(vertx);
    int port = context.config().mail().smtpPort();
    if (port == 0) {
      log.info("{} runs no SMTP edge (smtp-port is 0)", context.device());
      return Future.succeededFuture();
    }
    SmtpEdge starting = new SmtpEdge(context);
    return vertx
        .executeBlocking(starting::start, false)
        .onSuccess(bound -> edge = starting)
        .recover(
            e -> {
              log.error(
                  "{} cannot take SMTP on port {} (smtp-port); it serves without it",
                  context.device(),
                  port,
                  e);
              return vertx.executeBlocking(
                  () -> {
                    starting.stop();
                    return 0;
                  },
                  false);
            });
  }

  @Override
  public Future<?> stop() {
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
