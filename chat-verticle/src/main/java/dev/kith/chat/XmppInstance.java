package dev.kith.chat;

import dev.kith.chat.server.ChatMetrics;
import dev.kith.chat.server.XmppServer;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's XMPP server, started with the instance and stopped on undeploy. Without {@code
 * xmpp-cert}, it makes a self-signed certificate for the first chat domain at start (clients ask
 * their user to trust it once). A port that cannot be bound does not stop the device; the failure
 * is logged at ERROR with the port, the cause and what to do.
 */
public final class XmppInstance extends ServiceInstance {

  private static final Logger log = LoggerFactory.getLogger(XmppInstance.class);

  private final XmppService service;
  private XmppServer server;
  private ChatMetrics metrics;

  XmppInstance(InstanceContext context, XmppService service) {
    super(context);
    this.service = service;
  }

  @Override
  protected Future<Void> open() {
    ChatConfig config = services().config(ChatConfig.class);
    if (config.port() == 0 && config.tlsPort() == 0) {
      log.info("{} listens on no XMPP port (xmpp-port and xmpps-port are 0)", device());
    }
    metrics = new ChatMetrics(services().metrics());
    // Making a key pair takes a while: not on the event loop.
    return vertx
        .executeBlocking(() -> tls(config))
        .compose(
            tls -> {
              XmppServer starting = new XmppServer(services(), tls, metrics);
              server = starting;
              return starting.start().onSuccess(v -> service.serving(starting));
            })
        .recover(
            e -> {
              log.error(
                  "{} cannot serve XMPP ({}); it serves without it: choose a free xmpp-port and"
                      + " xmpps-port, or 0 to turn XMPP off",
                  device(),
                  e.getMessage(),
                  e);
              return Future.succeededFuture();
            });
  }

  private ServerSSLOptions tls(ChatConfig config) {
    if (config.cert() != null) {
      return new ServerSSLOptions()
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(config.cert().toString())
                  .setKeyPath(config.key().toString()));
    }
    log.info(
        "{} uses a self-signed XMPP certificate for {}: set xmpp-cert and xmpp-key for one that"
            + " clients trust without asking",
        device(),
        config.domain());
    try {
      // An EC P-256 key: made in a millisecond, where an RSA key costs seconds of CPU at start.
      io.netty.handler.ssl.util.SelfSignedCertificate cert =
          new io.netty.handler.ssl.util.SelfSignedCertificate(config.domain(), "EC", 256);
      cert.certificate().deleteOnExit();
      cert.privateKey().deleteOnExit();
      return new ServerSSLOptions()
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(cert.certificate().getPath())
                  .setKeyPath(cert.privateKey().getPath()));
    } catch (java.security.cert.CertificateException e) {
      throw new IllegalStateException(
          "cannot make a self-signed certificate: " + e.getMessage(), e);
    }
  }

  @Override
  protected Future<Void> close() {
    XmppServer running = server;
    server = null;
    service.serving(null);
    Future<Void> stopped = running == null ? Future.succeededFuture() : running.stop();
    return stopped.onComplete(
        v -> {
          if (metrics != null) {
            metrics.close();
          }
        });
  }
}
