package dev.kith.mesh.spi;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * A service that plugs into every device: mail, web, chat, social, or a built-in one.
 *
 * <p>Service modules implement this interface and list the class in {@code
 * META-INF/services/dev.kith.mesh.spi.KithService}; the mesh finds them with {@link
 * java.util.ServiceLoader} and knows none of them by name. A service declares its name, where its
 * instances may run, how to make one instance (a {@link ServiceInstance}), the event-bus addresses
 * an instance serves, and the HTTP routes that every device's edge mounts under {@code
 * /api/<name>/}. Routes run on whichever device a request reaches; they talk to the instance
 * through a typed proxy of its address ({@link ServiceContext#proxy}), which does not change when
 * the instance moves.
 *
 * <p>The rule of who writes what: the edge (routes, protocol front ends such as SMTP) stores blobs,
 * as vault objects, which are immutable and named by their content, so any device may write them at
 * any time; the placed instance writes records, under its placement epoch, so that exactly one
 * writer owns them at a time. docs/services.md shows how to build one.
 */
public interface KithService {

  /** The service name: lowercase letters and digits, used in URLs, addresses and fences. */
  String name();

  /** Where instances run. */
  Placement placement();

  /** Creates one instance, which the device (or the placement agent) then deploys. */
  ServiceInstance newInstance(InstanceContext context);

  /**
   * The event-bus addresses one instance serves.
   *
   * @param owner the instance's owner, or {@code null} for services not placed per owner
   */
  List<String> addresses(String owner);

  /**
   * Adds this service's HTTP routes to a router that the edge mounts at {@code /api/<name>/}. Every
   * route declares who may call it ({@code Access}); handlers fail the context ({@code
   * ctx.fail(status, cause)} or {@code Replies.fail}) and the edge writes the JSON error.
   */
  default void routes(Router router, ServiceContext context) {}

  /**
   * Adds routes that read their request bodies themselves (uploads of files or archives, with their
   * own limits) to a router that the edge mounts at {@code /api/<name>/} before it reads any body:
   * the edge neither buffers these bodies nor requires them to be JSON. Each route declares who may
   * call it, like those of {@link #routes}.
   */
  default void uploadRoutes(Router router, ServiceContext context) {}

  /**
   * Adds routes at fixed paths outside {@code /api/} that a protocol defines (XMPP over WebSocket's
   * {@code /xmpp-websocket}, its discovery at {@code /.well-known/host-meta}). The edge mounts them
   * at its root after reading credentials and before reading any body; each route declares who may
   * call it, like those of {@link #routes}. Paths must not collide with another service's.
   */
  default void edgeRoutes(Router router, ServiceContext context) {}

  /**
   * WebSocket subprotocols its edge routes accept ({@code xmpp}, RFC 7395); the edge offers them.
   */
  default List<String> webSocketSubProtocols() {
    return List.of();
  }

  /**
   * A handler that the edge runs first for every request, before credentials are read: it answers
   * the requests addressed to a host name this service serves (a web site's domain, by {@code
   * Host}) and calls {@code ctx.next()} for all others, which then reach the API. Such answers are
   * on their own origin, so the handler never sees the API's cookies in use. {@code null}: none.
   */
  default Handler<RoutingContext> hostHandler(ServiceContext context) {
    return null;
  }

  /**
   * The names this service asks the mesh's DNS server to publish for it on this device's view (mail
   * domains, SRV labels with their ports, web sites' domains). Called every few seconds and when a
   * device is lost; it must be cheap.
   */
  default Future<List<DnsName>> dnsNames(ServiceContext context) {
    return Future.succeededFuture(List.of());
  }
}
