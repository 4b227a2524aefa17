package dev.kith.mail.outbound;

import dev.kith.mail.api.Outbound;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The outbound mail sender: one instance in the whole mesh ({@link OutboundInstance}), which
 * delivers the {@link Outbox} to remote domains, through the configured relay or to each domain's
 * MX. Administrators can list the queue with {@code GET /api/outbound/queue} (add {@code
 * ?done=true} for finished entries); any device answers it from the vault.
 */
public final class OutboundService implements KithService {

  @Override
  public String name() {
    return "outbound";
  }

  @Override
  public Placement placement() {
    return Placement.PER_MESH;
  }

  @Override
  public OutboundInstance newInstance(InstanceContext context) {
    return new OutboundInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(Outbound.ADDRESS);
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    Access.admin(router.get("/queue")).handler(ctx -> listQueue(ctx, context));
  }

  private static void listQueue(RoutingContext ctx, ServiceContext context) {
    boolean done = "true".equals(ctx.queryParams().get("done"));
    Replies.answer(
        ctx,
        200,
        Outbox.scanAll(context.vault(), done ? Outbox.DONE_PREFIX : Outbox.QUEUE_PREFIX)
            .map(
                records -> {
                  JsonArray out = new JsonArray();
                  records.forEach(r -> out.add(new JsonObject(r.value()).put("key", r.key())));
                  return out;
                }));
  }
}
