package dev.kith.health;

import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
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
  public Deployable newInstance() {
    return new VerticleBase() {
      @Override
      public Future<?> start() {
        JsonObject answer =
            new JsonObject()
                .put("owner", config().getString("owner"))
                .put("device", config().getString("device"))
                .put("epoch", config().getLong("epoch", 0L));
        return vertx
            .eventBus()
            .consumer(address(config().getString("owner")), message -> message.reply(answer))
            .completion();
      }
    };
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
                context
                    .<JsonObject>request(address(ctx.pathParam("owner")), new JsonObject())
                    .onSuccess(
                        reply ->
                            ctx.response()
                                .putHeader("Content-Type", "application/json")
                                .end(reply.encode()))
                    .onFailure(ctx::fail));
  }
}
