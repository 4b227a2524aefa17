package dev.kith.health.controller;

import dev.kith.health.placement.InstanceKey;
import io.vertx.core.json.JsonObject;

/**
 * Where one service instance should run, as the controller last decided, in the {@code
 * kith.placements} map.
 *
 * @param device the device that should run it, or {@code null} when no device may (the instance is
 *     not running)
 * @param epoch increases with every decision that changes the device; an instance that is not the
 *     one the record names stops
 * @param previous during a planned handoff, the device that keeps running its instance until the
 *     new one is ready (make-before-break); otherwise {@code null}
 * @param state {@code starting} until the new instance is deployed, then {@code running}; {@code
 *     stopped} when no device may run it
 * @param reason why it was last placed: new, failed, low-battery, drain or takeover
 * @param detectedAtMillis when the fault or condition that caused the move was detected
 * @param placedAtMillis when the controller decided
 * @param movedFrom the device it ran on before this decision (alive or not), or {@code null}
 */
public record PlacementRecord(
    String service,
    String owner,
    String device,
    long epoch,
    String previous,
    String state,
    String reason,
    long detectedAtMillis,
    long placedAtMillis,
    String movedFrom) {

  public static final String STARTING = "starting";
  public static final String RUNNING = "running";
  public static final String STOPPED = "stopped";

  public InstanceKey key() {
    return new InstanceKey(service, owner);
  }

  /** The map key: {@code service/owner}, or {@code service} for a per-mesh instance. */
  public static String mapKey(InstanceKey key) {
    return key.owner() == null ? key.service() : key.service() + "/" + key.owner();
  }

  public PlacementRecord running() {
    return new PlacementRecord(
        service,
        owner,
        device,
        epoch,
        null,
        RUNNING,
        reason,
        detectedAtMillis,
        placedAtMillis,
        movedFrom);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("service", service)
        .put("owner", owner)
        .put("device", device)
        .put("epoch", epoch)
        .put("previous", previous)
        .put("state", state)
        .put("reason", reason)
        .put("detectedAt", detectedAtMillis)
        .put("placedAt", placedAtMillis)
        .put("from", movedFrom);
  }

  public static PlacementRecord fromJson(JsonObject json) {
    return new PlacementRecord(
        json.getString("service"),
        json.getString("owner"),
        json.getString("device"),
        json.getLong("epoch", 0L),
        json.getString("previous"),
        json.getString("state", STARTING),
        json.getString("reason", "new"),
        json.getLong("detectedAt", 0L),
        json.getLong("placedAt", 0L),
        json.getString("from"));
  }
}
