package dev.kith.mesh;

import dev.kith.mesh.edge.Access;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * A test-only service that every device on the test class path runs, so that tests can drive a
 * request through the whole path a real service uses: edge, service route, event bus, verticle.
 * {@code POST /api/echo/} sends its JSON body to {@link #ADDRESS} and answers with the reply, which
 * is the same object plus the name of the device whose instance answered. {@code GET
 * /api/echo/boom} throws, to show how the edge treats a failing route. It holds no state and costs
 * one event-bus consumer per device.
 */
public final class EchoService implements KithService {

  /** Where every instance answers; with several devices, any one of them may answer. */
  public static final String ADDRESS = "kith.echo";

  /** The message of the exception that {@code GET /api/echo/boom} throws. */
  public static final String BOOM = "echo was asked to fail";

  private static final long REPLY_TIMEOUT_MILLIS = 5_000;

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public Deployable newInstance() {
    return new EchoVerticle();
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(ADDRESS);
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    EchoRoutes routes = new EchoRoutes(context.vertx());
    Access.loggedIn(router.post("/")).handler(routes::echo);
    Access.loggedIn(router.get("/boom")).handler(routes::boom);
  }

  /** One instance: answers on {@link #ADDRESS}, ready once its consumer is registered. */
  static final class EchoVerticle extends VerticleBase {

    private String device;

    @Override
    public Future<?> start() {
      device = config().getString("device");
      return vertx.eventBus().consumer(ADDRESS, this::reply).completion();
    }

    private void reply(Message<Object> message) {
      Object body = message.body();
      JsonObject answer =
          body instanceof JsonObject json
              ? json.copy()
              : new JsonObject().put("body", body == null ? null : body.toString());
      message.reply(answer.put("device", device));
    }
  }

  private static final class EchoRoutes {

    private final Vertx vertx;

    EchoRoutes(Vertx vertx) {
      this.vertx = vertx;
    }

    void echo(RoutingContext ctx) {
      // A body that is not JSON throws DecodeException, which the edge answers with 400.
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        ctx.fail(400, new IllegalArgumentException("send a JSON object to echo"));
        return;
      }
      vertx
          .eventBus()
          .<JsonObject>request(
              ADDRESS, body, new DeliveryOptions().setSendTimeout(REPLY_TIMEOUT_MILLIS))
          .onSuccess(reply -> ctx.json(reply.body()))
          .onFailure(e -> ctx.fail(502, e));
    }

    void boom(RoutingContext ctx) {
      throw new IllegalStateException(BOOM);
    }
  }
}
