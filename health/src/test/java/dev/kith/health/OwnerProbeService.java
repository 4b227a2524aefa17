package dev.kith.health;

import dev.kith.health.probe.ProbeInstance;
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
 * A test service placed one per owner on that owner's own devices only, as chat will be: {@code GET
 * /api/ownerprobe/{owner}} answers {@code {"owner":..,"device":..,"epoch":..}} from the owner's
 * instance. The device processes of this module's tests load it from the test classpath.
 */
public final class OwnerProbeService implements KithService {

  static String address(String owner) {
    return "kith.test.ownerprobe." + owner;
  }

  @Override
  public String name() {
    return "ownerprobe";
  }

  @Override
  public Placement placement() {
    return Placement.PER_OWNER_OWN_DEVICES;
  }

  @Override
  public ProbeInstance newInstance(InstanceContext context) {
    return new ProbeInstance(context, address(context.owner()));
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(address(owner));
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    Access.owner(router.get("/:owner"), "owner")
        .handler(
            ctx ->
                Replies.answer(
                    ctx, 200, context.proxy(Probe.class, address(ctx.pathParam("owner"))).where()));
  }
}
