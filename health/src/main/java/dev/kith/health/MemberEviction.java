package dev.kith.health;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import io.vertx.core.Vertx;
import java.util.UUID;
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
 * member suspected and closes the connection to it; if the suspected member is the master, the
 * next-oldest member claims mastership once it suspects every member older than itself, and the
 * others accept because their own gossip reached the same verdict. A member that was wrongly
 * dropped finds itself outside the cluster and comes back through Hazelcast's split-brain merge, as
 * after any heartbeat timeout.
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

  private volatile long quietUntilNanos = System.nanoTime();
  private volatile long mergedAtNanos = System.nanoTime() - QUIET_AFTER_MERGE_MILLIS * 1_000_000L;

  MemberEviction(Vertx vertx, HazelcastInstance hazelcast, String device) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.device = device;
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
                  .suspectMember(member, "kith gossip: " + reason, true);
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
