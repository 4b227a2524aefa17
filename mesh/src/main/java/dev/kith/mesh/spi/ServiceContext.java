package dev.kith.mesh.spi;

import dev.kith.mesh.vault.Vault;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.serviceproxy.ServiceException;
import io.vertx.serviceproxy.ServiceExceptionMessageCodec;
import io.vertx.serviceproxy.ServiceProxyBuilder;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the device hands every service: its Vert.x instance (clustered, so its event bus reaches
 * every device), the device's name, each module's configuration section, the metrics registry, the
 * vault, the owners' accounts and password check, and typed proxies to other services' instances
 * ({@link #proxy}) that reach them wherever they run.
 *
 * <p>Routing. A request through a proxy goes to the {@link InstanceRouter}'s choice of device (the
 * placement controller knows which device runs each placed instance), so it never reaches a stale
 * registration left by a dead device or the far side of a healed partition. While no instance can
 * take it (it is moving), it is tried again for up to {@link #MOVE_WAIT_MILLIS}; when none takes it
 * by then, or the one that took it does not answer in time, it fails with status 503, which the
 * edge answers with {@code Retry-After}. A failure the instance reports itself keeps its status and
 * message.
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

  /** The local address through which proxies send: the header names the service's address. */
  static final String ROUTE_ADDRESS = "kith.mesh.local.route";

  static final String TARGET_HEADER = "kith-target";

  private final Vertx vertx;
  private final String device;
  private final Sections sections;
  private final MeterRegistry metrics;
  private final InstanceRouter router;
  private final Supplier<Vault> vault;
  private final Supplier<Owners> owners;
  private final Function<String, Future<Long>> ping;
  private final MeshDirectory directory;
  private final Map<String, Set<Promise<?>>> waitingOn = new ConcurrentHashMap<>();

  /** Each module's configuration, by its type (the device's configuration provides them). */
  @FunctionalInterface
  public interface Sections {
    /**
     * The module's configuration.
     *
     * @throws IllegalStateException when the module's section is not installed
     */
    <T> T section(Class<T> type);
  }

  private ServiceContext(Builder b) {
    this.vertx = b.vertx;
    this.device = b.device;
    this.sections = b.sections;
    this.metrics = b.metrics;
    this.router = b.router;
    this.vault = b.vault;
    this.owners = b.owners;
    this.ping = b.ping;
    this.directory = b.directory;
  }

  /** Starts a context for {@code device}; parts not given refuse to be used. */
  public static Builder builder(Vertx vertx, String device) {
    return new Builder(vertx, device);
  }

  /**
   * Registers the local consumers that route proxies' requests and learn of lost devices. The
   * device calls it once, before any service starts.
   */
  public Future<Void> start() {
    try {
      vertx
          .eventBus()
          .registerDefaultCodec(ServiceException.class, new ServiceExceptionMessageCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // A generated proxy or handler registered it first.
    }
    return Future.join(
            vertx.eventBus().<Object>localConsumer(ROUTE_ADDRESS, this::route).completion(),
            vertx
                .eventBus()
                .<String>localConsumer(DEVICE_LOST_ADDRESS, msg -> deviceLost(msg.body()))
                .completion())
        .mapEmpty();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This device's name. */
  public String device() {
    return device;
  }

  /** A module's configuration, read by its section (see {@code ConfigSection}). */
  public <T> T config(Class<T> type) {
    return sections.section(type);
  }

  public MeterRegistry metrics() {
    return metrics;
  }

  /** The vault, through which every owner's data is read and written (see docs/vault.md). */
  public Vault vault() {
    return vault.get();
  }

  /** The owners' accounts, and the one password check with the mesh-wide lockout. */
  public Owners owners() {
    Owners current = owners.get();
    if (current == null) {
      throw new IllegalStateException("the accounts of " + device + " have not started yet");
    }
    return current;
  }

  /** What this device knows of the mesh's devices, failover orders and DNS names. */
  public MeshDirectory directory() {
    return directory;
  }

  /**
   * When {@code device}'s running process started (epoch milliseconds), 0 when it answers without
   * saying, or -1 when it does not answer: it is gone, or cut off from this device.
   */
  public Future<Long> startedAt(String device) {
    return ping.apply(device);
  }

  /**
   * A typed proxy of the service contract {@code contract} (an interface with {@code @ProxyGen})
   * whose calls reach the instance behind {@code address}, wherever it runs, with the routing and
   * the waiting for a moving instance that this class describes.
   */
  public <T> T proxy(Class<T> contract, String address) {
    DeliveryOptions options =
        new DeliveryOptions()
            .addHeader(TARGET_HEADER, address)
            .setLocalOnly(true)
            // The route waits for a moving instance, then for the instance's answer.
            .setSendTimeout(REQUEST_TIMEOUT_MILLIS + MOVE_WAIT_MILLIS + 1_000);
    return new ServiceProxyBuilder(vertx)
        .setAddress(ROUTE_ADDRESS)
        .setOptions(options)
        .build(contract);
  }

  /** Sends one proxied request on to its service's instance and relays the answer. */
  private void route(Message<Object> msg) {
    String target = msg.headers().get(TARGET_HEADER);
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(msg.headers());
    headers.remove(TARGET_HEADER);
    request(target, msg.body(), headers)
        .onSuccess(msg::reply)
        .onFailure(
            e -> {
              if (e instanceof ServiceFailure f) {
                msg.fail(f.status(), f.getMessage());
              } else if (e instanceof ReplyException r
                  && r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
                msg.fail(r.failureCode(), r.getMessage());
              } else {
                msg.fail(NOT_HERE, String.valueOf(e.getMessage()));
              }
            });
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

  /**
   * Asks the instance behind {@code address}, wherever it runs, with a raw body and headers; what
   * {@link #proxy} does for each call.
   */
  <T> Future<T> request(String address, Object body, MultiMap headers) {
    Promise<T> result = Promise.promise();
    attempt(address, body, headers, System.nanoTime() + MOVE_WAIT_MILLIS * 1_000_000L, 25, result);
    return result.future();
  }

  private <T> void attempt(
      String address,
      Object body,
      MultiMap headers,
      long deadlineNanos,
      long backoffMillis,
      Promise<T> result) {
    Future<T> sent;
    try {
      String target = router.route(address);
      sent = send(target, body, headers);
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
                    t -> attempt(address, body, headers, deadlineNanos, backoffMillis * 2, result));
              } else {
                result.fail(unavailable(address, e));
              }
            });
  }

  /** Sends one request; one to a device-specific address also fails when that device is lost. */
  private <T> Future<T> send(String target, Object body, MultiMap headers) {
    Future<T> reply =
        vertx
            .eventBus()
            .<T>request(
                target,
                body,
                new DeliveryOptions().setHeaders(headers).setSendTimeout(REQUEST_TIMEOUT_MILLIS))
            .map(Message::body);
    int at = target.lastIndexOf('@');
    if (at < 0) {
      return reply;
    }
    String on = target.substring(at + 1);
    Promise<T> answer = Promise.promise();
    Set<Promise<?>> waiting = waitingOn.computeIfAbsent(on, d -> ConcurrentHashMap.newKeySet());
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

  /** Assembles a {@link ServiceContext}. */
  public static final class Builder {
    private final Vertx vertx;
    private final String device;
    private Sections sections =
        new Sections() {
          @Override
          public <T> T section(Class<T> type) {
            throw new IllegalStateException("no configuration section " + type.getName());
          }
        };
    private MeterRegistry metrics = new SimpleMeterRegistry();
    private InstanceRouter router = InstanceRouter.PLAIN;
    private Supplier<Vault> vault =
        () -> {
          throw new IllegalStateException("no vault runs on this device yet");
        };
    private Supplier<Owners> owners = () -> null;
    private Function<String, Future<Long>> ping = d -> Future.succeededFuture(-1L);
    private MeshDirectory directory = MeshDirectory.NONE;

    private Builder(Vertx vertx, String device) {
      this.vertx = Objects.requireNonNull(vertx, "vertx");
      this.device = Objects.requireNonNull(device, "device");
    }

    /** Where modules' configurations come from. */
    public Builder sections(Sections sections) {
      this.sections = sections;
      return this;
    }

    public Builder directory(MeshDirectory directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    public Builder metrics(MeterRegistry metrics) {
      this.metrics = metrics;
      return this;
    }

    /** Which device's instance answers a request; the plain address without one. */
    public Builder router(InstanceRouter router) {
      this.router = router;
      return this;
    }

    /** The vault, once it runs. */
    public Builder vault(Supplier<Vault> vault) {
      this.vault = vault;
      return this;
    }

    /** The owners, once the device's accounts run. */
    public Builder owners(Supplier<Owners> owners) {
      this.owners = owners;
      return this;
    }

    /** How to ask a device when its process started (see {@link #startedAt}). */
    public Builder ping(Function<String, Future<Long>> ping) {
      this.ping = ping;
      return this;
    }

    public ServiceContext build() {
      return new ServiceContext(this);
    }
  }
}
