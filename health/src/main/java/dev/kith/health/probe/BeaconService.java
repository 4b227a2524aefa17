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

/**
 * The beacon: a built-in service with one instance in the whole mesh, the smallest singleton there
 * is. {@code GET /api/beacon} on any device answers {@code {"device":..,"epoch":..}} from the one
 * instance, wherever the controller placed it, or 503 with {@code Retry-After} while it moves. It
 * makes the per-mesh placement visible from outside: the partition test watches it to check that
 * each side of a partition runs at most one copy and that one copy remains once the mesh heals.
 */
public final class BeaconService implements KithService {

  /** The event-bus address of the beacon instance. */
  public static final String ADDRESS = "kith.beacon";

  @Override
  public String name() {
    return "beacon";
  }

  @Override
  public Placement placement() {
    return Placement.PER_MESH;
  }

  @Override
  public Deployable newInstance() {
    return new BeaconVerticle();
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(ADDRESS);
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    // The edge mounts this router at /api/beacon/*, where a route for "/" would miss the bare
    // /api/beacon: the sub-router sees an empty path there.
    Access.loggedIn(router.getWithRegex("/?")).handler(ctx -> beacon(ctx, context));
  }

  private static void beacon(RoutingContext ctx, ServiceContext context) {
    context
        .<JsonObject>request(ADDRESS, new JsonObject())
        .onSuccess(
            reply ->
                ctx.response().putHeader("Content-Type", "application/json").end(reply.encode()))
        .onFailure(ctx::fail);
  }
}
