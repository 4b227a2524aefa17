package dev.kith.health.controller;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.ringbuffer.Ringbuffer;
import dev.kith.health.placement.InstanceKey;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement state the mesh shares, in small Hazelcast structures: where each instance should
 * run ({@code kith.placements}), which devices are drained ({@code kith.drains}), each owner's
 * failover order as devices publish it ({@code kith.failover}), the controller epoch ({@code
 * kith.controller}) and the recent moves ({@code kith.events}, a ring buffer). Values are JSON
 * strings. Every call blocks inside Hazelcast, so each runs on a worker.
 */
public final class PlacementStore {

  private static final Logger log = LoggerFactory.getLogger(PlacementStore.class);

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

  /** A mirrored record and the mirror's write count when it was stored. */
  private record Mirrored(PlacementRecord record, long stamp) {}

  /**
   * This device's mirror of the placement map, kept by an entry listener and by full reads at most
   * every {@link #REFRESH_MILLIS}. Placement rounds and agent syncs read the mirror, so they never
   * wait on a partition whose member has just failed (a query of the map can wait seconds then).
   */
  private final Map<InstanceKey, Mirrored> mirror = new ConcurrentHashMap<>();

  private final AtomicLong mirrorWrites = new AtomicLong();
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();
  private volatile boolean mirrorComplete;
  private volatile long lastRefreshNanos;
  private UUID entryListener;

  static final long REFRESH_MILLIS = 500;

  static final long PATIENCE_MILLIS = 200;

  private final AtomicReference<Set<String>> drainedMirror = new AtomicReference<>();
  private final AtomicLong drainWrites = new AtomicLong();
  private final AtomicBoolean refreshingDrains = new AtomicBoolean();
  private volatile long lastDrainRefreshNanos;
  private UUID drainListener;

  private final AtomicReference<Map<String, List<String>>> lastFailoverOrders =
      new AtomicReference<>();

  public IMap<String, String> placementsMap() {
    return placements;
  }

  /** Starts mirroring the placement map. Registering the listener blocks: call it on a worker. */
  public void startMirror() {
    listenForFloors();
    entryListener = placements.addEntryListener(new MirrorListener(), true);
    drainListener = drains.addEntryListener(new DrainListener(), false);
    drainedMirror.set(new HashSet<>(drains.keySet()));
  }

  public void stopMirror() {
    if (floorConsumer != null) {
      floorConsumer.unregister();
    }
    if (entryListener != null) {
      try {
        placements.removeEntryListener(entryListener);
      } catch (RuntimeException e) {
        log.debug("could not remove the placement mirror's listener: {}", e.toString());
      }
    }
    if (drainListener != null) {
      try {
        drains.removeEntryListener(drainListener);
      } catch (RuntimeException e) {
        log.debug("could not remove the drain mirror's listener: {}", e.toString());
      }
    }
  }

  /** Runs {@code onChange} after every change of the map has reached the mirror. */
  public void onChange(Runnable onChange) {
    changeListeners.add(onChange);
  }

  /**
   * Every placement record, from the mirror once one full read has filled it. Each call also asks
   * for a full read in the background, at most one at a time and one per {@link #REFRESH_MILLIS},
   * which catches any change a listener missed.
   */
  public Future<Map<InstanceKey, PlacementRecord>> placements() {
    if (!mirrorComplete) {
      return readAll();
    }
    if (System.nanoTime() - lastRefreshNanos > REFRESH_MILLIS * 1_000_000L
        && refreshing.compareAndSet(false, true)) {
      readAll().onComplete(done -> refreshing.set(false));
    }
    Map<InstanceKey, PlacementRecord> out = new HashMap<>();
    mirror.forEach((key, m) -> out.put(key, m.record()));
    return Future.succeededFuture(out);
  }

  /**
   * Reads the whole map into the mirror. Records are never deleted (a stopped instance keeps one
   * naming no device), so a record the mirror has but the read lacks was missed or lost: a query
   * can miss entries while partitions migrate after a member left, and the cluster loses entries
   * whose every copy was on members that failed before it re-replicated them. Such a record is
   * written back unless the map has it, so the survivors heal the map.
   */
  private Future<Map<InstanceKey, PlacementRecord>> readAll() {
    return vertx.executeBlocking(
        () -> {
          long startStamp = mirrorWrites.get();
          lastRefreshNanos = System.nanoTime();
          Map<InstanceKey, PlacementRecord> out = new HashMap<>();
          placements
              .values()
              .forEach(
                  json -> {
                    PlacementRecord r = PlacementRecord.fromJson(new JsonObject(json));
                    out.put(r.key(), r);
                  });
          int restored = 0;
          for (Mirrored m : mirror.values()) {
            PlacementRecord mirrored = m.record();
            if (!out.containsKey(mirrored.key())) {
              String json = mirrored.toJson().encode();
              String present = placements.putIfAbsent(PlacementRecord.mapKey(mirrored.key()), json);
              out.put(
                  mirrored.key(),
                  present == null ? mirrored : PlacementRecord.fromJson(new JsonObject(present)));
              restored += present == null ? 1 : 0;
            }
          }
          if (restored > 0) {
            log.warn(
                "restored {} placement record(s) that the cluster lost (devices failed before it"
                    + " had copied them)",
                restored);
          }
          // A change the listener delivered while this read ran is newer than what it read.
          out.forEach(
              (key, record) ->
                  mirror.compute(
                      key,
                      (k, current) ->
                          current != null && current.stamp() > startStamp
                              ? current
                              : new Mirrored(record, mirrorWrites.incrementAndGet())));
          mirrorComplete = true;
          Map<InstanceKey, PlacementRecord> now = new HashMap<>();
          mirror.forEach((key, m) -> now.put(key, m.record()));
          return now;
        },
        false);
  }

  /** Puts a record this device just wrote into the mirror, before its event comes back. */
  private void remember(PlacementRecord record) {
    mirror.put(record.key(), new Mirrored(record, mirrorWrites.incrementAndGet()));
  }

  /** Keeps the mirror: every added, updated or merged entry replaces the mirrored record. */
  private final class MirrorListener
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryMergedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      changed(event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      changed(event.getValue());
    }

    @Override
    public void entryMerged(EntryEvent<String, String> event) {
      lastRefreshNanos = 0; // read the whole merged map on the next call
      changed(event.getValue());
    }

    private void changed(String json) {
      if (json != null) {
        try {
          PlacementRecord record = PlacementRecord.fromJson(new JsonObject(json));
          mirror.put(record.key(), new Mirrored(record, mirrorWrites.incrementAndGet()));
        } catch (RuntimeException e) {
          log.warn("ignored a placement record that does not parse: {}", e.toString());
        }
      }
      changeListeners.forEach(Runnable::run);
    }
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
          remember(record);
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
          if (!placements.replace(mapKey, json, running.toJson().encode())) {
            return null;
          }
          remember(running);
          return running;
        },
        false);
  }

  /**
   * The drained devices, from a mirror kept by an entry listener (a drain or undrain reaches it in
   * milliseconds) and refreshed by a full read at most every {@link #REFRESH_MILLIS}; a read of the
   * map itself can wait seconds on a failed member's partitions.
   */
  public Future<Set<String>> drained() {
    Set<String> mirrored = drainedMirror.get();
    if (mirrored == null) {
      return vertx.executeBlocking(() -> new HashSet<>(drains.keySet()), false);
    }
    if (System.nanoTime() - lastDrainRefreshNanos > REFRESH_MILLIS * 1_000_000L
        && refreshingDrains.compareAndSet(false, true)) {
      long startStamp = drainWrites.get();
      lastDrainRefreshNanos = System.nanoTime();
      vertx
          .executeBlocking(() -> new HashSet<>(drains.keySet()), false)
          .onSuccess(
              read -> {
                if (drainWrites.get() == startStamp) {
                  drainedMirror.set(read);
                }
              })
          .onComplete(done -> refreshingDrains.set(false));
    }
    return Future.succeededFuture(Set.copyOf(mirrored));
  }

  /** Keeps the drain mirror: a key added is drained, a key removed is not. */
  private final class DrainListener
      implements EntryAddedListener<String, String>, EntryRemovedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      drainWrites.incrementAndGet();
      drainedMirror.updateAndGet(
          set -> {
            Set<String> next = set == null ? new HashSet<>() : new HashSet<>(set);
            next.add(event.getKey());
            return next;
          });
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      drainWrites.incrementAndGet();
      drainedMirror.updateAndGet(
          set -> {
            Set<String> next = set == null ? new HashSet<>() : new HashSet<>(set);
            next.remove(event.getKey());
            return next;
          });
    }
  }

  /**
   * A read's result if it comes within {@link #PATIENCE_MILLIS}, else the last result read: a map
   * read waits on a failed member's partitions until the cluster has moved them, and a placement
   * round must not wait that long for data that changes only when a device starts (failover
   * orders).
   */
  private <T> Future<T> patiently(Future<T> fresh, AtomicReference<T> last) {
    fresh.onSuccess(last::set);
    T known = last.get();
    if (known == null) {
      return fresh;
    }
    Promise<T> answer = Promise.promise();
    fresh.onComplete(done -> answer.tryComplete(done.succeeded() ? done.result() : last.get()));
    vertx.setTimer(PATIENCE_MILLIS, t -> answer.tryComplete(last.get()));
    return answer.future();
  }

  public Future<Void> setDrained(String device, boolean drained) {
    return vertx.executeBlocking(
        () -> {
          if (drained) {
            drains.set(device, new JsonObject().put("since", System.currentTimeMillis()).encode());
          } else {
            drains.delete(device);
          }
          drainWrites.incrementAndGet();
          drainedMirror.updateAndGet(
              set -> {
                Set<String> next = set == null ? new HashSet<>() : new HashSet<>(set);
                if (drained) {
                  next.add(device);
                } else {
                  next.remove(device);
                }
                return next;
              });
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
    return patiently(
        vertx.executeBlocking(
            () -> {
              Map<String, List<String>> out = new HashMap<>();
              failover.forEach(
                  (owner, json) ->
                      out.put(owner, new JsonArray(json).stream().map(String::valueOf).toList()));
              return out;
            },
            false),
        lastFailoverOrders);
  }

  /** Where agents announce epoch floors ({@link #raiseFloor}); every device keeps them. */
  static final String FLOORS_ADDRESS = "kith.placement.floor";

  private final Map<InstanceKey, Long> floors = new java.util.concurrent.ConcurrentHashMap<>();
  private io.vertx.core.eventbus.MessageConsumer<JsonObject> floorConsumer;

  /**
   * Announces that the vault refused an instance of {@code key} below {@code epoch}: the placement
   * epochs of a mesh start again after it restarts as a whole, and a merged map can name an older
   * decision than the one the vault fenced, while the vault's fences remember the higher epoch. The
   * controller places the instance again above the floor. Announced on the event bus, not written
   * to a map: a placement round must never wait on a cluster call. An agent announces it again
   * while the map still names it at a refused epoch, so a new controller learns it too.
   */
  public void raiseFloor(InstanceKey key, long epoch) {
    floors.merge(key, epoch, Math::max);
    vertx
        .eventBus()
        .publish(
            FLOORS_ADDRESS,
            new JsonObject()
                .put("service", key.service())
                .put("owner", key.owner())
                .put("epoch", epoch));
  }

  /** The epochs below which the vault refuses each instance, as announced ({@link #raiseFloor}). */
  public Future<Map<InstanceKey, Long>> floors() {
    return Future.succeededFuture(Map.copyOf(floors));
  }

  private Future<Void> listenForFloors() {
    floorConsumer =
        vertx
            .eventBus()
            .consumer(
                FLOORS_ADDRESS,
                msg -> {
                  JsonObject b = msg.body();
                  Long epoch = b.getLong("epoch");
                  if (b.getString("service") != null && epoch != null) {
                    floors.merge(
                        new InstanceKey(b.getString("service"), b.getString("owner")),
                        epoch,
                        Math::max);
                  }
                });
    return floorConsumer.completion();
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
