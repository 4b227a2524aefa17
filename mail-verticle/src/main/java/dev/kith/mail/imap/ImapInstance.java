package dev.kith.mail.imap;

import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's IMAP server, started with the instance and stopped on undeploy. A port that cannot
 * be bound does not stop the device (it still serves HTTP, SMTP and its share of the services); the
 * failure is logged at ERROR with the port, the cause and what to do.
 */
public final class ImapInstance extends ServiceInstance {

  private static final Logger log = LoggerFactory.getLogger(ImapInstance.class);

  private ImapServer server;

  ImapInstance(InstanceContext context) {
    super(context);
  }

  @Override
  protected Future<Void> open() {
    ImapConfig config = services().config(ImapConfig.class);
    if (config.port() == 0 && config.tlsPort() == 0) {
      log.info("{} runs no IMAP server (imap-port and imaps-port are 0)", device());
      return Future.succeededFuture();
    }
    ImapServer starting = new ImapServer(services());
    server = starting;
    return starting
        .start()
        .recover(
            e -> {
              log.error(
                  "{} cannot serve IMAP ({}); it serves without it: choose a free imap-port and"
                      + " imaps-port, or 0 to turn IMAP off",
                  device(),
                  e.getMessage(),
                  e);
              return Future.succeededFuture();
            });
  }

  @Override
  protected Future<Void> close() {
    ImapServer running = server;
    server = null;
    return running == null ? Future.succeededFuture() : running.stop();
  }
}
