package dev.kith.health.gossip;

import dev.kith.health.HealthConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's view of every device in the mesh: its latest {@link DeviceStatus}, when it was last
 * heard, and whether it is {@link Liveness#ALIVE}, {@link Liveness#SUSPECT}, {@link Liveness#DEAD}
 * or {@link Liveness#LEFT}.
 *
 * <p>Failure model. A <b>clean leave</b> is a status with {@code leaving} set, sent by a device as
 * it shuts down: the device is LEFT, and a later loss of its cluster member changes nothing. A
 * <b>crash</b> is detected two ways, whichever comes first. The cluster dropping the device's
 * Hazelcast member ({@link #memberRemoved}) makes it DEAD at once: that is how a {@code kill -9} is
 * seen within about a second, because the peers' TCP connections are reset. Gossip silence catches
 * what the cluster sees only after its heartbeat timeout, or never: a hung process, a silent
 * network loss. A device silent for longer than {@code suspectAfterMillis} is SUSPECT (a warning,
 * nothing moves), and for longer than {@code deadAfterMillis} it is DEAD. Both deadlines are meant
 * for a sender on the mains period; a sender that declares a slower period (a device on battery) is
 * allowed the difference on top, up to the configured battery period, so that it gets the same
 * slack. A device whose last status said its CPU was saturated (or an observer saturated itself)
 * gets the dead deadline once more on top: a starved process gossips late, and load alone must not
 * move services. A device this view suspects is not condemned on this view's word alone: the gossip
 * verticle asks the others, and one that heard it well after this view last did vouches for it
 * ({@link #vouch}), so one device's bad link or late event loop moves nothing. A device that is
 * heard again with a newer message of the same incarnation comes back ALIVE, but one whose member
 * the cluster dropped comes back only once its (possibly new) member id is in the cluster again: a
 * device outside the cluster cannot hold a placement. A status from a newer incarnation (a restart)
 * replaces the old one; an older incarnation is ignored while the newer one lives, and a stale or
 * repeated sequence number is ignored. The observer never declares itself anything but ALIVE. If
 * the observer itself was paused (a long garbage collection, SIGSTOP, a suspended laptop), the time
 * it could not observe is not counted as anyone's silence. Devices that are DEAD or LEFT stay in
 * the view, so the mesh can say which device is gone.
 *
 * <p>There is no successor to choose here: the view only says who is alive. The placement
 * controller subscribes with {@link #onChange} and moves services off DEAD devices.
 *
 * <p>Threading. Updates ({@link #receive}, {@link #check}, the membership methods) must come from
 * one thread at a time, in practice the gossip verticle's context, and listeners are called on it.
 * Reads ({@link #observed}, {@link #observedAll}) may come from any thread: they read an immutable
 * snapshot and never block. Test seams: the clocks are injected, and {@link #check} is called by
 * whoever drives the view.
 */
public final class MeshView {

  /** How often the owner of a view should call {@link #check}. */
  public static final long CHECK_PERIOD_MILLIS = 100;

  /** The check period of a device on battery (see {@link dev.kith.mesh.Tempo}). */
  public static final long CHECK_PERIOD_ON_BATTERY_MILLIS = 250;

  /** A device whose CPU load is at least this is saturated, see {@link #busySlackMillis}. */
  static final double BUSY_CPU_LOAD = 0.9;

  /** A gap this long between two checks means that the observer itself was not running. */
  static final long PAUSE_MILLIS = 1000;

  private static final Logger log = LoggerFactory.getLogger(MeshView.class);

  /** What a view knows about one device, at the moment it is read. */
  public record Observed(String device, Liveness state, DeviceStatus status, long silenceMillis) {}

  private record Row(DeviceStatus status, Liveness state, long lastHeardNanos) {}

  /** Mutable state of one device; touched only by the updating thread. */
  private static final class Tracked {
    DeviceStatus status;
    Liveness state;
    long lastHeardNanos;
    String gateLoggedFor;

    Tracked(DeviceStatus status, Liveness state, long lastHeardNanos) {
      this.status = status;
      this.state = state;
      this.lastHeardNanos = lastHeardNanos;
    }
  }

  private final String self;
  private final long suspectAfterMillis;
  private final long deadAfterMillis;
  private final long mainsPeriodMillis;
  private final long maxExtraMillis;
  private final LongSupplier nanos;
  private final LongSupplier millis;
  private final Timer detection;
  private final Counter suspicions;
  private final List<Consumer<StateChange>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Tracked> tracked = new HashMap<>();
  private final Set<String> members = new HashSet<>();
  private final List<StateChange> pending = new ArrayList<>();
  private boolean membersKnown;
  private boolean checked;
  private long lastCheckNanos;
  private volatile Map<String, Row> snapshot = Map.of();

  /** A view on the system clocks. */
  public MeshView(String self, HealthConfig health, MeterRegistry metrics) {
    this(self, health, metrics, System::nanoTime, System::currentTimeMillis);
  }

  /**
   * A view on the given clocks.
   *
   * @param self the observing device, which is always ALIVE in its own view
   * @param nanos a monotonic clock in nanoseconds, like {@link System#nanoTime()}
   * @param millis a wall clock in epoch milliseconds, for the times in {@link StateChange}
   */
  public MeshView(
      String self,
      HealthConfig health,
      MeterRegistry metrics,
      LongSupplier nanos,
      LongSupplier millis) {
    this.self = Objects.requireNonNull(self);
    this.suspectAfterMillis = health.suspectAfterMillis();
    this.deadAfterMillis = health.deadAfterMillis();
    this.mainsPeriodMillis = health.gossipPeriodMillis();
    this.maxExtraMillis =
        Math.max(0, health.gossipPeriodOnBatteryMillis() - health.gossipPeriodMillis());
    this.nanos = nanos;
    this.millis = millis;
    this.detection =
        Timer.builder("kith.detection")
            .description("How long a device had been silent when it was declared dead")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(100))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(metrics);
    this.suspicions =
        Counter.builder("kith.suspicions")
            .description("Times this device began to suspect another: silent past the deadline")
            .register(metrics);
  }

  /** The observing device. */
  public String self() {
    return self;
  }

  /** Calls {@code listener} on the updating thread for every state change, first sightings too. */
  public void onChange(Consumer<StateChange> listener) {
    listeners.add(listener);
  }

  /** What the view knows about {@code device} now, if it has heard of it. */
  public Optional<Observed> observed(String device) {
    Row row = snapshot.get(device);
    return row == null ? Optional.empty() : Optional.of(observed(device, row, nanos.getAsLong()));
  }

  /** Every device the view has heard of, sorted by name. */
  public List<Observed> observedAll() {
    long now = nanos.getAsLong();
    return snapshot.entrySet().stream()
        .map(e -> observed(e.getKey(), e.getValue(), now))
        .sorted(Comparator.comparing(Observed::device))
        .toList();
  }

  private static Observed observed(String device, Row row, long now) {
    return new Observed(device, row.state(), row.status(), toMillis(now - row.lastHeardNanos()));
  }

  /** Takes in a status heard on the gossip address (or sent by this device). */
  public void receive(DeviceStatus status) {
    long now = nanos.getAsLong();
    String device = status.device();
    Tracked t = tracked.get(device);
    if (t == null) {
      Liveness state = status.leaving() ? Liveness.LEFT : admittedState(status, null);
      t = new Tracked(status, state, now);
      tracked.put(device, t);
      if (!device.equals(self)) {
        log.info(
            "{} hears {} for the first time (incarnation {}): {}",
            self,
            device,
            status.incarnation(),
            state.wireName());
      }
      change(device, null, state, status.incarnation(), 0);
      finish();
      return;
    }
    DeviceStatus known = t.status;
    if (status.incarnation() != known.incarnation()) {
      boolean newer = status.incarnation() > known.incarnation();
      boolean oldOneGone = t.state == Liveness.DEAD || t.state == Liveness.LEFT;
      if (!newer && !oldOneGone) {
        // A late message from an earlier process, while the later one lives.
        return;
      }
      long silence = toMillis(now - t.lastHeardNanos);
      Liveness from = t.state;
      Liveness to = status.leaving() ? Liveness.LEFT : admittedState(status, t);
      if (device.equals(self)) {
        to = Liveness.ALIVE;
      }
      log.info(
          "{} sees {} restarted: incarnation {} -> {}, {} -> {}",
          self,
          device,
          known.incarnation(),
          status.incarnation(),
          from.wireName(),
          to.wireName());
      t.status = status;
      t.lastHeardNanos = now;
      t.state = to;
      change(device, from, to, status.incarnation(), silence);
      finish();
      return;
    }
    if (status.sequence() <= known.sequence()) {
      return;
    }
    long silence = toMillis(now - t.lastHeardNanos);
    t.status = status;
    t.lastHeardNanos = now;
    if (device.equals(self)) {
      finish();
      return;
    }
    Liveness from = t.state;
    if (status.leaving()) {
      if (from != Liveness.LEFT) {
        log.info("{} sees {} leave the mesh cleanly", self, device);
        t.state = Liveness.LEFT;
        change(device, from, Liveness.LEFT, status.incarnation(), silence);
      }
    } else if (from == Liveness.SUSPECT || from == Liveness.DEAD) {
      Liveness to = admittedState(status, t);
      if (to == Liveness.ALIVE) {
        log.info(
            "{} hears {} again after {} ms of silence: {} -> alive",
            self,
            device,
            silence,
            from.wireName());
        t.state = Liveness.ALIVE;
        change(device, from, Liveness.ALIVE, status.incarnation(), silence);
      }
    }
    finish();
  }

  /**
   * ALIVE if the sender's member is in the cluster (or membership is not known yet), else DEAD
   * until the member returns: a device outside the cluster cannot hold a placement.
   */
  private Liveness admittedState(DeviceStatus status, Tracked t) {
    if (!membersKnown || members.contains(status.memberId()) || status.device().equals(self)) {
      return Liveness.ALIVE;
    }
    if (t == null || !status.memberId().equals(t.gateLoggedFor)) {
      log.info(
          "{} hears {} but its member {} is not in the cluster; it stays dead until it rejoins",
          self,
          status.device(),
          status.memberId());
      if (t != null) {
        t.gateLoggedFor = status.memberId();
      }
    }
    return Liveness.DEAD;
  }

  /** Replaces the known cluster members; members that went or came are handled one by one. */
  public void setMembers(Collection<String> now) {
    Set<String> current = Set.copyOf(now);
    membersKnown = true;
    for (String gone : List.copyOf(members)) {
      if (!current.contains(gone)) {
        memberRemoved(gone);
      }
    }
    for (String added : current) {
      if (!members.contains(added)) {
        memberAdded(added);
      }
    }
  }

  /**
   * The cluster dropped a member: the device it belonged to is DEAD, or LEFT if it said goodbye.
   */
  public void memberRemoved(String memberId) {
    membersKnown = true;
    members.remove(memberId);
    long now = nanos.getAsLong();
    for (Map.Entry<String, Tracked> e : tracked.entrySet()) {
      Tracked t = e.getValue();
      String device = e.getKey();
      if (device.equals(self) || !t.status.memberId().equals(memberId)) {
        continue;
      }
      long silence = toMillis(now - t.lastHeardNanos);
      Liveness from = t.state;
      if (t.status.leaving() && from != Liveness.LEFT) {
        log.info("{} sees {} leave: its member {} left the cluster", self, device, memberId);
        t.state = Liveness.LEFT;
        change(device, from, Liveness.LEFT, t.status.incarnation(), silence);
      } else if (from == Liveness.ALIVE || from == Liveness.SUSPECT) {
        log.info(
            "{} declares {} dead: the cluster dropped its member {}; silent for {} ms",
            self,
            device,
            memberId,
            silence);
        dead(device, t, from, silence);
      }
    }
    finish();
  }

  /**
   * Another device declared {@code device} (with cluster member {@code memberId}) dead. This view
   * agrees at once if it already suspects the device: the silence is the same one, seen a little
   * earlier elsewhere. A device this view still hears is left alone, so one device's bad link
   * condemns nobody.
   */
  public void confirmDead(String device, String memberId, String by) {
    Tracked t = tracked.get(device);
    if (t == null
        || device.equals(self)
        || t.state != Liveness.SUSPECT
        || !t.status.memberId().equals(memberId)) {
      return;
    }
    long silence = toMillis(nanos.getAsLong() - t.lastHeardNanos);
    log.info(
        "{} declares {} dead: {} found it dead, and it has been silent here for {} ms",
        self,
        device,
        by,
        silence);
    dead(device, t, Liveness.SUSPECT, silence);
    finish();
  }

  /** A member joined the cluster: a device that was dead only for want of it is ALIVE again. */
  public void memberAdded(String memberId) {
    membersKnown = true;
    members.add(memberId);
    long now = nanos.getAsLong();
    for (Map.Entry<String, Tracked> e : tracked.entrySet()) {
      Tracked t = e.getValue();
      String device = e.getKey();
      long silence = toMillis(now - t.lastHeardNanos);
      if (t.state == Liveness.DEAD
          && !t.status.leaving()
          && t.status.memberId().equals(memberId)
          && silence <= suspectAfterMillis(t.status)) {
        log.info(
            "{} sees {} back: its member {} is in the cluster again and it was heard {} ms ago",
            self,
            device,
            memberId,
            silence);
        t.state = Liveness.ALIVE;
        change(device, Liveness.DEAD, Liveness.ALIVE, t.status.incarnation(), silence);
      }
    }
    finish();
  }

  /** Applies the silence deadlines; call it every {@link #CHECK_PERIOD_MILLIS}. Cheap. */
  public void check() {
    long now = nanos.getAsLong();
    boolean paused = checked && now - lastCheckNanos > TimeUnit.MILLISECONDS.toNanos(PAUSE_MILLIS);
    if (paused) {
      // This device did not run for a while; the others did not go silent, it went deaf.
      long pausedNanos = now - lastCheckNanos - TimeUnit.MILLISECONDS.toNanos(CHECK_PERIOD_MILLIS);
      log.warn(
          "{} did not run for {} ms (a pause of this process or machine); not counting it as"
              + " silence of others",
          self,
          toMillis(pausedNanos));
      for (Tracked t : tracked.values()) {
        if (t.state == Liveness.ALIVE || t.state == Liveness.SUSPECT) {
          t.lastHeardNanos = Math.min(now, t.lastHeardNanos + pausedNanos);
        }
      }
    }
    checked = true;
    lastCheckNanos = now;
    for (Map.Entry<String, Tracked> e : tracked.entrySet()) {
      String device = e.getKey();
      Tracked t = e.getValue();
      if (device.equals(self) || (t.state != Liveness.ALIVE && t.state != Liveness.SUSPECT)) {
        continue;
      }
      long silence = toMillis(now - t.lastHeardNanos);
      Liveness from = t.state;
      if (silence > deadAfterMillis(t.status)) {
        log.info(
            "{} declares {} dead: silent for {} ms (dead after {} ms)",
            self,
            device,
            silence,
            deadAfterMillis(t.status));
        dead(device, t, from, silence);
      } else if (silence > suspectAfterMillis(t.status) && from == Liveness.ALIVE) {
        log.warn(
            "{} suspects {}: silent for {} ms (suspect after {} ms)",
            self,
            device,
            silence,
            suspectAfterMillis(t.status));
        t.state = Liveness.SUSPECT;
        suspicions.increment();
        change(device, from, Liveness.SUSPECT, t.status.incarnation(), silence);
      }
    }
    if (paused || !pending.isEmpty()) {
      finish();
    }
  }

  /** The suspect deadline for a sender, with the slack its slower period needs. */
  long suspectAfterMillis(DeviceStatus status) {
    return suspectAfterMillis + extraMillis(status);
  }

  /** The dead deadline for a sender, with the slack its slower period needs. */
  long deadAfterMillis(DeviceStatus status) {
    return deadAfterMillis + extraMillis(status);
  }

  private long extraMillis(DeviceStatus status) {
    long periodSlack =
        Math.max(0, Math.min(maxExtraMillis, status.periodMillis() - mainsPeriodMillis));
    return periodSlack + busySlackMillis(status);
  }

  /**
   * A device that said its CPU is saturated, or an observer that is saturated itself, may be late
   * without being gone: a starved process sends and reads its gossip late. Such a sender gets the
   * dead deadline once more on top of both deadlines, so that load alone does not move services; a
   * crash is still seen at once through the cluster, and a hang on an idle mesh as before.
   */
  private long busySlackMillis(DeviceStatus status) {
    Tracked me = tracked.get(self);
    return busy(status) || (me != null && busy(me.status)) ? deadAfterMillis : 0;
  }

  private static boolean busy(DeviceStatus status) {
    double cpu = status.load().cpuLoad();
    return !Double.isNaN(cpu) && cpu >= BUSY_CPU_LOAD;
  }

  /** The devices other than this one that are ALIVE in this view, sorted by name. Any thread. */
  public List<String> aliveOthers() {
    return observedAll().stream()
        .filter(o -> o.state() == Liveness.ALIVE && !o.device().equals(self))
        .map(Observed::device)
        .toList();
  }

  /**
   * How long ago this view last heard {@code device}, if it is ALIVE here: what another device that
   * suspects it asks (see {@link #vouch}).
   */
  public OptionalLong heardAgoMillis(String device) {
    Tracked t = tracked.get(device);
    if (t == null || device.equals(self) || t.state != Liveness.ALIVE) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(toMillis(nanos.getAsLong() - t.lastHeardNanos));
  }

  /**
   * Another device, {@code by}, heard {@code device} (incarnation {@code incarnation}) {@code
   * agoMillis} ago, while this view suspects it: the silence is this device's alone (a bad link, a
   * late event loop here), as SWIM's indirect probe would find. If {@code by} heard it more than a
   * gossip period after this view last did, the device is ALIVE again, as of that moment.
   *
   * @return whether the vouch counted
   */
  public boolean vouch(String device, long incarnation, long agoMillis, String by) {
    Tracked t = tracked.get(device);
    if (t == null || t.state != Liveness.SUSPECT || t.status.incarnation() != incarnation) {
      return false;
    }
    long now = nanos.getAsLong();
    long heardThere = now - TimeUnit.MILLISECONDS.toNanos(Math.max(0, agoMillis));
    if (heardThere - t.lastHeardNanos < TimeUnit.MILLISECONDS.toNanos(mainsPeriodMillis)) {
      return false;
    }
    long silence = toMillis(now - t.lastHeardNanos);
    log.warn(
        "{} does not hear {} (silent here for {} ms), but {} heard it {} ms ago: alive, not moving"
            + " its services",
        self,
        device,
        silence,
        by,
        agoMillis);
    t.lastHeardNanos = heardThere;
    t.state = Liveness.ALIVE;
    change(device, Liveness.SUSPECT, Liveness.ALIVE, incarnation, silence);
    finish();
    return true;
  }

  /** Declares a device dead after {@code silence} ms, and counts how long detecting it took. */
  private void dead(String device, Tracked t, Liveness from, long silence) {
    t.state = Liveness.DEAD;
    detection.record(silence, TimeUnit.MILLISECONDS);
    change(device, from, Liveness.DEAD, t.status.incarnation(), silence);
  }

  private void change(String device, Liveness from, Liveness to, long incarnation, long silence) {
    pending.add(new StateChange(device, from, to, incarnation, millis.getAsLong(), silence));
  }

  /** Publishes the snapshot, then tells the listeners. */
  private void finish() {
    Map<String, Row> rows = new HashMap<>();
    tracked.forEach((device, t) -> rows.put(device, new Row(t.status, t.state, t.lastHeardNanos)));
    snapshot = Map.copyOf(rows);
    if (pending.isEmpty()) {
      return;
    }
    List<StateChange> changes = List.copyOf(pending);
    pending.clear();
    for (StateChange change : changes) {
      for (Consumer<StateChange> listener : listeners) {
        try {
          listener.accept(change);
        } catch (RuntimeException e) {
          log.error("{}: a listener failed on {}", self, change, e);
        }
      }
    }
  }

  private static long toMillis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
