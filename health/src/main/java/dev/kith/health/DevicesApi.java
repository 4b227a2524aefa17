package dev.kith.health;

import dev.kith.health.controller.PlacementRecord;
import dev.kith.health.gossip.GossipVerticle;
import dev.kith.health.gossip.MeshView;
import dev.kith.health.placement.InstanceKey;
import dev.kith.health.power.PowerRequest;
import dev.kith.health.power.PowerStatus;
import dev.kith.mesh.registry.DeviceRegistry;
import dev.kith.mesh.registry.RegistryReader;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The health part of the mesh API: what this device's view adds to each device's entry in {@code
 * GET /api/mesh/devices} (its state, power and load as this device sees them, and the instances it
 * runs), and the power switch of {@code PUT /api/mesh/devices/{name}/power}, which any device
 * accepts for any device and forwards on the event bus to the one it names. Every error goes
 * through the edge's error handler.
 */
final class DevicesApi {

  /** The largest power request body read. */
  static final int MAX_POWER_BODY_BYTES = 4096;

  /** How long a device gets to answer a forwarded power request. */
  static final long FORWARD_TIMEOUT_MILLIS = 2000;

  private static final String POWER_REQUEST = "kith.health.powerRequest";

  private final Vertx vertx;
  private final String self;
  private final RegistryReader registry;
  private final MeshView view;
  private final GossipVerticle gossip;
  private final Supplier<Map<InstanceKey, Long>> runningHere;
  private final Supplier<List<PlacementRecord>> placements;

  /**
   * @param runningHere the placed instances this device's agent runs now, with their epochs
   * @param placements the placement records of the agent's last sync
   */
  DevicesApi(
      Vertx vertx,
      String self,
      DeviceRegistry registry,
      MeshView view,
      GossipVerticle gossip,
      Supplier<Map<InstanceKey, Long>> runningHere,
      Supplier<List<PlacementRecord>> placements) {
    this.vertx = vertx;
    this.self = self;
    this.registry = new RegistryReader(vertx, registry);
    this.view = view;
    this.gossip = gossip;
    this.runningHere = runningHere;
    this.placements = placements;
  }

  void mount(Router router) {
    Access.admin(router.put("/api/mesh/devices/:name/power"))
        .handler(this::validatePower)
        .handler(this::setPower);
  }

  /**
   * A registry entry with what this device's view adds: the state as gossip and membership show it
   * (a device that marked itself left in the registry stays left), power, load, incarnation and how
   * long ago it was heard. A device the view has never heard keeps the registry's state.
   */
  JsonObject withHealth(JsonObject entry) {
    JsonObject device = entry.copy();
    device.put("services", services(device.getString("name"), entry.getJsonArray("services")));
    view.observed(device.getString("name"))
        .ifPresent(
            seen -> {
              if (!"left".equals(device.getString("state"))) {
                device.put("state", seen.state().wireName());
              }
              device
                  .put("power", seen.status().power().toJson())
                  .put("load", seen.status().load().toJson())
                  .put("incarnation", seen.status().incarnation())
                  .put("lastHeardMillisAgo", seen.silenceMillis());
            });
    return device;
  }

  /**
   * What a device hosts: its every-device services ({@code {"service":"echo"}}) and the placed
   * instances it runs ({@code {"service":"probe","owner":"alice","epoch":7}}). For this device the
   * placed ones come from its own agent, so asking a device about itself is the ground truth; for
   * another, from the placement records, where it is named and running.
   */
  private JsonArray services(String name, JsonArray everyDevice) {
    JsonArray out = new JsonArray();
    if (everyDevice != null) {
      everyDevice.forEach(s -> out.add(new JsonObject().put("service", String.valueOf(s))));
    }
    List<JsonObject> placed = new ArrayList<>();
    if (name.equals(self)) {
      runningHere
          .get()
          .forEach(
              (key, epoch) ->
                  placed.add(
                      new JsonObject()
                          .put("service", key.service())
                          .put("owner", key.owner())
                          .put("epoch", epoch)));
    } else {
      for (PlacementRecord record : placements.get()) {
        if (name.equals(record.device()) && PlacementRecord.RUNNING.equals(record.state())) {
          placed.add(
              new JsonObject()
                  .put("service", record.service())
                  .put("owner", record.owner())
                  .put("epoch", record.epoch()));
        }
      }
    }
    placed.sort(
        Comparator.comparing((JsonObject j) -> j.getString("service"))
            .thenComparing(j -> String.valueOf(j.getString("owner"))));
    placed.forEach(out::add);
    return out;
  }

  /** Reads and checks the body; the edge's body handler has read at most max-body-bytes. */
  private void validatePower(RoutingContext ctx) {
    RequestBody body = ctx.body();
    if (body == null || body.buffer() == null || body.length() <= 0) {
      ctx.fail(
          400,
          new IllegalArgumentException("power: the body is empty; send " + PowerRequest.EXAMPLE));
      return;
    }
    if (body.length() > MAX_POWER_BODY_BYTES) {
      ctx.fail(
          413,
          new IllegalArgumentException(
              "power: the body is larger than " + MAX_POWER_BODY_BYTES + " bytes"));
      return;
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(body.buffer());
    } catch (DecodeException e) {
      ctx.fail(
          400,
          new IllegalArgumentException(
              "power: the body is not JSON; send " + PowerRequest.EXAMPLE));
      return;
    }
    if (!(parsed instanceof JsonObject json)) {
      ctx.fail(
          400,
          new IllegalArgumentException(
              "power: the body must be a JSON object; send " + PowerRequest.EXAMPLE));
      return;
    }
    try {
      ctx.put(POWER_REQUEST, PowerRequest.fromJson(json));
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    ctx.next();
  }

  private void setPower(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    PowerRequest request = ctx.get(POWER_REQUEST);
    if (name.equals(self)) {
      sendPower(ctx, name, gossip.applyPower(request));
      return;
    }
    isKnown(name)
        .onSuccess(
            known -> {
              if (known) {
                forward(ctx, name, request);
              } else {
                notFound(ctx, name);
              }
            })
        .onFailure(e -> ctx.fail(503, e));
  }

  private Future<Boolean> isKnown(String name) {
    if (view.observed(name).isPresent()) {
      return Future.succeededFuture(true);
    }
    return registry
        .list()
        .map(devices -> devices.stream().anyMatch(d -> name.equals(d.getString("name"))));
  }

  /** Sends the request to the device itself, which applies it and gossips its new power. */
  private void forward(RoutingContext ctx, String name, PowerRequest request) {
    vertx
        .eventBus()
        .<JsonObject>request(
            GossipVerticle.powerAddress(name),
            request.toJson(),
            new DeliveryOptions().setSendTimeout(FORWARD_TIMEOUT_MILLIS))
        .map(Message::body)
        .onSuccess(reply -> sendJson(ctx, 200, reply))
        .onFailure(e -> forwardFailed(ctx, name, e));
  }

  private static void forwardFailed(RoutingContext ctx, String name, Throwable e) {
    if (e instanceof ReplyException reply
        && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && reply.failureCode() == 400) {
      ctx.fail(400, new IllegalArgumentException(reply.getMessage()));
      return;
    }
    ctx.fail(
        503,
        new DeviceUnavailable(
            name
                + " did not answer within "
                + FORWARD_TIMEOUT_MILLIS
                + " ms; it may be down or busy, so retry later"));
  }

  private static void sendPower(RoutingContext ctx, String name, PowerStatus power) {
    sendJson(ctx, 200, new JsonObject().put("device", name).put("power", power.toJson()));
  }

  private static void notFound(RoutingContext ctx, String name) {
    ctx.fail(404, ServiceFailure.notFound("no device named " + name));
  }

  private static void sendJson(RoutingContext ctx, int status, Object body) {
    Replies.json(ctx, status, body);
  }

  /** A device that does not answer; the message is safe to show the caller. */
  static final class DeviceUnavailable extends RuntimeException {
    DeviceUnavailable(String message) {
      super(message, null, false, false);
    }
  }
}
