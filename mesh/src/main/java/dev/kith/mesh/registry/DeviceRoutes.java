package dev.kith.mesh.registry;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import dev.kith.mesh.spi.web.RouteModule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The devices and services of the mesh: {@code GET /api/mesh/devices}, {@code GET
 * /api/mesh/devices/{name}} and {@code GET /api/mesh/services}, on every device, for any logged-in
 * caller. The registry gives each device's entry; the platform's extensions add what they know
 * (health adds each device's state as gossip sees it, its power, load and the instances it runs)
 * and the instances they place.
 */
public final class DeviceRoutes implements RouteModule {

  private final RegistryReader registry;
  private final UnaryOperator<JsonObject> describe;
  private final Supplier<Future<List<JsonObject>>> placed;

  /**
   * @param describe adds to a device's entry what the extensions know of it
   * @param placed the instances the placement controller placed, or an empty list without one
   */
  public DeviceRoutes(
      RegistryReader registry,
      UnaryOperator<JsonObject> describe,
      Supplier<Future<List<JsonObject>>> placed) {
    this.registry = registry;
    this.describe = describe;
    this.placed = placed;
  }

  @Override
  public void mount(Router router) {
    Access.loggedIn(router.get("/api/mesh/devices")).handler(this::listDevices);
    Access.loggedIn(router.get("/api/mesh/devices/:name")).handler(this::getDevice);
    Access.loggedIn(router.get("/api/mesh/services")).handler(this::listServices);
  }

  private void listDevices(RoutingContext ctx) {
    Replies.answer(
        ctx, 200, devices().map(devices -> new JsonArray(devices.stream().map(describe).toList())));
  }

  private void getDevice(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Replies.answer(
        ctx,
        200,
        devices()
            .map(
                devices ->
                    devices.stream()
                        .filter(d -> name.equals(d.getString("name")))
                        .findFirst()
                        .map(describe)
                        .orElseThrow(() -> ServiceFailure.notFound("no device named " + name))));
  }

  /** The registry's entries; a registry that cannot be read now is a 503, not a failure. */
  private Future<List<JsonObject>> devices() {
    return registry
        .list()
        .recover(
            e ->
                Future.failedFuture(
                    new ServiceUnavailable(
                        "the device registry cannot be read now (" + e.getMessage() + "); retry")));
  }

  /** Placed instances, then the services that run on every live device. */
  private void listServices(RoutingContext ctx) {
    Replies.answer(
        ctx,
        200,
        Future.all(placed.get(), devices())
            .map(
                all -> {
                  JsonArray out =
                      new JsonArray(new java.util.ArrayList<>(all.<List<JsonObject>>resultAt(0)));
                  for (JsonObject device : all.<List<JsonObject>>resultAt(1)) {
                    if (!"alive".equals(device.getString("state"))) {
                      continue;
                    }
                    for (Object service : device.getJsonArray("services", new JsonArray())) {
                      out.add(
                          new JsonObject()
                              .put("service", service)
                              .put("owner", (String) null)
                              .put("device", device.getString("name"))
                              .put("epoch", 0)
                              .put("since", device.getString("startedAt"))
                              .put("state", "running"));
                    }
                  }
                  return out;
                }));
  }
}
