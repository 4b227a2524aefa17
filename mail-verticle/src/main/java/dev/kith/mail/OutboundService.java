package dev.kith.mail;

import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.edge.Edge;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The outbound mail sender: one instance in the whole mesh ({@link OutboundVerticle}), which
 * delivers the {@link Outbox} to remote domains, through the configured relay or to each domain's
 * MX. Administrators can list the queue with {@code GET /api/outbound/queue} (add {@code
 * ?done=true} for finished entries); any device answers it from the vault.
 */
public final class OutboundService implements KithService {

  /** The instance's address; {@link Outbox} publishes a notice here when it queues mail. */
  public static final String ADDRESS = "kith.mail.outbound";

  @Override
  public String name() {
    return "outbound";
  }

  @Override
  public Placement placement() {
    return Placement.PER_MESH;
  }

  @Override
  public Deployable newInstance() {
    return new OutboundVerticle();
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(ADDRESS);
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    Access.admin(router.get("/queue")).handler(ctx -> listQueue(ctx, context));
  }

  private static void listQueue(RoutingContext ctx, ServiceContext context) {
    boolean done = "true".equals(ctx.queryParams().get("done"));
    Outbox.scanAll(context.vault(), done ? Outbox.DONE_PREFIX : Outbox.QUEUE_PREFIX)
        .onSuccess(
            records -> {
              JsonArray out = new JsonArray();
              records.forEach(r -> out.add(new JsonObject(r.value()).put("key", r.key())));
              Edge.sendJson(ctx, 200, out);
            })
        .onFailure(e -> ctx.fail(503, e));
  }
}
