package dev.kith.health.controller;

import dev.kith.health.placement.InstanceKey;
import dev.kith.health.placement.MoveReason;
import dev.kith.mesh.Tempo;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.InstanceRouter;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on every device and makes the device run exactly what the placement map tells it to.
 *
 * <p>Failure model. The agent trusts only the map: an instance runs here while its record names
 * this device, and is stopped as soon as the record names another device with a newer decision —
 * after a partition heals, the merged map names one device, so every other copy of a singleton
 * stops within one sync period (fencing). The one exception is a planned handoff: while the record
 * names this device as {@code previous} and the new instance is not yet running, the old one keeps
 * serving (make-before-break), and it stops {@link #STOP_GRACE_MILLIS} after the new one runs.
 *
 * <p>Routing. Each instance here also answers on its device-specific addresses ({@link
 * InstanceRouter#onDevice}); every device's {@link InstanceDirectory} sends requests there, never
 * to the plain address, whose registrations a dead device leaves behind. An instance counts as
 * running, and the map is told so, only once those addresses are registered in the cluster. A
 * deployment that fails is retried on the next sync. The agent syncs on every map change it hears
 * of and, because listeners can miss events across a partition, every {@link #SYNC_PERIOD_MILLIS}
 * as well.
 */
public final class PlacementAgent {

  private static final Logger log = LoggerFactory.getLogger(PlacementAgent.class);
  static final long SYNC_PERIOD_MILLIS = 500;

  /**
   * How long an instance keeps serving after a planned handoff to another device: long enough for
   * every device's {@link InstanceDirectory} to learn of the move (one sync period, plus margin),
   * so that a request routed here just before the move still finds it.
   */
  static final long STOP_GRACE_MILLIS = 1_500;

  /**
   * One instance deployed on this device, with the consumers of its device-specific addresses
   * ({@link InstanceRouter#onDevice}), which hand each request to the instance here.
   */
  private record Local(String deploymentId, long epoch, List<MessageConsumer<Object>> forwarders) {}

  private final Vertx vertx;
  private final String device;
  private final ServiceContext serviceContext;
  private final PlacementStore store;
  private final Map<String, KithService> kinds;
  private final Consumer<Collection<PlacementRecord>> onSync;
  private final Consumer<JsonObject> onReady;
  private final Map<InstanceKey, Local> deployed = new HashMap<>();
  private final Map<InstanceKey, Boolean> inFlight = new HashMap<>();
  private final Map<InstanceKey, Long> stopAtNanos = new HashMap<>();

  /** Epochs whose instance the vault refused: never started again, only a newer placement is. */
  private final Map<InstanceKey, Long> superseded = new HashMap<>();

  /** The epochs the vault refused those instances below; announced until placed above them. */
  private final Map<InstanceKey, Long> learnedFloors = new HashMap<>();

  private long floorsAnnouncedNanos = System.nanoTime() - 3_000_000_000L;

  private final AtomicBoolean syncQueued = new AtomicBoolean();
  private volatile Map<InstanceKey, Long> runningSnapshot = Map.of();
  private boolean syncing;
  private Context context;
  private final Tempo tempo;
  private Tempo.Round syncRound;

  /**
   * @param onSync called with every placement record after each sync (the metrics read them here,
   *     so the map is read once per sync, not once per consumer)
   * @param onReady called with the move event when an instance placed here is ready
   * @param tempo the device's pace: the periodic sync runs less often while it saves power
   */
  public PlacementAgent(
      ServiceContext context,
      PlacementStore store,
      List<KithService> services,
      Consumer<Collection<PlacementRecord>> onSync,
      Consumer<JsonObject> onReady,
      Tempo tempo) {
    this.vertx = context.vertx();
    this.tempo = tempo;
    this.device = context.device();
    this.serviceContext = context;
    this.store = store;
    this.kinds = new HashMap<>();
    services.forEach(s -> this.kinds.put(s.name(), s));
    this.onSync = onSync;
    this.onReady = onReady;
  }

  /** Starts syncing; all of the agent's state lives on the calling context. */
  public void start() {
    context = vertx.getOrCreateContext();
    store.onChange(this::requestSync);
    syncRound = tempo.every(vertx, SYNC_PERIOD_MILLIS, this::requestSync);
    requestSync();
  }

  public void stop() {
    if (syncRound != null) {
      syncRound.cancel();
    }
  }

  /** What runs here now: instance key to epoch. */
  public Map<InstanceKey, Long> running() {
    return runningSnapshot;
  }

  private void publishSnapshot() {
    Map<InstanceKey, Long> out = new HashMap<>();
    deployed.forEach((k, v) -> out.put(k, v.epoch()));
    runningSnapshot = Map.copyOf(out);
  }

  /** Coalesces sync requests: one runs at a time, and one more follows if any came meanwhile. */
  private void requestSync() {
    if (syncQueued.compareAndSet(false, true)) {
      context.runOnContext(v -> runSync());
    }
  }

  private void runSync() {
    if (syncing) {
      return; // the running sync re-checks syncQueued when it ends
    }
    syncQueued.set(false);
    syncing = true;
    store
        .placements()
        .compose(this::apply)
        .onFailure(e -> log.warn("{} could not read the placements: {}", device, e.toString()))
        .onComplete(
            done -> {
              syncing = false;
              if (syncQueued.get()) {
                syncQueued.set(false);
                requestSync();
              }
            });
  }

  private Future<Void> apply(Map<InstanceKey, PlacementRecord> records) {
    try {
      onSync.accept(records.values());
      forgetStopped();
      for (PlacementRecord record : records.values()) {
        if (device.equals(record.device())) {
          ensureRunning(record);
        }
      }
      long now = System.nanoTime();
      for (Map.Entry<InstanceKey, Local> entry : Map.copyOf(deployed).entrySet()) {
        InstanceKey key = entry.getKey();
        PlacementRecord record = records.get(key);
        if (!shouldStop(record, entry.getValue())) {
          stopAtNanos.remove(key);
          continue;
        }
        if (record.device() == null || !planned(record)) {
          undeploy(key, entry.getValue(), record);
          continue;
        }
        // A planned handoff is done: keep serving what was already routed here for a moment.
        Long stopAt = stopAtNanos.get(key);
        if (stopAt == null) {
          stopAtNanos.put(key, now + STOP_GRACE_MILLIS * 1_000_000L);
          vertx.setTimer(STOP_GRACE_MILLIS, t -> requestSync());
        } else if (now - stopAt >= 0) {
          undeploy(key, entry.getValue(), record);
        }
      }
    } catch (Throwable e) {
      log.error("{} failed to apply the placements", device, e);
    }
    return Future.succeededFuture();
  }

  /** Whether the record's last move was a planned handoff, not a failover or a fencing. */
  private static boolean planned(PlacementRecord record) {
    return !MoveReason.NEW.wireName().equals(record.reason())
        && !MoveReason.FAILED.wireName().equals(record.reason());
  }

  private boolean shouldStop(PlacementRecord record, Local local) {
    if (record == null) {
      // The controller never deletes a record (it writes one naming no device instead), so a
      // missing one is a read that missed part of the map while partitions migrate: keep running.
      return false;
    }
    if (record.device() == null) {
      return true;
    }
    if (device.equals(record.device())) {
      return false;
    }
    boolean handingOff =
        device.equals(record.previous()) && !PlacementRecord.RUNNING.equals(record.state());
    return !handingOff;
  }

  /**
   * Forgets instances that stopped by themselves: one that learns from the vault that a newer epoch
   * has replaced it (it woke from a hang, or healed from a partition) undeploys itself. A claim
   * needs a majority of the replicas, so starting it again cannot take the data back.
   */
  private void forgetStopped() {
    Set<String> alive = vertx.deploymentIDs();
    for (Map.Entry<InstanceKey, Local> e : Map.copyOf(deployed).entrySet()) {
      if (!alive.contains(e.getValue().deploymentId())) {
        log.info(
            "{}: {} (epoch {}) stopped by itself",
            device,
            PlacementRecord.mapKey(e.getKey()),
            e.getValue().epoch());
        e.getValue().forwarders().forEach(MessageConsumer::unregister);
        deployed.remove(e.getKey());
        // It is started again if the map still names this device: its claim then meets the fence
        // that stopped it, which marks the epoch superseded and, if the map lags behind the
        // vault's fence, raises the floor the controller places above.
        publishSnapshot();
      }
    }
  }

  private void ensureRunning(PlacementRecord record) {
    InstanceKey key = record.key();
    Long refused = superseded.get(key);
    if (refused != null && refused >= record.epoch()) {
      Long floor = learnedFloors.get(key);
      long now = System.nanoTime();
      if (floor != null && floor > record.epoch() && now - floorsAnnouncedNanos > 2_000_000_000L) {
        // Still named here at a refused epoch: a controller that took over since the first
        // announcement has to learn the floor too.
        floorsAnnouncedNanos = now;
        store.raiseFloor(key, floor);
      }
      return;
    }
    Local local = deployed.get(key);
    if (local != null && local.epoch() == record.epoch()) {
      if (!PlacementRecord.RUNNING.equals(record.state())) {
        confirm(record);
      }
      return;
    }
    // Not running here, or running under an older decision (a merge after a partition, or a move
    // back during a handoff's grace): start an instance that knows the new epoch, then retire the
    // old one.
    if (inFlight.containsKey(key)) {
      return;
    }
    KithService service = kinds.get(record.service());
    if (service == null) {
      log.error(
          "{} is told to run {}, a service this device does not have; upgrade this device",
          device,
          PlacementRecord.mapKey(key));
      return;
    }
    InstanceContext instance =
        new InstanceContext(
            record.service(), record.owner(), device, record.epoch(), serviceContext);
    inFlight.put(key, true);
    vertx
        .deployVerticle(service.newInstance(instance))
        .compose(
            deploymentId -> {
              List<MessageConsumer<Object>> forwarders =
                  service.addresses(record.owner()).stream().map(this::forwarder).toList();
              return Future.all(forwarders.stream().map(MessageConsumer::completion).toList())
                  .map(registered -> new Local(deploymentId, record.epoch(), forwarders))
                  .recover(
                      e -> {
                        forwarders.forEach(MessageConsumer::unregister);
                        return vertx.undeploy(deploymentId).transform(u -> Future.failedFuture(e));
                      });
            })
        .onComplete(
            ar -> {
              inFlight.remove(key);
              if (ar.failed() && ar.cause() instanceof Vault.Fenced fenced) {
                superseded.put(key, record.epoch());
                log.warn(
                    "{} does not start {} at epoch {}: {}; it waits for a newer placement",
                    device,
                    PlacementRecord.mapKey(key),
                    record.epoch(),
                    fenced.getMessage());
                if (fenced.highest() > record.epoch()) {
                  learnedFloors.merge(key, fenced.highest(), Math::max);
                  store.raiseFloor(key, fenced.highest());
                }
                return;
              }
              if (ar.failed() && ar.cause() instanceof ServiceUnavailable) {
                // Expected while the mesh forms or the vault's replicas come back.
                log.warn(
                    "{} cannot start {} yet ({}); it tries again",
                    device,
                    PlacementRecord.mapKey(key),
                    ar.cause().getMessage());
                return;
              }
              if (ar.failed()) {
                log.error(
                    "{} failed to start {}; will retry",
                    device,
                    PlacementRecord.mapKey(key),
                    ar.cause());
                return;
              }
              Local replaced = deployed.put(key, ar.result());
              publishSnapshot();
              if (replaced != null) {
                retire(key, replaced);
              }
              log.info(
                  "{} runs {} (epoch {}, {})",
                  device,
                  PlacementRecord.mapKey(key),
                  record.epoch(),
                  record.reason());
              confirm(record);
            });
  }

  private void confirm(PlacementRecord record) {
    long readyAt = System.currentTimeMillis();
    store
        .markRunning(record.key(), device, record.epoch())
        .onSuccess(
            running -> {
              if (running != null && !PlacementRecord.RUNNING.equals(record.state())) {
                onReady.accept(
                    new JsonObject()
                        .put("service", record.service())
                        .put("owner", record.owner())
                        .put("from", record.movedFrom())
                        .put("to", device)
                        .put("epoch", record.epoch())
                        .put("reason", record.reason())
                        .put("detectedAt", record.detectedAtMillis())
                        .put("placedAt", record.placedAtMillis())
                        .put("readyAt", readyAt));
              }
            })
        .onFailure(
            e -> log.warn("{} could not confirm {}: {}", device, record.key(), e.toString()));
  }

  /**
   * Registers the device-specific copy of {@code address}: it hands each request to the instance on
   * this device and relays the instance's answer, or fails with {@link ServiceContext#NOT_HERE}
   * when the instance has just stopped.
   */
  private MessageConsumer<Object> forwarder(String address) {
    return vertx
        .eventBus()
        .consumer(
            InstanceRouter.onDevice(address, device),
            msg ->
                vertx
                    .eventBus()
                    .request(
                        address,
                        msg.body(),
                        new DeliveryOptions()
                            .setLocalOnly(true)
                            .setHeaders(msg.headers())
                            .setSendTimeout(ServiceContext.REQUEST_TIMEOUT_MILLIS))
                    .onSuccess(
                        reply ->
                            msg.reply(
                                reply.body(), new DeliveryOptions().setHeaders(reply.headers())))
                    .onFailure(
                        e -> {
                          if (e instanceof ReplyException r
                              && r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
                            msg.fail(r.failureCode(), r.getMessage());
                          } else if (e instanceof ReplyException r
                              && r.failureType() == ReplyFailure.NO_HANDLERS) {
                            msg.fail(
                                ServiceContext.NOT_HERE,
                                address + " no longer runs on " + device + "; retry shortly");
                          } else {
                            msg.fail(
                                ServiceContext.NOT_HERE,
                                address + " on " + device + " did not answer: " + e.getMessage());
                          }
                        }));
  }

  private void undeploy(InstanceKey key, Local local, PlacementRecord record) {
    deployed.remove(key);
    stopAtNanos.remove(key);
    publishSnapshot();
    log.info(
        "{} stops {} (epoch {}): {}",
        device,
        PlacementRecord.mapKey(key),
        local.epoch(),
        record == null || record.device() == null
            ? "no device may run it now"
            : "it now runs on " + record.device() + " (epoch " + record.epoch() + ")");
    retire(key, local);
  }

  /** Stops an instance: first its device-specific addresses, then the instance itself. */
  private void retire(InstanceKey key, Local local) {
    Future.all(local.forwarders().stream().map(MessageConsumer::unregister).toList())
        .eventually(() -> vertx.undeploy(local.deploymentId()))
        .onFailure(e -> log.warn("{} could not stop {}: {}", device, key, e.toString()));
  }
}
