package dev.kith.mesh.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import java.util.UUID;

/**
 * Drops a member from the cluster now. Hazelcast's open-source edition has no public call for it;
 * the cluster service's {@code suspectMember} is what its own heartbeat check calls (the health
 * module's failure detector uses it the same way). On the master it removes the member at once; on
 * another member it closes the connection to it and marks it suspected.
 */
public final class Members {

  private Members() {}

  /** Suspects the member {@code memberId}; answers whether there was such a member to suspect. */
  public static boolean suspect(HazelcastInstance hazelcast, String memberId, String reason) {
    UUID uuid;
    try {
      uuid = UUID.fromString(memberId);
    } catch (IllegalArgumentException | NullPointerException e) {
      return false;
    }
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (member.getUuid().equals(uuid) && !member.localMember()) {
        if (hazelcast instanceof HazelcastInstanceProxy proxy) {
          proxy.getOriginal().node.getClusterService().suspectMember(member, reason, true);
          return true;
        }
        return false;
      }
    }
    return false;
  }
}
