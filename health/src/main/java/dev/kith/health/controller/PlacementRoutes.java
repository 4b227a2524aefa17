package dev.kith.health.controller;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The placement part of the mesh API: the placed instances that {@code GET /api/mesh/services}
 * lists ({@link #instances}), the recent moves ({@code GET /api/mesh/events}), and draining a
 * device ({@code POST /api/mesh/devices/{name}/drain} and {@code .../undrain}). Any device answers;
 * the state lives in the shared {@link PlacementStore}.
 */
public final class PlacementRoutes {

  private static final int MAX_EVENTS = 200;

  private final PlacementStore store;
  private final Supplier<Future<List<JsonObject>>> registry;
  private final Runnable reconcileSoon;

  /**
   * @param registry the device registry's entries (a patient reader: a raw registry read can wait
   *     seconds on a failed member's partitions)
   */
  public PlacementRoutes(
      PlacementStore store, Supplier<Future<List<JsonObject>>> registry, Runnable reconcileSoon) {
    this.store = store;
    this.registry = registry;
    this.reconcileSoon = reconcileSoon;
  }

  public void mount(Router router) {
    Access.loggedIn(router.get("/api/mesh/events")).handler(this::listEvents);
    Access.admin(router.post("/api/mesh/devices/:name/drain")).handler(ctx -> drain(ctx, true));
    Access.admin(router.post("/api/mesh/devices/:name/undrain")).handler(ctx -> drain(ctx, false));
  }

  /** Every placed instance, by service and owner, as {@code /api/mesh/services} lists it. */
  public static Future<List<JsonObject>> instances(PlacementStore store) {
    return store
        .placements()
        .map(
            placements ->
                placements.values().stream()
                    .sorted(
                        Comparator.comparing(PlacementRecord::service)
                            .thenComparing(r -> String.valueOf(r.owner())))
                    .map(
                        r ->
                            new JsonObject()
                                .put("service", r.service())
                                .put("owner", r.owner())
                                .put("device", r.device())
                                .put("epoch", r.epoch())
                                .put("since", Instant.ofEpochMilli(r.placedAtMillis()).toString())
                                .put(
                                    "state",
                                    r.device() == null
                                        ? "not-running"
                                        : PlacementRecord.RUNNING.equals(r.state())
                                            ? "running"
                                            : "starting"))
                    .toList());
  }

  private void listEvents(RoutingContext ctx) {
    store
        .recentEvents(MAX_EVENTS)
        .onSuccess(
            events -> {
              JsonArray out = new JsonArray();
              for (JsonObject e : events) {
                out.add(
                    new JsonObject()
                        .put("service", e.getString("service"))
                        .put("owner", e.getString("owner"))
                        .put("from", e.getString("from"))
                        .put("to", e.getString("to"))
                        .put("epoch", e.getLong("epoch"))
                        .put("reason", e.getString("reason"))
                        .put("detectedAt", iso(e.getLong("detectedAt")))
                        .put("placedAt", iso(e.getLong("placedAt")))
                        .put("readyAt", iso(e.getLong("readyAt")))
                        .put(
                            "seconds",
                            e.getLong("readyAt") == null || e.getLong("detectedAt") == null
                                ? null
                                : (e.getLong("readyAt") - e.getLong("detectedAt")) / 1000.0));
              }
              Replies.json(ctx, 200, out);
            })
        .onFailure(e -> ctx.fail(503, e));
  }

  private void drain(RoutingContext ctx, boolean drained) {
    String name = ctx.pathParam("name");
    registry
        .get()
        .compose(
            devices ->
                devices.stream().anyMatch(d -> name.equals(d.getString("name")))
                    ? store.setDrained(name, drained)
                    : Future.failedFuture(ServiceFailure.notFound("no device named " + name)))
        .onSuccess(
            done -> {
              reconcileSoon.run();
              Replies.json(ctx, 200, new JsonObject().put("device", name).put("drained", drained));
            })
        .onFailure(e -> ctx.fail(e instanceof ServiceFailure f ? f.status() : 503, e));
  }

  private static String iso(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis).toString();
  }
}
