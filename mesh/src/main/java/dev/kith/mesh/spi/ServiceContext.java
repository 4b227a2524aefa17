package dev.kith.mesh.spi;

import dev.kith.mesh.config.DeviceConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the mesh hands a service when it mounts routes: the device's Vert.x instance (clustered, so
 * its event bus reaches every device), the device's configuration, its metrics registry, and the
 * {@link InstanceRouter} that says which device's instance should answer a request.
 */
public final class ServiceContext {

  /** How long a route waits for a service instance before it answers 503. */
  public static final long REQUEST_TIMEOUT_MILLIS = 5_000;

  /**
   * How long a request waits for an instance that is moving (none placed, or its registration not
   * yet visible here) before it answers 503. Such a request was never delivered, so trying again
   * cannot run it twice.
   */
  public static final long MOVE_WAIT_MILLIS = 1_000;

  /** The failure code an instance's device answers with when the instance has just stopped. */
  public static final int NOT_HERE = 503;

  /**
   * The local address on which the device learns that another device stopped answering (its name is
   * the body); requests waiting on that device then fail at once instead of at their timeout.
   */
  public static final String DEVICE_LOST_ADDRESS = "kith.mesh.local.device-lost";

  private static final Map<Vertx, ServiceContext> CONTEXTS = new ConcurrentHashMap<>();

  private final Vertx vertx;
  private final DeviceConfig config;
  private final MeterRegistry metrics;
  private final InstanceRouter router;
  private final Map<String, Set<Promise<?>>> waitingOn = new ConcurrentHashMap<>();

  public ServiceContext(
      Vertx vertx, DeviceConfig config, MeterRegistry metrics, InstanceRouter router) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.router = router;
  }

  /**
   * The context of the device that {@code vertx} belongs to, for a service instance (a verticle)
   * that asks other services through the same routing as the edge does.
   */
  public static ServiceContext of(Vertx vertx) {
    ServiceContext context = CONTEXTS.get(vertx);
    if (context == null) {
      throw new IllegalStateException("no device runs on this Vert.x instance");
    }
    return context;
  }

  /**
   * Makes this context the one {@link #of} finds for its Vert.x instance, until {@link #forget}.
   */
  public ServiceContext register() {
    CONTEXTS.put(vertx, this);
    return this;
  }

  /** Forgets the context of {@code vertx}, when its device stops. */
  public static void forget(Vertx vertx) {
    CONTEXTS.remove(vertx);
  }

  /** A context whose requests go to the plain address. */
  public ServiceContext(Vertx vertx, DeviceConfig config, MeterRegistry metrics) {
    this(vertx, config, metrics, InstanceRouter.PLAIN);
  }

  public Vertx vertx() {
    return vertx;
  }

  public DeviceConfig config() {
    return config;
  }

  public MeterRegistry metrics() {
    return metrics;
  }

  public InstanceRouter router() {
    return router;
  }

  /** The vault, through which every owner's data is read and written (see docs/vault.md). */
  public dev.kith.mesh.vault.Vault vault() {
    return dev.kith.mesh.vault.Vault.of(vertx);
  }

  /**
   * Fails every request waiting on an instance on {@code device}: it stopped answering (it is dead
   * or gone), so no reply will come. Such a request may have run, so it is not tried again; the
   * caller gets 503.
   */
  public void deviceLost(String device) {
    Set<Promise<?>> waiting = waitingOn.remove(device);
    if (waiting != null) {
      waiting.forEach(
          p ->
              p.tryFail(
                  new ServiceUnavailable(
                      device + " stopped answering while it handled the request; retry shortly")));
    }
  }

  /** This device's name. */
  public String device() {
    return config.name();
  }

  /**
   * Asks the service instance behind {@code address}, wherever it runs; the {@link #router} picks
   * the device whose instance answers. While no instance can take the request (it is moving), the
   * request is tried again for up to {@link #MOVE_WAIT_MILLIS}. When no instance takes it by then,
   * or the one that took it does not answer in time, the future fails with {@link
   * ServiceUnavailable}, which the edge turns into 503 with {@code Retry-After}; a failure the
   * instance reports itself keeps its code and message.
   */
  public <T> Future<T> request(String address, Object body) {
    Promise<T> result = Promise.promise();
    attempt(address, body, System.nanoTime() + MOVE_WAIT_MILLIS * 1_000_000L, 25, result);
    return result.future();
  }

  private <T> void attempt(
      String address, Object body, long deadlineNanos, long backoffMillis, Promise<T> result) {
    Future<T> sent;
    try {
      String target = router.route(address);
      sent = send(target, body);
    } catch (ServiceUnavailable e) {
      sent = Future.failedFuture(e);
    }
    sent.onSuccess(result::complete)
        .onFailure(
            e -> {
              boolean undelivered =
                  e instanceof ServiceUnavailable
                      || e instanceof ReplyException r
                          && r.failureType() == ReplyFailure.NO_HANDLERS;
              long leftNanos = deadlineNanos - System.nanoTime();
              if (undelivered && leftNanos > backoffMillis * 1_000_000L) {
                vertx.setTimer(
                    backoffMillis,
                    t -> attempt(address, body, deadlineNanos, backoffMillis * 2, result));
              } else {
                result.fail(unavailable(address, e));
              }
            });
  }

  /** Sends one request; one to a device-specific address also fails when that device is lost. */
  private <T> Future<T> send(String target, Object body) {
    Future<T> reply =
        vertx
            .eventBus()
            .<T>request(target, body, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MILLIS))
            .map(message -> message.body());
    int at = target.lastIndexOf('@');
    if (at < 0) {
      return reply;
    }
    String device = target.substring(at + 1);
    Promise<T> answer = Promise.promise();
    Set<Promise<?>> waiting = waitingOn.computeIfAbsent(device, d -> ConcurrentHashMap.newKeySet());
    waiting.add(answer);
    reply.onComplete(
        ar -> {
          waiting.remove(answer);
          if (ar.succeeded()) {
            answer.tryComplete(ar.result());
          } else {
            answer.tryFail(ar.cause());
          }
        });
    return answer.future();
  }

  private static Throwable unavailable(String address, Throwable e) {
    if (e instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ServiceUnavailable(
            address + " has no running instance (it may be moving); retry shortly");
      }
      if (r.failureType() == ReplyFailure.TIMEOUT) {
        return new ServiceUnavailable(address + " did not answer in time; retry shortly");
      }
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE && r.failureCode() == NOT_HERE) {
        return new ServiceUnavailable(r.getMessage());
      }
    }
    return e;
  }
}
