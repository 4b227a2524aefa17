package dev.kith.mesh;

import dev.kith.mesh.echo.Echo;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.ServiceInstance;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * A test-only service that every device on the test class path runs, so that tests can drive a
 * request through the whole path a real service uses: edge, service route, typed proxy, event bus,
 * instance. {@code POST /api/echo/} sends its JSON body to an instance ({@link Echo#echo}) and
 * answers with the reply, which is the same object plus the name of the device whose instance
 * answered. {@code GET /api/echo/boom} throws in the route, {@code GET /api/echo/fail/{status}}
 * makes the instance fail with that status, and {@code GET /api/echo/crash} makes the instance
 * throw, to show how the edge treats each. It holds no state and costs one consumer per device.
 */
public final class EchoService implements KithService {

  /** Where every instance answers; with several devices, any one of them may answer. */
  public static final String ADDRESS = "kith.echo";

  /** The message of the exception that {@code GET /api/echo/boom} throws. */
  public static final String BOOM = "echo was asked to fail";

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public EchoInstance newInstance(InstanceContext context) {
    return new EchoInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(ADDRESS);
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    Echo echo = context.proxy(Echo.class, ADDRESS);
    Access.loggedIn(router.post("/")).handler(ctx -> echo(ctx, echo));
    Access.loggedIn(router.get("/boom"))
        .handler(
            ctx -> {
              throw new IllegalStateException(BOOM);
            });
    Access.loggedIn(router.get("/fail/:status"))
        .handler(
            ctx -> {
              int status;
              try {
                status = Integer.parseInt(ctx.pathParam("status"));
              } catch (NumberFormatException e) {
                ctx.fail(400, ServiceFailure.badRequest("a status is a number"));
                return;
              }
              Replies.answer(ctx, 200, echo.fail(status, "asked to fail"));
            });
    Access.loggedIn(router.get("/crash")).handler(ctx -> Replies.answer(ctx, 200, echo.crash()));
  }

  private static void echo(RoutingContext ctx, Echo echo) {
    // A body that is not JSON throws DecodeException, which the edge answers with 400.
    JsonObject body = ctx.body().asJsonObject();
    if (body == null) {
      ctx.fail(400, new IllegalArgumentException("send a JSON object to echo"));
      return;
    }
    Replies.answer(ctx, 200, echo.echo(body));
  }

  /** One instance: answers on {@link #ADDRESS}, ready once its consumer is registered. */
  static final class EchoInstance extends ServiceInstance implements Echo {

    EchoInstance(InstanceContext context) {
      super(context);
      serve(Echo.class, ADDRESS, this);
    }

    @Override
    public Future<JsonObject> echo(JsonObject body) {
      return Future.succeededFuture(body.copy().put("device", device()));
    }

    @Override
    public Future<JsonObject> fail(int status, String message) {
      return Future.failedFuture(new ServiceFailure(status, message));
    }

    @Override
    public Future<JsonObject> crash() {
      throw new IllegalStateException(BOOM);
    }
  }
}
