package dev.kith.health;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import dev.kith.health.gossip.GossipVerticle;
import dev.kith.health.gossip.Liveness;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the gossip's verdict to the cluster: when a device's view declares another device dead
 * while Hazelcast still lists its member, the member is reported to Hazelcast as suspected, so that
 * the cluster drops it now instead of at its own heartbeat timeout.
 *
 * <p>Why. Until Hazelcast drops a member, every cluster operation on a partition that member owns
 * waits for it: the placement map, the device registry and event-bus registrations. A hung or
 * silently disconnected device would hold failover up for Hazelcast's full no-heartbeat timeout.
 * Gossip sees the silence sooner (see {@link dev.kith.health.gossip.MeshView}).
 *
 * <p>How. Hazelcast's open-source edition has no public call for this; the cluster service's {@code
 * suspectMember} is what its own heartbeat check calls. On the master (the oldest member, which
 * also runs the placement controller) it removes the member at once. On another member it marks the
 * member suspected; if the suspected member is the master, the next-oldest member claims mastership
 * once it suspects every member older than itself, and the others accept because their own gossip
 * reached the same verdict. A member that was wrongly dropped finds itself outside the cluster and
 * comes back through Hazelcast's split-brain merge, as after any heartbeat timeout.
 *
 * <p>A master's death. The claimant drops every member that refuses its claim, and a member refuses
 * while it does not suspect the master itself. So every report is first published as a death
 * notice, which the others' views accept when they already suspect the device, and the member next
 * in line asks the others until every one of them finds the master dead (at most {@link
 * #CLAIM_DELAY_MILLIS}) before its own report starts the claim.
 *
 * <p>The connection stays open. Closing it (as Hazelcast's own heartbeat check does) makes the next
 * operation for the member open a new one; a hung device's kernel accepts it, its process never
 * answers the handshake, and the Hazelcast output thread that owns it then spins and starves the
 * other connections it serves, among them the answers to a new master's claim (see "A hung device
 * and Hazelcast" in docs/architecture.md). The old connection merely fills its socket buffer, and
 * Hazelcast closes it when the cluster drops the member.
 */
final class MemberEviction {

  private static final Logger log = LoggerFactory.getLogger(MemberEviction.class);

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final String device;

  /**
   * How long after this member merged back into the mesh it reports no device that it has not heard
   * since the merge: while a merge settles, gossip from the other side may not arrive yet, and
   * reporting live members would split the mesh again. A device heard after the merge that then
   * falls silent is reported at once: its silence is new.
   */
  static final long QUIET_AFTER_MERGE_MILLIS = 15_000;

  /**
   * How long the member next in line waits before it reports a dead master. Its report starts a
   * mastership claim, and Hazelcast drops every member that refuses the claim: one whose own gossip
   * does not suspect the master yet. The wait lets the death notice (see {@link
   * GossipVerticle#DEAD_ADDRESS}) and the others' own deadlines reach them first.
   */
  static final long CLAIM_DELAY_MILLIS = 1000;

  private volatile long quietUntilNanos = System.nanoTime();
  private volatile long mergedAtNanos = System.nanoTime() - QUIET_AFTER_MERGE_MILLIS * 1_000_000L;

  /** How often the member next in line asks the others whether they agree, see {@link #evict}. */
  private static final long AGREEMENT_POLL_MILLIS = 100;

  /** How long after the others agree the claim starts: time for their own reports to apply. */
  private static final long AFTER_AGREEMENT_MILLIS = 100;

  private final Supplier<List<String>> others;
  private final Map<String, Set<String>> verdicts = new ConcurrentHashMap<>();

  /** How long a death notice counts as another device's verdict. */
  private static final long VERDICT_KEPT_MILLIS = 10_000;

  /**
   * @param others the other devices that are alive in this device's view
   */
  MemberEviction(
      Vertx vertx, HazelcastInstance hazelcast, String device, Supplier<List<String>> others) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.device = device;
    this.others = others;
    // Who declared which member dead: the death notices of the others, which reach this device even
    // while a question to one of them waits on the dead master's partitions.
    vertx
        .eventBus()
        .<JsonObject>consumer(
            GossipVerticle.DEAD_ADDRESS,
            m -> {
              String member = m.body().getString("memberId");
              String by = m.body().getString("by");
              if (member != null && by != null) {
                verdicts.computeIfAbsent(member, k -> ConcurrentHashMap.newKeySet()).add(by);
                vertx.setTimer(VERDICT_KEPT_MILLIS, t -> verdicts.remove(member));
              }
            });
    hazelcast
        .getLifecycleService()
        .addLifecycleListener(
            event -> {
              if (event.getState() == LifecycleEvent.LifecycleState.MERGING
                  || event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                mergedAtNanos = System.nanoTime();
                quietUntilNanos = mergedAtNanos + QUIET_AFTER_MERGE_MILLIS * 1_000_000L;
              }
            });
  }

  /**
   * Reports {@code deadDevice}'s member, if the cluster still lists it, as suspected.
   *
   * @param silenceMillis how long the device has been silent
   */
  void evict(String deadDevice, String memberId, long silenceMillis, String reason) {
    long now = System.nanoTime();
    long lastHeardNanos = now - silenceMillis * 1_000_000L;
    if (now - quietUntilNanos < 0 && lastHeardNanos - mergedAtNanos < 0) {
      log.info(
          "{} does not report {} to the cluster: it merged back less than {} s ago and has not"
              + " heard it since",
          device,
          deadDevice,
          QUIET_AFTER_MERGE_MILLIS / 1000);
      return;
    }
    vertx
        .eventBus()
        .publish(
            GossipVerticle.DEAD_ADDRESS,
            new JsonObject().put("device", deadDevice).put("memberId", memberId).put("by", device));
    if (claimsLeadFrom(memberId)) {
      log.info(
          "{} waits until the others find {} dead too (at most {} ms) before it reports it: {} is"
              + " the cluster's oldest member, this device will claim the lead, and a member that"
              + " does not suspect {} yet would refuse the claim and be dropped",
          device,
          deadDevice,
          CLAIM_DELAY_MILLIS,
          deadDevice,
          deadDevice);
      long deadline = System.nanoTime() + CLAIM_DELAY_MILLIS * 1_000_000L;
      awaitAgreement(deadDevice, memberId, deadline)
          .onComplete(
              agreed -> {
                long margin = Boolean.TRUE.equals(agreed.result()) ? AFTER_AGREEMENT_MILLIS : 1;
                vertx.setTimer(margin, t -> report(deadDevice, memberId, reason));
              });
    } else {
      report(deadDevice, memberId, reason);
    }
  }

  /**
   * Completes with true once every other alive device has declared {@code deadDevice} dead (its
   * death notice arrived, or its view answers dead or left), false once {@code deadlineNanos}
   * passes first. Asks them every {@link #AGREEMENT_POLL_MILLIS}.
   */
  private Future<Boolean> awaitAgreement(String deadDevice, String memberId, long deadlineNanos) {
    List<String> asked = others.get().stream().filter(d -> !d.equals(deadDevice)).toList();
    JsonObject question = new JsonObject().put("device", deadDevice);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(AGREEMENT_POLL_MILLIS * 3);
    List<Future<Boolean>> answers = new ArrayList<>();
    Set<String> noticed = verdicts.getOrDefault(memberId, Set.of());
    for (String other : asked) {
      if (noticed.contains(other)) {
        answers.add(Future.succeededFuture(true));
        continue;
      }
      answers.add(
          vertx
              .eventBus()
              .<JsonObject>request(GossipVerticle.heardAddress(other), question, options)
              .map(
                  reply -> {
                    String state = reply.body().getString("state");
                    return Liveness.DEAD.wireName().equals(state)
                        || Liveness.LEFT.wireName().equals(state);
                  })
              .otherwise(false));
    }
    return Future.all(answers)
        .map(all -> answers.stream().allMatch(Future::result))
        .otherwise(false)
        .compose(
            agreed -> {
              if (agreed) {
                return Future.succeededFuture(true);
              }
              long left = (deadlineNanos - System.nanoTime()) / 1_000_000L;
              if (left <= 0) {
                return Future.succeededFuture(false);
              }
              Promise<Boolean> next = Promise.promise();
              vertx.setTimer(
                  Math.min(AGREEMENT_POLL_MILLIS, left),
                  t -> awaitAgreement(deadDevice, memberId, deadlineNanos).onComplete(next));
              return next.future();
            });
  }

  /** Whether the member is the cluster's master and this member is next in line to succeed it. */
  private boolean claimsLeadFrom(String memberId) {
    Iterator<Member> members = hazelcast.getCluster().getMembers().iterator();
    return members.hasNext()
        && members.next().getUuid().toString().equals(memberId)
        && members.hasNext()
        && members.next().localMember();
  }

  private void report(String deadDevice, String memberId, String reason) {
    vertx
        .executeBlocking(
            () -> {
              Member member = member(memberId);
              if (member == null || member.localMember()) {
                return false;
              }
              if (!(hazelcast instanceof HazelcastInstanceProxy proxy)) {
                log.warn(
                    "{} cannot report {} to the cluster ({}); it waits for the cluster's own"
                        + " heartbeat timeout",
                    device,
                    deadDevice,
                    hazelcast.getClass().getName());
                return false;
              }
              proxy
                  .getOriginal()
                  .node
                  .getClusterService()
                  .suspectMember(member, "kith gossip: " + reason, false);
              return true;
            },
            false)
        .onSuccess(
            reported -> {
              if (reported) {
                log.info(
                    "{} reported {}'s member {} to the cluster as dead ({})",
                    device,
                    deadDevice,
                    memberId,
                    reason);
              }
            })
        .onFailure(
            e ->
                log.warn(
                    "{} could not report {} to the cluster as dead: {}",
                    device,
                    deadDevice,
                    e.toString()));
  }

  private Member member(String memberId) {
    UUID uuid;
    try {
      uuid = UUID.fromString(memberId);
    } catch (IllegalArgumentException e) {
      return null;
    }
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (member.getUuid().equals(uuid)) {
        return member;
      }
    }
    return null;
  }
}
