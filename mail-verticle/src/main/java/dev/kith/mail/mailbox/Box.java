package dev.kith.mail.mailbox;

import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.TreeMap;

/**
 * One mailbox in a {@link MailboxInstance}'s index: its messages by UID, the next UID it gives, and
 * its modification sequence (RFC 7162), with how far each is durable in the vault.
 *
 * <p>The rules that IMAP clients rely on across a failover rest here: the next UID and the highest
 * modification sequence only grow, and what is durable of them is what the next instance loads. A
 * message record carries its own {@code modseq}, so a change to a message needs no write of its
 * mailbox; a message leaving the mailbox (expunged or moved) leaves no record behind, so then the
 * mailbox's record is written with the new highest modification sequence.
 */
final class Box {

  /** How many expunges a mailbox remembers for QRESYNC; older ones make a client list its UIDs. */
  static final int VANISHED_MEMORY = 10_000;

  final String name;
  long uidValidity;
  long uidNext;
  long durableUidNext;

  /** Starts at 1: RFC 7162's HIGHESTMODSEQ is positive, even for an empty mailbox. */
  long highestModSeq = 1;

  long durableModSeq;
  Future<Void> writing;
  long writingUidNext;
  long writingModSeq;
  final TreeMap<Long, String> byUid = new TreeMap<>();

  /** The UIDs expunged since {@link #vanishedSince}, as {@code {modseq, uid}}, oldest first. */
  final ArrayDeque<long[]> vanished = new ArrayDeque<>();

  /**
   * The modification sequence from which {@link #vanished} is complete: this instance's view of the
   * mailbox when it loaded. A client that last saw an earlier one is given every UID instead.
   */
  long vanishedSince = Long.MAX_VALUE;

  Box(String name, long uidValidity, long uidNext) {
    this.name = name;
    this.uidValidity = uidValidity;
    this.uidNext = uidNext;
    this.durableUidNext = uidNext;
  }

  /** The next modification sequence, for a change made now. */
  long nextModSeq() {
    return ++highestModSeq;
  }

  /** Notes that {@code uid} left the mailbox at {@code modseq}. */
  void vanish(long uid, long modseq) {
    if (vanishedSince == Long.MAX_VALUE) {
      return; // not loaded yet: the load sets the floor after everything it read
    }
    vanished.addLast(new long[] {modseq, uid});
    if (vanished.size() > VANISHED_MEMORY) {
      vanishedSince = vanished.removeFirst()[0];
    }
  }

  void removeUid(long uid, String id) {
    if (id.equals(byUid.get(uid))) {
      byUid.remove(uid);
    }
  }
}
