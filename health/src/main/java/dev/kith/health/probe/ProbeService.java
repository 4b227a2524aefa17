package dev.kith.health.probe;

import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The probe: a built-in service, one instance per owner, that says where it runs. {@code GET
 * /api/probe/{owner}} on any device answers {@code {"owner":..,"device":..,"epoch":..}} from the
 * owner's instance, wherever the controller placed it, or 503 with {@code Retry-After} while it
 * moves. The failover benchmark and outside monitors use it to see a move from the outside.
 */
public final class ProbeService implements KithService {

  private static final Pattern OWNER = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** The event-bus address of an owner's probe instance. */
  public static String address(String owner) {
    return "kith.probe." + owner;
  }

  @Override
  public String name() {
    return "probe";
  }

  @Override
  public Placement placement() {
    return Placement.PER_OWNER_ANYWHERE;
  }

  @Override
  public Deployable newInstance() {
    return new ProbeVerticle();
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(address(owner));
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    Access.owner(router.get("/:owner"), "owner").handler(ctx -> probe(ctx, context));
  }

  private static void probe(RoutingContext ctx, ServiceContext context) {
    String owner = ctx.pathParam("owner");
    if (!OWNER.matcher(owner).matches()) {
      ctx.fail(400, new IllegalArgumentException("'" + owner + "' is not an owner name"));
      return;
    }
    context
        .<JsonObject>request(address(owner), new JsonObject())
        .onSuccess(
            reply ->
                ctx.response().putHeader("Content-Type", "application/json").end(reply.encode()))
        .onFailure(ctx::fail);
  }
}
