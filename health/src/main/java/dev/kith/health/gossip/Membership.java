package dev.kith.health.gossip;

import java.util.Set;

/**
 * The cluster's member list as the gossip verticle needs it: this process's member id, which goes
 * into every status, and the ids of every member now. Both are local reads that never block; the
 * Hazelcast implementation lives with the extension, and tests can stand in for it.
 */
public interface Membership {

  /** This process's member id now; it changes when the member rejoins after a split. */
  String localMemberId();

  /** Every member's id now, this one's included. */
  Set<String> memberIds();
}
