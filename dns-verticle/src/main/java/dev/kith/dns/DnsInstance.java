package dev.kith.dns;

import dev.kith.dns.protocol.DnsServer;
import dev.kith.dns.protocol.RateLimiter;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's DNS server, started with the instance and stopped on undeploy. A port that cannot be
 * bound does not stop the device: the failure is logged at ERROR with the port, the cause and what
 * to do, and the device serves everything else.
 */
public final class DnsInstance extends ServiceInstance {

  private static final Logger log = LoggerFactory.getLogger(DnsInstance.class);

  /** Client networks the rate limit keeps track of at most. */
  private static final int TRACKED_NETWORKS = 100_000;

  /** A TCP connection idle this long is closed (RFC 7766 suggests seconds, not minutes). */
  private static final Duration TCP_IDLE = Duration.ofSeconds(10);

  private DnsServer server;
  private long refreshTimer = -1;
  private MessageConsumer<String> lostDevices;

  DnsInstance(InstanceContext context) {
    super(context);
  }

  @Override
  protected Future<Void> open() {
    DnsConfig config = services().config(DnsConfig.class);
    if (config.port() == 0) {
      log.info("{} runs no DNS server (dns-port is 0)", device());
      return Future.succeededFuture();
    }
    DnsMetrics metrics = new DnsMetrics(services().metrics());
    DnsZones zones = new DnsZones(services().directory(), config.zones(), device(), metrics);
    refreshTimer = vertx.setPeriodic(DnsZones.REFRESH_MILLIS, t -> zones.refresh());
    lostDevices =
        vertx.eventBus().localConsumer(ServiceContext.DEVICE_LOST_ADDRESS, lost -> zones.refresh());
    DnsServer starting =
        new DnsServer(
            vertx,
            zones::snapshot,
            new RateLimiter(config.rateLimit(), TRACKED_NETWORKS),
            new DnsListener(metrics, device()),
            new DnsServer.Limits(config.maxTcpConnections(), TCP_IDLE));
    server = starting;
    return zones
        .refresh()
        .recover(e -> Future.succeededFuture())
        .compose(refreshed -> starting.listen(config.bindHost(), config.port()))
        .onSuccess(
            listening ->
                log.info(
                    "{} answers DNS on {}:{} (UDP and TCP)",
                    device(),
                    config.bindHost(),
                    starting.port()))
        .recover(
            e -> {
              log.error(
                  "{} cannot serve DNS on port {} ({}); it serves without it: choose a free"
                      + " dns-port (53 needs CAP_NET_BIND_SERVICE), or 0 to turn DNS off",
                  device(),
                  config.port(),
                  e.getMessage(),
                  e);
              return Future.succeededFuture();
            });
  }

  @Override
  protected Future<Void> close() {
    vertx.cancelTimer(refreshTimer);
    if (lostDevices != null) {
      lostDevices.unregister();
    }
    DnsServer running = server;
    server = null;
    return running == null ? Future.succeededFuture() : running.close();
  }
}
