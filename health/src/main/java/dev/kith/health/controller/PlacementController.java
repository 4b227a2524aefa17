package dev.kith.health.controller;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import dev.kith.health.HealthConfig;
import dev.kith.health.placement.Assignment;
import dev.kith.health.placement.Candidate;
import dev.kith.health.placement.InstanceKey;
import dev.kith.health.placement.Move;
import dev.kith.health.placement.MoveReason;
import dev.kith.health.placement.PlacementInput;
import dev.kith.health.placement.Placer;
import dev.kith.health.placement.ServiceSpec;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides where every service instance runs, and writes it into the placement map for the agents.
 *
 * <p>Failure model. One controller is active at a time: the one on the oldest Hazelcast member.
 * When that member dies or leaves, the next oldest sees itself first in the member list and takes
 * over with a new, higher controller epoch, so its decisions outrank any its predecessor left
 * behind. During a partition each side has its own oldest member and its own controller, so each
 * side runs at most one copy of each singleton; when the partition heals, the merged placement map
 * names one device per instance and the agents stop the others (see {@link PlacementAgent}). The
 * controller reconciles the desired placement ({@link Placer}) against the map on every change it
 * is told of and every {@link #RECONCILE_PERIOD_MILLIS}; a reconcile that fails is logged and the
 * next one starts from the map again, so nothing is lost by a failed round.
 *
 * <p>A round is void if this member's cluster merged into another while it ran: it read the small
 * side's map and its view of the other side (all dead), and its moves, written into the merged map,
 * would undo the big side's placements and start a second copy beside the one the merge keeps.
 * While Hazelcast merges, a merging member is also briefly alone in its member list and so looks
 * oldest. So a round takes note of the merges this member has been through when it starts, and each
 * write checks, just before it is made, that none has begun since and that this member is still the
 * oldest; a controller whose cluster merged steps down.
 */
public final class PlacementController {

  private static final Logger log = LoggerFactory.getLogger(PlacementController.class);

  /** The timer that catches what no event reported. */
  public static final long RECONCILE_PERIOD_MILLIS = 1000;

  /** A gap between two reconcile ticks longer than this is a pause of the controller itself. */
  static final long PAUSE_MILLIS = 4000;

  private static final long SLOW_READ_MILLIS = 500;

  /**
   * A controller that just became active waits this long before it places new instances, so that
   * devices starting together have registered and published their failover orders; it handles
   * failures at once.
   */
  static final long SETTLE_MILLIS = 3000;

  /**
   * How long a device that runs an instance may be missing from a round's device list before the
   * controller takes that for a failure. A read of the registry can miss entries while partitions
   * migrate (right after a merge, for one), and a live device missing from the list looks failed,
   * which would start a second copy while the first still runs. A device that really failed stays
   * listed, as dead, and moves at once; this wait only covers a registry that lost its entry.
   */
  static final long MISSING_GRACE_MILLIS = 3000;

  /** A preferred device must be up this long before a takeover moves services back to it. */
  static final long TAKEOVER_STABLE_MILLIS = 10_000;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final DeviceConfig config;
  private final Supplier<Future<Set<String>>> accounts;
  private final PlacementStore store;
  private final List<ServiceSpec> specs;
  private final Supplier<Future<List<Candidate>>> candidates;
  private final ToLongFunction<String> detectedAtMillis;
  private final MeterRegistry metrics;
  private final Map<String, Counter> failovers = new HashMap<>();
  private final AtomicBoolean queued = new AtomicBoolean();
  private final Map<String, Long> missingSinceMillis = new HashMap<>();

  /** Merges begun and ended on this member: odd while one is under way (Hazelcast's MERGING). */
  private final AtomicLong merges = new AtomicLong();

  private UUID lifecycleListener;
  private long activeSinceMerges;
  private Context context;
  private boolean running;
  private long controllerEpoch;
  private long activeSinceMillis;
  private long timer = -1;
  private long lastTickNanos;
  private long holdUntilNanos;
  private long accountsTimer = -1;
  private volatile Set<String> accountOwners = Set.of();
  private volatile boolean accountsRead;
  private long accountTicks;
  private boolean warnedNoAccounts;
  private static final long ACCOUNTS_PERIOD_MILLIS = 3_000;

  /** A standby reads the accounts on every this-many ticks, so that it knows them if it leads. */
  private static final long STANDBY_ACCOUNT_TICKS = 10;

  /**
   * @param candidates every device the mesh knows, dead ones included, as placement candidates
   * @param detectedAtMillis when the mesh noticed a device's present condition (declared it dead,
   *     saw its battery run low, ...), in epoch millis
   * @param accounts the owners with an account
   */
  public PlacementController(
      Vertx vertx,
      HazelcastInstance hazelcast,
      DeviceConfig config,
      PlacementStore store,
      List<KithService> services,
      Supplier<Future<List<Candidate>>> candidates,
      ToLongFunction<String> detectedAtMillis,
      Supplier<Future<Set<String>>> accounts,
      MeterRegistry metrics) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.hazelcast = hazelcast;
    this.config = config;
    this.store = store;
    this.specs =
        services.stream()
            .filter(s -> s.placement() != Placement.EVERY_DEVICE)
            .map(s -> new ServiceSpec(s.name(), s.placement(), 1.0))
            .toList();
    this.candidates = candidates;
    this.detectedAtMillis = detectedAtMillis;
    this.metrics = metrics;
    // Every series exists from the start, at 0, on every device (any may become the controller):
    // a counter born at 1 shows no increase() in Prometheus, so a first move would go unseen.
    for (ServiceSpec spec : specs) {
      for (MoveReason reason : MoveReason.values()) {
        if (reason != MoveReason.NEW) {
          failovers(spec.service(), reason.wireName());
        }
      }
    }
  }

  public void start() {
    context = vertx.getOrCreateContext();
    // Called on Hazelcast's merge thread: only count, and ask for a round once it is over.
    lifecycleListener =
        hazelcast
            .getLifecycleService()
            .addLifecycleListener(
                event -> {
                  LifecycleEvent.LifecycleState state = event.getState();
                  if (state == LifecycleEvent.LifecycleState.MERGING) {
                    merges.incrementAndGet();
                  } else if ((state == LifecycleEvent.LifecycleState.MERGED
                          || state == LifecycleEvent.LifecycleState.MERGE_FAILED)
                      && merges.get() % 2 != 0) {
                    merges.incrementAndGet();
                    reconcileSoon();
                  }
                });
    lastTickNanos = System.nanoTime();
    holdUntilNanos = lastTickNanos;
    timer =
        vertx.setPeriodic(
            RECONCILE_PERIOD_MILLIS,
            t -> {
              noticePause();
              reconcileSoon();
            });
    accountsTimer = vertx.setPeriodic(ACCOUNTS_PERIOD_MILLIS, t -> refreshAccountOwners());
    refreshAccountOwners();
    reconcileSoon();
  }

  /**
   * Reads which owners have accounts: per-owner services run for them, and only for them. An owner
   * without a device of their own still gets the services that may run anywhere trusted (a family
   * member's mailbox on the family's devices); a device's name names no owner by itself.
   *
   * <p>Every device reads them, a standby less often than the controller: a device that starts to
   * lead during a partition may be on a side that holds no replica of the accounts, and must still
   * know whose services to move there.
   */
  private void refreshAccountOwners() {
    if (!isActive() && accountTicks++ % STANDBY_ACCOUNT_TICKS != 0) {
      return;
    }
    Future<Set<String>> read;
    try {
      read = accounts.get();
    } catch (IllegalStateException notYet) {
      return; // the accounts of this device have not started yet
    }
    read.onSuccess(
            owners -> {
              accountsRead = true;
              if (!owners.equals(accountOwners)) {
                accountOwners = Set.copyOf(owners);
                reconcileSoon();
              }
            })
        .onFailure(e -> log.debug("{}: cannot list accounts now: {}", config.name(), e.toString()));
  }

  /**
   * The owners whose per-owner instances a round places: those with an account, or, while this
   * device has never managed to read the accounts, those the placement map already names (they had
   * an account when their instances were placed).
   */
  private Set<String> owners(Map<InstanceKey, PlacementRecord> records) {
    if (accountsRead) {
      return new TreeSet<>(accountOwners);
    }
    Set<String> owners = new TreeSet<>();
    records.keySet().stream().map(InstanceKey::owner).filter(o -> o != null).forEach(owners::add);
    if (!warnedNoAccounts && !owners.isEmpty()) {
      warnedNoAccounts = true;
      log.warn(
          "{} leads placement but has not read the accounts yet (no replica of them is"
              + " reachable); it keeps the services of {} running until it can",
          config.name(),
          owners);
    }
    return owners;
  }

  public void stop() {
    vertx.cancelTimer(timer);
    vertx.cancelTimer(accountsTimer);
    if (lifecycleListener != null) {
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
    }
  }

  /** Whether this device runs the active controller. */
  public boolean isActive() {
    Set<Member> members = hazelcast.getCluster().getMembers();
    return !members.isEmpty() && members.iterator().next().localMember();
  }

  public long epoch() {
    return controllerEpoch;
  }

  /**
   * A controller that did not run for a while (SIGSTOP, a suspended laptop, a long collection) may
   * have been replaced meanwhile, and its view of the cluster is old: it decides nothing until the
   * cluster has had the time to drop it or to tell it who leads now, and then takes a new epoch.
   */
  private void noticePause() {
    long now = System.nanoTime();
    long gapMillis = (now - lastTickNanos) / 1_000_000;
    lastTickNanos = now;
    if (gapMillis < PAUSE_MILLIS) {
      return;
    }
    // The others drop a silent member once their gossip calls it dead; a little later this
    // member hears that it was dropped, or that another leads.
    long holdMillis =
        Math.max(PAUSE_MILLIS, config.section(HealthConfig.class).deadAfterMillis() + 4000L);
    holdUntilNanos = now + holdMillis * 1_000_000L;
    log.warn(
        "{} did not run for {} ms (a pause of this process or machine); it decides no placement"
            + " for {} ms, until it knows whether it still leads",
        config.name(),
        gapMillis,
        holdMillis);
    controllerEpoch = 0;
  }

  /** Asks for a reconcile; requests that arrive while one runs fold into the next. */
  public void reconcileSoon() {
    if (context != null && queued.compareAndSet(false, true)) {
      context.runOnContext(v -> runReconcile());
    }
  }

  private void runReconcile() {
    if (running) {
      return;
    }
    queued.set(false);
    running = true;
    Future<Void> round;
    try {
      round = reconcile();
    } catch (Throwable e) {
      round = Future.failedFuture(e);
    }
    round
        .onFailure(e -> log.error("{}: placement reconcile failed; retrying", config.name(), e))
        .onComplete(
            done -> {
              running = false;
              if (queued.get()) {
                queued.set(false);
                reconcileSoon();
              }
            });
  }

  /** Whether no merge has begun since a round saw {@code mergesSeen}, and this member leads. */
  private boolean decides(long mergesSeen) {
    return merges.get() == mergesSeen && mergesSeen % 2 == 0 && isActive();
  }

  private Future<Void> reconcile() {
    if (System.nanoTime() - holdUntilNanos < 0) {
      return Future.succeededFuture();
    }
    long mergesSeen = merges.get();
    boolean merged = controllerEpoch != 0 && activeSinceMerges != mergesSeen;
    if (merged || !decides(mergesSeen)) {
      if (controllerEpoch != 0) {
        log.info(
            "{} is no longer the placement controller{}",
            config.name(),
            merged ? ": its cluster merged into another" : "");
        controllerEpoch = 0;
      }
      return Future.succeededFuture();
    }
    long startedNanos = System.nanoTime();
    Future<Long> epoch =
        controllerEpoch != 0
            ? Future.succeededFuture(controllerEpoch)
            : timed("controller epoch", startedNanos, store.nextControllerEpoch())
                .compose(
                    e -> {
                      if (!decides(mergesSeen)) {
                        return Future.failedFuture(
                            new IllegalStateException(
                                "the cluster changed while taking epoch " + e));
                      }
                      controllerEpoch = e;
                      activeSinceMerges = mergesSeen;
                      activeSinceMillis = System.currentTimeMillis();
                      log.info("{} is the placement controller, epoch {}", config.name(), e);
                      return Future.succeededFuture(e);
                    });
    return epoch.compose(
        e ->
            Future.all(
                    timed("devices", startedNanos, candidates.get()),
                    timed("placements", startedNanos, store.placements()),
                    timed("failover orders", startedNanos, store.failoverOrders()),
                    timed("epoch floors", startedNanos, store.floors()))
                .compose(
                    all -> {
                      List<Candidate> devices = all.resultAt(0);
                      Map<InstanceKey, PlacementRecord> records = all.resultAt(1);
                      Map<String, List<String>> failover = new HashMap<>(all.resultAt(2));
                      config.failover().forEach(failover::putIfAbsent);
                      Map<InstanceKey, Long> floors = all.resultAt(3);
                      return apply(devices, records, failover, floors, () -> decides(mergesSeen));
                    }));
  }

  /**
   * Warns when one of a round's reads is slow: a cluster call waits on a partition whose member has
   * just failed until the cluster has moved it, and that wait delays every failover.
   */
  private <T> Future<T> timed(String what, long startedNanos, Future<T> read) {
    return read.onComplete(
        done -> {
          long millis = (System.nanoTime() - startedNanos) / 1_000_000;
          if (millis >= SLOW_READ_MILLIS) {
            log.warn("{}: the {} for a placement round took {} ms", config.name(), what, millis);
          }
        });
  }

  /**
   * @param decides checked just before each write: whether this round's decisions still hold
   */
  private Future<Void> apply(
      List<Candidate> devices,
      Map<InstanceKey, PlacementRecord> records,
      Map<String, List<String>> failover,
      Map<InstanceKey, Long> floors,
      BooleanSupplier decides) {
    // Per-owner services run for owners with an account: a device named after a user who has
    // none (root's laptop before anyone ran kith owner add) runs no mailbox for nobody.
    Set<String> owners = owners(records);
    Map<InstanceKey, Assignment> current = new LinkedHashMap<>();
    long maxEpoch = 0;
    for (long floor : floors.values()) {
      maxEpoch = Math.max(maxEpoch, floor);
    }
    for (PlacementRecord r : records.values()) {
      maxEpoch = Math.max(maxEpoch, r.epoch());
      if (r.device() != null) {
        current.put(r.key(), new Assignment(r.device(), r.epoch(), r.placedAtMillis()));
      }
    }
    long now = System.currentTimeMillis();
    PlacementInput input =
        new PlacementInput(
            specs,
            owners,
            devices,
            failover,
            current,
            config.section(HealthConfig.class).takeoverOwners(),
            config.section(HealthConfig.class).lowBatteryRatio(),
            now,
            TAKEOVER_STABLE_MILLIS);
    Map<String, Candidate> byName = new HashMap<>();
    devices.forEach(d -> byName.put(d.device(), d));
    missingSinceMillis
        .keySet()
        .retainAll(current.values().stream().map(Assignment::device).toList());
    missingSinceMillis.keySet().removeAll(byName.keySet());
    current.values().stream()
        .map(Assignment::device)
        .filter(d -> !byName.containsKey(d))
        .forEach(d -> missingSinceMillis.putIfAbsent(d, now));
    boolean settling = now - activeSinceMillis < SETTLE_MILLIS;
    List<Move> moves =
        new java.util.ArrayList<>(
            Placer.plan(input).stream()
                .filter(m -> !(settling && m.reason() == MoveReason.NEW))
                .filter(m -> !waitsForMissing(m, now))
                .toList());
    moves.addAll(refenced(current, floors, byName, moves));
    if (moves.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Future<Void>> writes = new java.util.ArrayList<>();
    long epoch = Math.max(maxEpoch, controllerEpoch * 1000);
    for (Move move : moves) {
      PlacementRecord before = records.get(move.instance());
      if (move.to() == null && before != null && before.device() == null) {
        continue; // already recorded as not running
      }
      epoch++;
      Candidate from = move.from() == null ? null : byName.get(move.from());
      boolean planned =
          move.reason() != MoveReason.FAILED
              && move.reason() != MoveReason.NEW
              && from != null
              && from.alive();
      PlacementRecord record =
          new PlacementRecord(
              move.instance().service(),
              move.instance().owner(),
              move.to(),
              epoch,
              planned ? move.from() : null,
              move.to() == null ? PlacementRecord.STOPPED : PlacementRecord.STARTING,
              move.reason().wireName(),
              // A failure was detected when the view declared the device dead; any other move's
              // cause is noticed by this decision.
              move.reason() == MoveReason.FAILED && move.from() != null
                  ? Math.min(now, detectedAtMillis.applyAsLong(move.from()))
                  : now,
              now,
              move.from());
      long decided = epoch;
      writes.add(
          store
              .put(record, decides)
              .onSuccess(
                  written -> {
                    if (!written) {
                      log.info(
                          "{} drops its decision for {}: its cluster changed during the round",
                          config.name(),
                          PlacementRecord.mapKey(move.instance()));
                      return;
                    }
                    log.info(
                        "{} places {} on {} (from {}, {}, epoch {})",
                        config.name(),
                        PlacementRecord.mapKey(move.instance()),
                        move.to() == null ? "no device: none may run it now" : move.to(),
                        move.from() == null ? "nowhere" : move.from(),
                        move.reason().wireName(),
                        decided);
                    if (move.reason() != MoveReason.NEW) {
                      failovers(move.instance().service(), move.reason().wireName()).increment();
                    }
                  })
              .<Void>mapEmpty());
    }
    return Future.all(writes).mapEmpty();
  }

  /**
   * Instances whose epoch the vault refuses (the mesh restarted as a whole, and its epochs started
   * again below the fences the vault remembers): each is placed again on the same device, under a
   * new epoch above the floor.
   */
  private List<Move> refenced(
      Map<InstanceKey, Assignment> current,
      Map<InstanceKey, Long> floors,
      Map<String, Candidate> byName,
      List<Move> moves) {
    List<Move> out = new java.util.ArrayList<>();
    Set<InstanceKey> moving = new java.util.HashSet<>();
    moves.forEach(m -> moving.add(m.instance()));
    floors.forEach(
        (key, floor) -> {
          Assignment a = current.get(key);
          if (a != null && a.epoch() < floor && !moving.contains(key)) {
            Candidate on = byName.get(a.device());
            if (on != null && on.alive()) {
              log.info(
                  "{}: the vault refuses {} below epoch {}; placing it again on {}",
                  config.name(),
                  PlacementRecord.mapKey(key),
                  floor,
                  a.device());
              // Placed anew (from nowhere): the instance at the old epoch never started.
              out.add(new Move(key, null, a.device(), MoveReason.NEW));
            }
          }
        });
    return out;
  }

  /** Whether a failover is from a device only missing from the device list, not yet for long. */
  private boolean waitsForMissing(Move move, long now) {
    Long since = move.from() == null ? null : missingSinceMillis.get(move.from());
    if (move.reason() != MoveReason.FAILED || since == null) {
      return false;
    }
    boolean waits = now - since < MISSING_GRACE_MILLIS;
    if (waits && since == now) {
      log.warn(
          "{}: {} runs on {}, which the device list lacks; not moving it unless that lasts {} ms",
          config.name(),
          PlacementRecord.mapKey(move.instance()),
          move.from(),
          MISSING_GRACE_MILLIS);
    }
    return waits;
  }

  private Counter failovers(String service, String reason) {
    return failovers.computeIfAbsent(
        service + "/" + reason,
        k ->
            Counter.builder("kith.failovers")
                .description("Service moves decided by the placement controller, by reason")
                .tags("service", service, "reason", reason)
                .register(metrics));
  }
}
