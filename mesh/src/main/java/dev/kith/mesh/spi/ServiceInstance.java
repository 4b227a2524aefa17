package dev.kith.mesh.spi;

import dev.kith.mesh.vault.Fence;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.serviceproxy.ServiceBinder;
import io.vertx.serviceproxy.ServiceException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of a service: the verticle that the device, or the placement controller, deploys. It
 * gets its {@link InstanceContext} handed in (owner, device, epoch, the vault under its fence) and
 * declares the typed contracts it serves ({@link #serve}); everything else is here, once.
 *
 * <p>Start-up: {@link #prepare} (what must see every write from the claim on, such as a vault
 * watch), then the claim of the instance's fence in {@link #fencedVault()} (from then on no write
 * of an earlier epoch can be acknowledged, and everything acknowledged before is visible to a
 * quorum read), then {@link #open} (load what the instance owns), then the contracts' consumers.
 * The instance is running, and the placement controller is told so, only once all of that is done.
 *
 * <p>Failures, mapped in one place for every request: a {@link ServiceFailure} keeps its status; an
 * {@link IllegalArgumentException} is 400; {@link Vault.NotFound} 404; {@link Vault.Conflict} 409;
 * {@link Vault.Fenced} means a newer instance has taken over, so this one stops ({@link
 * #supersede}) and the caller gets 503 to retry against the successor; any other failure of the
 * returned future (the vault could not make a change durable) is 503, logged as a warning; an
 * exception thrown by the method itself is a bug, logged as an error with its cause, and 500.
 */
public abstract class ServiceInstance extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ServiceInstance.class);

  private final InstanceContext context;
  private final List<Binding<?>> bindings = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private volatile boolean superseded;

  private record Binding<T>(Class<T> contract, String address, T implementation) {}

  protected ServiceInstance(InstanceContext context) {
    this.context = context;
  }

  /** What this instance is. */
  public final InstanceContext context() {
    return context;
  }

  /** The owner of a per-owner instance, else {@code null}. */
  protected final String owner() {
    return context.owner();
  }

  /** The device this instance runs on. */
  protected final String device() {
    return context.device();
  }

  /** The placement epoch (0 when not placed). */
  protected final long epoch() {
    return context.epoch();
  }

  /** The vault as this instance writes it: every record write carries its fence. */
  protected final Vault vault() {
    return context.vault();
  }

  /** The device's context: configuration, metrics, owners, proxies to other services. */
  protected final ServiceContext services() {
    return context.services();
  }

  /**
   * Serves {@code contract} (an interface with {@code @ProxyGen}) at {@code address}. Call it from
   * the constructor or from {@link #open}; the consumers register once {@link #open} completes.
   */
  protected final <T> void serve(Class<T> contract, String address, T implementation) {
    bindings.add(new Binding<>(contract, address, implementation));
  }

  /**
   * Listens on {@code address} for notices (publishes and one-way sends), beside the contracts.
   * Call it from {@link #open}; the consumer stops with the instance.
   */
  protected final <T> Future<Void> listen(String address, Handler<T> handler) {
    MessageConsumer<T> consumer =
        vertx.eventBus().consumer(address, message -> handler.handle(message.body()));
    consumers.add(consumer);
    return consumer.completion();
  }

  /**
   * The vault whose records this instance owns under its fence ({@link #owner()}'s for a mailbox, a
   * reserved vault for a mesh-wide queue), or {@code null} for an instance that writes no records
   * and claims nothing. Default: none.
   */
  protected String fencedVault() {
    return null;
  }

  /** Runs before the fence is claimed: start what must see every write from the claim on. */
  protected Future<Void> prepare() {
    return Future.succeededFuture();
  }

  /** Runs after the fence is claimed: load what the instance owns. */
  protected Future<Void> open() {
    return Future.succeededFuture();
  }

  /** Runs when the instance stops, after its consumers are gone: release what it holds. */
  protected Future<Void> close() {
    return Future.succeededFuture();
  }

  @Override
  public final Future<?> start() {
    Fence fence = context.fence();
    String claimed = fencedVault();
    return prepare()
        .compose(
            v ->
                fence == null || claimed == null
                    ? Future.succeededFuture()
                    : vault().claim(claimed, fence))
        .compose(v -> open())
        .compose(v -> bindAll())
        // A start that failed is not stopped by Vert.x: release what prepare and open took.
        .recover(e -> release().transform(released -> Future.failedFuture(e)));
  }

  @Override
  public final Future<?> stop() {
    return release();
  }

  /** The consumers first, then what the instance holds. */
  private Future<Void> release() {
    List<Future<Void>> stopped = new ArrayList<>();
    consumers.forEach(c -> stopped.add(c.unregister()));
    return Future.join(stopped).transform(v -> close());
  }

  /** Whether a newer instance has taken over and this one no longer serves. */
  protected final boolean superseded() {
    return superseded;
  }

  /**
   * This instance's epoch is over: a replica refused its write because a newer instance of the
   * service claimed the fence. It stops serving at once and undeploys itself; the placement agent
   * learns of it and never starts it again at this epoch.
   */
  protected final void supersede(Vault.Fenced fenced) {
    supersede(fenced.getMessage());
  }

  /** Like {@link #supersede(Vault.Fenced)}, for a newer instance learned of another way. */
  protected final void supersede(String why) {
    if (superseded) {
      return;
    }
    superseded = true;
    log.warn("{}: {} at epoch {} stops: {}", device(), describe(), epoch(), why);
    consumers.forEach(MessageConsumer::unregister);
    vertx.undeploy(deploymentID());
  }

  /** {@code mail of alice}, {@code outbound}: for log lines and messages. */
  protected final String describe() {
    return owner() == null ? context.service() : context.service() + " of " + owner();
  }

  private Future<Void> bindAll() {
    ServiceBinder binder = new ServiceBinder(vertx).setIncludeDebugInfo(false);
    List<Future<Void>> registered = new ArrayList<>();
    for (Binding<?> binding : bindings) {
      MessageConsumer<?> consumer = bind(binder, binding);
      consumers.add(consumer);
      registered.add(consumer.completion());
    }
    return Future.all(registered).mapEmpty();
  }

  private <T> MessageConsumer<?> bind(ServiceBinder binder, Binding<T> binding) {
    return binder
        .setAddress(binding.address())
        .register(binding.contract(), guarded(binding.contract(), binding.implementation()));
  }

  /** The implementation behind the mapping of failures that the class javadoc describes. */
  private <T> T guarded(Class<T> contract, T implementation) {
    InvocationHandler handler =
        (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            return method.invoke(implementation, args);
          }
          if (superseded) {
            return Future.failedFuture(moved());
          }
          Future<?> answer;
          try {
            answer = (Future<?>) method.invoke(implementation, args);
          } catch (InvocationTargetException e) {
            return Future.failedFuture(thrown(method, e.getCause()));
          }
          return answer.recover(e -> Future.failedFuture(failed(method, e)));
        };
    return contract.cast(
        Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] {contract}, handler));
  }

  private ServiceException moved() {
    return new ServiceException(ServiceContext.NOT_HERE, describe() + " has moved; retry shortly");
  }

  /** A request that failed: the status its failure calls for. */
  private ServiceException failed(Method method, Throwable e) {
    if (e instanceof ServiceFailure f) {
      return new ServiceException(f.status(), f.getMessage());
    }
    if (e instanceof Vault.Fenced fenced) {
      supersede(fenced);
      return moved();
    }
    if (e instanceof IllegalArgumentException) {
      return new ServiceException(400, e.getMessage());
    }
    if (e instanceof Vault.NotFound) {
      return new ServiceException(404, e.getMessage());
    }
    if (e instanceof Vault.Conflict) {
      return new ServiceException(409, e.getMessage());
    }
    if (e instanceof ReplyException r
        && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && r.failureCode() >= 400
        && r.failureCode() < 600) {
      return new ServiceException(r.failureCode(), r.getMessage());
    }
    // The vault could not make a change durable, or a downstream did not answer: the caller may
    // retry.
    log.warn(
        "{}: {} could not complete '{}': {}", device(), describe(), method.getName(), e.toString());
    return new ServiceException(
        ServiceContext.NOT_HERE,
        describe() + " could not complete the request (" + e.getMessage() + "); retry shortly");
  }

  /** A method that threw instead of failing its future: expected failures keep their status. */
  private ServiceException thrown(Method method, Throwable e) {
    if (e instanceof ServiceFailure || e instanceof IllegalArgumentException) {
      return failed(method, e);
    }
    log.error("{}: {} failed on '{}'", device(), describe(), method.getName(), e);
    return new ServiceException(
        500,
        "the " + context.service() + " service on " + device() + " failed; its log has the cause");
  }
}
