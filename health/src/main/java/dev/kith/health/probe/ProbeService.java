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
 * The probe: a built-in service, one instance per owner, that says where it runs. {@code GET
 * /api/probe/{owner}} on any device answers {@code {"owner":..,"device":..,"epoch":..}} from the
 * owner's instance, wherever the controller placed it, or 503 with {@code Retry-After} while it
 * moves. The failover benchmark and outside monitors use it to see a move from the outside. It is
 * the smallest complete service, and docs/services.md builds it step by step.
 */
public final class ProbeService implements KithService {

  @Override
  public String name() {
    return "probe";
  }

  @Override
  public Placement placement() {
    return Placement.PER_OWNER_ANYWHERE;
  }

  @Override
  public ProbeInstance newInstance(InstanceContext context) {
    return new ProbeInstance(context, Probe.probeOf(context.owner()));
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(Probe.probeOf(owner));
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    // Only the owner named in the path may ask (Access.owner checks the name, then the token).
    Access.owner(router.get("/:owner"), "owner")
        .handler(
            ctx ->
                Replies.answer(
                    ctx,
                    200,
                    context.proxy(Probe.class, Probe.probeOf(ctx.pathParam("owner"))).where()));
  }
}
