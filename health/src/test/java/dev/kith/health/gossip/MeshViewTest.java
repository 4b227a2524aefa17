package dev.kith.health.gossip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kith.health.HealthConfig;
import dev.kith.health.power.PowerStatus;
import dev.kith.health.sampling.LoadStatus;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The failure detector on a fake clock: each test drives the view as the gossip verticle does, with
 * a check every 100 ms, and moves time by hand.
 */
@DisplayName("A mesh view")
class MeshViewTest {

  private static final HealthConfig HEALTH =
      new HealthConfig("mains", 1000, 1500, 2000, 4000, 0.2, Set.of());
  private static final String SELF = "d1.alice";
  private static final String SELF_MEMBER = "00000000-0000-0000-0000-000000000001";
  private static final String PEER = "d2.alice";
  private static final String PEER_MEMBER = "00000000-0000-0000-0000-000000000002";
  private static final String PEER_REJOINED = "00000000-0000-0000-0000-000000000022";

  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private final List<StateChange> changes = new ArrayList<>();
  private long nanos = 5_000_000_000L;
  private long wallMillis = 1_700_000_000_000L;
  private MeshView view;

  @BeforeEach
  void setUp() {
    view = new MeshView(SELF, HEALTH, metrics, () -> nanos, () -> wallMillis);
    view.onChange(changes::add);
  }

  /** Moves time on in checks of 100 ms, as the gossip verticle's timer does. */
  private void pass(long millis) {
    for (long done = 0; done < millis; done += MeshView.CHECK_PERIOD_MILLIS) {
      long step = Math.min(MeshView.CHECK_PERIOD_MILLIS, millis - done);
      nanos += TimeUnit.MILLISECONDS.toNanos(step);
      wallMillis += step;
      view.check();
    }
  }

  private static DeviceStatus status(
      String device, String member, long incarnation, long sequence, long periodMillis) {
    return new DeviceStatus(
        device,
        "alice",
        member,
        incarnation,
        sequence,
        periodMillis,
        PowerStatus.MAINS,
        LoadStatus.UNKNOWN,
        false,
        1_700_000_000_000L);
  }

  private static DeviceStatus peer(long sequence) {
    return status(PEER, PEER_MEMBER, 100, sequence, 1000);
  }

  private static DeviceStatus leaving(DeviceStatus s) {
    return new DeviceStatus(
        s.device(),
        s.owner(),
        s.memberId(),
        s.incarnation(),
        s.sequence(),
        s.periodMillis(),
        s.power(),
        s.load(),
        true,
        s.sentAtMillis());
  }

  private Liveness stateOf(String device) {
    return view.observed(device).orElseThrow().state();
  }

  private Timer detection() {
    return metrics.get("kith.detection").timer();
  }

  @Test
  @DisplayName(
      "declares a silent device suspect after suspectAfterMillis and dead after deadAfterMillis")
  void silenceDeadlines() {
    view.receive(peer(0));

    pass(2000);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    pass(100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    pass(1900);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    pass(100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);

    assertThat(changes)
        .extracting(StateChange::from, StateChange::to)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(null, Liveness.ALIVE),
            org.assertj.core.groups.Tuple.tuple(Liveness.ALIVE, Liveness.SUSPECT),
            org.assertj.core.groups.Tuple.tuple(Liveness.SUSPECT, Liveness.DEAD));
    StateChange death = changes.get(2);
    assertThat(death.device()).isEqualTo(PEER);
    assertThat(death.silenceMillis()).isEqualTo(4100);
    assertThat(death.atMillis()).isEqualTo(wallMillis);
    assertThat(detection().count()).isEqualTo(1);
    assertThat(detection().totalTime(TimeUnit.MILLISECONDS)).isCloseTo(4100, within(1.0));
  }

  @Test
  @DisplayName("keeps a device alive while it gossips on time")
  void onTimeGossipStaysAlive() {
    for (int sequence = 0; sequence < 20; sequence++) {
      view.receive(peer(sequence));
      pass(1000);
    }

    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    assertThat(changes).hasSize(1);
    assertThat(detection().count()).isZero();
  }

  @Test
  @DisplayName("brings a suspect or dead device back to alive when it is heard again")
  void revives() {
    view.receive(peer(0));
    pass(2500);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);

    view.receive(peer(1));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);

    pass(5000);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
    view.receive(peer(2));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    assertThat(changes.get(changes.size() - 1))
        .extracting(StateChange::from, StateChange::to, StateChange::silenceMillis)
        .containsExactly(Liveness.DEAD, Liveness.ALIVE, 5000L);
  }

  @Test
  @DisplayName(
      "replaces a status with one from a newer incarnation and ignores the older one after")
  void newIncarnation() {
    view.receive(peer(41));

    DeviceStatus restarted = status(PEER, PEER_MEMBER, 200, 0, 1000);
    view.receive(restarted);
    view.receive(peer(42));

    assertThat(view.observed(PEER).orElseThrow().status()).isEqualTo(restarted);
    assertThat(changes.get(changes.size() - 1))
        .extracting(StateChange::from, StateChange::to, StateChange::incarnation)
        .containsExactly(Liveness.ALIVE, Liveness.ALIVE, 200L);
  }

  @Test
  @DisplayName("takes a restart whose clock went back once the old incarnation is dead")
  void olderIncarnationAfterDeath() {
    view.receive(peer(7));
    pass(4100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);

    DeviceStatus restartedWithOlderClock = status(PEER, PEER_MEMBER, 50, 0, 1000);
    view.receive(restartedWithOlderClock);

    assertThat(view.observed(PEER).orElseThrow().status()).isEqualTo(restartedWithOlderClock);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
  }

  @Test
  @DisplayName("ignores a stale or repeated sequence number, which does not count as hearing")
  void staleSequence() {
    view.receive(peer(5));
    pass(1500);

    view.receive(peer(3));
    view.receive(peer(5));
    assertThat(view.observed(PEER).orElseThrow().status().sequence()).isEqualTo(5);

    pass(600);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
  }

  @Test
  @DisplayName("marks a device that says it is leaving as left, whatever its member does after")
  void leaving() {
    view.setMembers(Set.of(SELF_MEMBER, PEER_MEMBER));
    view.receive(peer(0));

    view.receive(leaving(peer(1)));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.LEFT);

    view.memberRemoved(PEER_MEMBER);
    pass(10_000);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.LEFT);
    assertThat(detection().count()).isZero();
  }

  @Test
  @DisplayName("marks a device left when its goodbye comes after the cluster dropped it")
  void leavingAfterMemberRemoved() {
    view.setMembers(Set.of(SELF_MEMBER, PEER_MEMBER));
    view.receive(peer(0));
    view.memberRemoved(PEER_MEMBER);

    view.receive(leaving(peer(1)));

    assertThat(stateOf(PEER)).isEqualTo(Liveness.LEFT);
  }

  @Test
  @DisplayName(
      "declares a device dead at once when the cluster drops its member, and alive only when it is"
          + " a member again")
  void memberRemoved() {
    view.setMembers(Set.of(SELF_MEMBER, PEER_MEMBER));
    view.receive(peer(0));
    pass(300);

    view.memberRemoved(PEER_MEMBER);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
    assertThat(detection().count()).isEqualTo(1);
    assertThat(detection().totalTime(TimeUnit.MILLISECONDS)).isCloseTo(300, within(1.0));

    // Heard again, but from outside the cluster: it cannot hold a placement yet.
    view.receive(peer(1));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
    view.receive(status(PEER, PEER_REJOINED, 100, 2, 1000));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);

    // The cluster takes it back under a new member id (Hazelcast renews it on a merge).
    view.memberAdded(PEER_REJOINED);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
  }

  @Test
  @DisplayName(
      "agrees at once with another device's death notice when it suspects the device itself, and"
          + " only then")
  void confirmsDeath() {
    view.receive(peer(0));
    pass(1500);
    view.confirmDead(PEER, PEER_MEMBER, "d3.alice");
    assertThat(stateOf(PEER)).as("still heard 1.5 s ago").isEqualTo(Liveness.ALIVE);

    pass(600);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    view.confirmDead(PEER, PEER_REJOINED, "d3.alice");
    assertThat(stateOf(PEER)).as("another member of the same name").isEqualTo(Liveness.SUSPECT);
    view.confirmDead(PEER, PEER_MEMBER, "d3.alice");
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
    assertThat(changes.get(changes.size() - 1).silenceMillis()).isEqualTo(2100);
    assertThat(detection().count()).isEqualTo(1);

    view.confirmDead(SELF, SELF_MEMBER, "d3.alice");
    assertThat(view.observed(SELF)).isEmpty();
  }

  @Test
  @DisplayName("sees a member that the cluster drops and takes back through the member list alone")
  void memberListResync() {
    view.setMembers(Set.of(SELF_MEMBER, PEER_MEMBER));
    view.receive(peer(0));

    view.setMembers(Set.of(SELF_MEMBER));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);

    view.receive(status(PEER, PEER_REJOINED, 100, 1, 1000));
    view.setMembers(Set.of(SELF_MEMBER, PEER_REJOINED));
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
  }

  @Test
  @DisplayName("never declares its own device suspect or dead")
  void selfAlwaysAlive() {
    view.setMembers(Set.of(SELF_MEMBER, PEER_MEMBER));
    view.receive(status(SELF, SELF_MEMBER, 100, 0, 1000));

    pass(10_000);
    view.memberRemoved(SELF_MEMBER);

    assertThat(stateOf(SELF)).isEqualTo(Liveness.ALIVE);
    assertThat(detection().count()).isZero();
  }

  @Test
  @DisplayName("gives a device on the slower battery period the difference as slack")
  void batteryPeriodSlack() {
    view.receive(status(PEER, PEER_MEMBER, 100, 0, 1500));

    pass(2500);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    pass(100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    pass(1900);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    pass(100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
  }

  @Test
  @DisplayName("gives no more slack than the configured battery period, whatever a device claims")
  void slackIsCapped() {
    view.receive(status(PEER, PEER_MEMBER, 100, 0, 60_000));

    pass(4600);

    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
  }

  private static DeviceStatus withCpu(DeviceStatus s, double cpu) {
    return new DeviceStatus(
        s.device(),
        s.owner(),
        s.memberId(),
        s.incarnation(),
        s.sequence(),
        s.periodMillis(),
        s.power(),
        new LoadStatus(cpu, 1, 2, 3),
        s.leaving(),
        s.sentAtMillis());
  }

  @Test
  @DisplayName("gives a device that said its CPU is saturated the dead deadline again as slack")
  void busySenderSlack() {
    view.receive(withCpu(peer(0), 0.97));

    pass(2000 + 4000);
    assertThat(stateOf(PEER)).as("suspect only after 2 s + 4 s").isEqualTo(Liveness.ALIVE);
    pass(100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    assertThat(metrics.get("kith.suspicions").counter().count()).isEqualTo(1.0);
    pass(4000);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);

    // Once it says it is idle again, the plain deadlines apply.
    view.receive(withCpu(peer(1), 0.2));
    pass(4100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
  }

  @Test
  @DisplayName("gives every device the slack while the observer itself is saturated")
  void busyObserverSlack() {
    view.receive(withCpu(status(SELF, SELF_MEMBER, 1, 0, 1000), 0.95));
    view.receive(peer(0));

    pass(4100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    pass(2000);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
  }

  @Test
  @DisplayName("keeps a suspect alive when another device heard it a gossip period later")
  void vouching() {
    view.receive(peer(0));
    pass(2100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);

    assertThat(view.vouch(PEER, 100, 1900, "d3.alice"))
        .as("heard there only 200 ms after here: the same silence")
        .isFalse();
    assertThat(view.vouch(PEER, 99, 100, "d3.alice")).as("another incarnation").isFalse();
    assertThat(view.vouch(PEER, 100, 300, "d3.alice")).isTrue();

    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    assertThat(view.observed(PEER).orElseThrow().silenceMillis()).isEqualTo(300);
    assertThat(changes.get(changes.size() - 1).to()).isEqualTo(Liveness.ALIVE);
    // Still silent here: suspected again once that hearing is 2 s old, then dead if nobody vouches.
    pass(1800);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
    pass(2000);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.DEAD);
    assertThat(view.vouch(PEER, 100, 0, "d3.alice")).as("too late: dead").isFalse();
  }

  @Test
  @DisplayName("says how long ago it heard a device only while that device is alive here")
  void heardAgo() {
    view.receive(peer(0));
    pass(500);
    assertThat(view.aliveOthers()).containsExactly(PEER);
    assertThat(view.heardAgoMillis(PEER)).hasValue(500);
    assertThat(view.heardAgoMillis(SELF)).isEmpty();
    assertThat(view.heardAgoMillis("nobody")).isEmpty();
    pass(1600);
    assertThat(view.heardAgoMillis(PEER)).as("suspect here").isEmpty();
    assertThat(view.aliveOthers()).isEmpty();
  }

  @Test
  @DisplayName("does not count a pause of its own process as the silence of others")
  void observerPause() {
    view.receive(peer(0));
    pass(500);

    // The observer was frozen for 10 s: no check ran, no message was read. Only one check
    // period of it counts, as if the observer had run normally.
    nanos += TimeUnit.SECONDS.toNanos(10);
    view.check();
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    assertThat(view.observed(PEER).orElseThrow().silenceMillis()).isEqualTo(600);

    pass(1400);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.ALIVE);
    pass(100);
    assertThat(stateOf(PEER)).isEqualTo(Liveness.SUSPECT);
  }

  @Test
  @DisplayName("reports how long ago each device was heard, from any thread's point of view")
  void silenceInSnapshot() {
    view.receive(peer(0));
    pass(700);

    MeshView.Observed seen = view.observed(PEER).orElseThrow();
    assertThat(seen.silenceMillis()).isEqualTo(700);
    assertThat(view.observedAll()).extracting(MeshView.Observed::device).containsExactly(PEER);
    assertThat(view.observed("nobody.alice")).isEmpty();
  }

  @Test
  @DisplayName("keeps calling the other listeners when one throws")
  void failingListener() {
    List<StateChange> second = new ArrayList<>();
    MeshView fresh = new MeshView(SELF, HEALTH, new SimpleMeterRegistry(), () -> nanos, () -> 0L);
    fresh.onChange(
        change -> {
          throw new IllegalStateException("boom");
        });
    fresh.onChange(second::add);

    fresh.receive(peer(0));

    assertThat(second).hasSize(1);
  }
}
