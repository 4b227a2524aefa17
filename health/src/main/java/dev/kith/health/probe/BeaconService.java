package dev.kith.health.probe;

import dev.kith.health.probe.api.Probe;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * The beacon: a built-in service with one instance in the whole mesh, the smallest singleton there
 * is. {@code GET /api/beacon} on any device answers {@code {"device":..,"epoch":..}} from the one
 * instance, wherever the controller placed it, or 503 with {@code Retry-After} while it moves. It
 * makes the per-mesh placement visible from outside: the partition test watches it to check that
 * each side of a partition runs at most one copy and that one copy remains once the mesh heals.
 */
public final class BeaconService implements KithService {

  @Override
  public String name() {
    return "beacon";
  }

  @Override
  public Placement placement() {
    return Placement.PER_MESH;
  }

  @Override
  public ProbeInstance newInstance(InstanceContext context) {
    return new ProbeInstance(context, Probe.BEACON);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(Probe.BEACON);
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    Probe beacon = context.proxy(Probe.class, Probe.BEACON);
    // The edge mounts this router at /api/beacon/*, where a route for "/" would miss the bare
    // /api/beacon: the sub-router sees an empty path there.
    Access.loggedIn(router.getWithRegex("/?"))
        .handler(ctx -> Replies.answer(ctx, 200, beacon.where()));
  }
}
