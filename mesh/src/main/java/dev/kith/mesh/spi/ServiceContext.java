package dev.kith.mesh.spi;

import dev.kith.mesh.config.DeviceConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * What the mesh hands a service when it mounts routes: the device's Vert.x instance (clustered, so
 * its event bus reaches every device), the device's configuration and its metrics registry.
 */
public record ServiceContext(Vertx vertx, DeviceConfig config, MeterRegistry metrics) {

  /** How long a route waits for a service instance before it answers 503. */
  public static final long REQUEST_TIMEOUT_MILLIS = 5_000;

  /** This device's name. */
  public String device() {
    return config.name();
  }

  /**
   * Asks the service instance behind {@code address}, wherever it runs. When no instance is
   * registered or none answers in time, the future fails with {@link ServiceUnavailable}, which the
   * edge turns into 503 with {@code Retry-After}; a failure the instance reports itself keeps its
   * code and message.
   */
  public <T> Future<T> request(String address, Object body) {
    return vertx
        .eventBus()
        .<T>request(address, body, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MILLIS))
        .map(reply -> reply.body())
        .recover(
            e -> {
              if (e instanceof ReplyException r
                  && (r.failureType() == ReplyFailure.NO_HANDLERS
                      || r.failureType() == ReplyFailure.TIMEOUT)) {
                return Future.failedFuture(
                    new ServiceUnavailable(
                        address
                            + (r.failureType() == ReplyFailure.NO_HANDLERS
                                ? " has no running instance (it may be moving)"
                                : " did not answer in time")));
              }
              return Future.failedFuture(e);
            });
  }
}
