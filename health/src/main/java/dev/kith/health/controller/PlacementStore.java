package dev.kith.health.controller;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.Ringbuffer;
import dev.kith.health.placement.InstanceKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The placement state the mesh shares, in small Hazelcast structures: where each instance should
 * run ({@code kith.placements}), which devices are drained ({@code kith.drains}), each owner's
 * failover order as devices publish it ({@code kith.failover}), the controller epoch ({@code
 * kith.controller}) and the recent moves ({@code kith.events}, a ring buffer). Values are JSON
 * strings. Every call blocks inside Hazelcast, so each runs on a worker.
 */
public final class PlacementStore {

  static final String PLACEMENTS = "kith.placements";
  static final String DRAINS = "kith.drains";
  static final String FAILOVER = "kith.failover";
  static final String CONTROLLER = "kith.controller";
  static final String EVENTS = "kith.events";

  private final Vertx vertx;
  private final IMap<String, String> placements;
  private final IMap<String, String> drains;
  private final IMap<String, String> failover;
  private final IMap<String, Long> controller;
  private final Ringbuffer<String> events;

  public PlacementStore(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.placements = hazelcast.getMap(PLACEMENTS);
    this.drains = hazelcast.getMap(DRAINS);
    this.failover = hazelcast.getMap(FAILOVER);
    this.controller = hazelcast.getMap(CONTROLLER);
    this.events = hazelcast.getRingbuffer(EVENTS);
  }

  private final AtomicInteger recordsSeen = new AtomicInteger();

  /** A read of the placement map that missed records; the next read usually has them all. */
  public static final class IncompleteRead extends RuntimeException {
    IncompleteRead(String message) {
      super(message, null, false, false);
    }
  }

  public IMap<String, String> placementsMap() {
    return placements;
  }

  public Future<Map<InstanceKey, PlacementRecord>> placements() {
    return vertx.executeBlocking(
        () -> {
          Map<InstanceKey, PlacementRecord> out = new HashMap<>();
          placements
              .values()
              .forEach(
                  json -> {
                    PlacementRecord r = PlacementRecord.fromJson(new JsonObject(json));
                    out.put(r.key(), r);
                  });
          int seen = recordsSeen.get();
          if (out.size() < seen) {
            // Records are never deleted (a stopped instance keeps one naming no device), so a
            // read that returns fewer missed part of the map, as a query can while partitions
            // migrate after a member left. Acting on it would stop or re-place running instances.
            throw new IncompleteRead(
                "read "
                    + out.size()
                    + " placement records, fewer than the "
                    + seen
                    + " already seen; partitions may be migrating, retrying");
          }
          recordsSeen.accumulateAndGet(out.size(), Math::max);
          return out;
        },
        false);
  }

  /**
   * Writes a controller's decision, unless {@code stillValid}, asked on the worker just before the
   * write, says the decision no longer holds. Returns whether it wrote.
   */
  public Future<Boolean> put(PlacementRecord record, BooleanSupplier stillValid) {
    return vertx.executeBlocking(
        () -> {
          if (!stillValid.getAsBoolean()) {
            return false;
          }
          placements.set(PlacementRecord.mapKey(record.key()), record.toJson().encode());
          return true;
        },
        false);
  }

  /**
   * Marks an instance running, unless the controller has decided otherwise meanwhile: the record
   * must still name {@code device} with {@code epoch}. Returns the updated record, or null when it
   * changed nothing (another decision, or already running).
   */
  public Future<PlacementRecord> markRunning(InstanceKey key, String device, long epoch) {
    return vertx.executeBlocking(
        () -> {
          String mapKey = PlacementRecord.mapKey(key);
          String json = placements.get(mapKey);
          if (json == null) {
            return null;
          }
          PlacementRecord current = PlacementRecord.fromJson(new JsonObject(json));
          if (!device.equals(current.device()) || current.epoch() != epoch) {
            return null;
          }
          if (PlacementRecord.RUNNING.equals(current.state())) {
            return null; // another sync confirmed it already, and reported the move
          }
          PlacementRecord running = current.running();
          return placements.replace(mapKey, json, running.toJson().encode()) ? running : null;
        },
        false);
  }

  public Future<Set<String>> drained() {
    return vertx.executeBlocking(() -> new HashSet<>(drains.keySet()), false);
  }

  public Future<Void> setDrained(String device, boolean drained) {
    return vertx.executeBlocking(
        () -> {
          if (drained) {
            drains.set(device, new JsonObject().put("since", System.currentTimeMillis()).encode());
          } else {
            drains.delete(device);
          }
          return null;
        },
        false);
  }

  /** Publishes the failover orders this device's configuration declares. */
  public Future<Void> publishFailover(Map<String, List<String>> orders) {
    return vertx.executeBlocking(
        () -> {
          orders.forEach((owner, devices) -> failover.set(owner, new JsonArray(devices).encode()));
          return null;
        },
        false);
  }

  public Future<Map<String, List<String>>> failoverOrders() {
    return vertx.executeBlocking(
        () -> {
          Map<String, List<String>> out = new HashMap<>();
          failover.forEach(
              (owner, json) ->
                  out.put(owner, new JsonArray(json).stream().map(String::valueOf).toList()));
          return out;
        },
        false);
  }

  /** Takes the next controller epoch: a controller that takes over outranks every earlier one. */
  public Future<Long> nextControllerEpoch() {
    return vertx.executeBlocking(
        () -> {
          while (true) {
            Long current = controller.putIfAbsent("epoch", 1L);
            if (current == null) {
              return 1L;
            }
            if (controller.replace("epoch", current, current + 1)) {
              return current + 1;
            }
          }
        },
        false);
  }

  public Future<Void> addEvent(JsonObject event) {
    return vertx.executeBlocking(
        () -> {
          events.add(event.encode());
          return null;
        },
        false);
  }

  /** The most recent moves, newest last. */
  public Future<List<JsonObject>> recentEvents(int max) {
    return vertx.executeBlocking(
        () -> {
          List<JsonObject> out = new ArrayList<>();
          long tail = events.tailSequence();
          long from = Math.max(events.headSequence(), tail - max + 1);
          for (long seq = from; seq <= tail; seq++) {
            out.add(new JsonObject(events.readOne(seq)));
          }
          return out;
        },
        false);
  }
}
