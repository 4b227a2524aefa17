package dev.kith.mesh.spi;

import io.vertx.core.Deployable;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * A service that plugs into every device: mail, web, chat, social, or a built-in one.
 *
 * <p>Service modules implement this interface and list the class in {@code
 * META-INF/services/dev.kith.mesh.spi.KithService}; the mesh finds them with {@link
 * java.util.ServiceLoader} and knows none of them by name. A service declares its name, where its
 * instances may run, the verticle that is one instance, the event-bus addresses an instance serves,
 * and the HTTP routes that every device's edge mounts under {@code /api/<name>/}. Routes run on
 * whichever device a request reaches; they talk to the instance through its event-bus address,
 * which does not change when the instance moves.
 */
public interface KithService {

  /** The service name: lowercase letters and digits, used in URLs and addresses. */
  String name();

  /** Where instances run. */
  Placement placement();

  /**
   * Creates one instance. Its deployment config carries {@code device}, {@code owner} (for
   * per-owner services) and {@code epoch} (the placement epoch, 0 until placement is controlled).
   */
  Deployable newInstance();

  /**
   * The event-bus addresses one instance serves.
   *
   * @param owner the instance's owner, or {@code null} for services not placed per owner
   */
  List<String> addresses(String owner);

  /**
   * Adds this service's HTTP routes to a router that the edge mounts at {@code /api/<name>/}.
   * Handlers fail the context with a status ({@code ctx.fail(404)}) and the edge writes the JSON
   * error.
   */
  void routes(Router router, ServiceContext context);
}
