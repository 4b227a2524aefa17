package dev.kith.mail.imap;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mailbox a session has selected, as the session's client knows it: the UIDs in sequence-number
 * order, the highest modification sequence it was told of, and what changed since. {@link #refresh}
 * asks the mailbox instance what changed after that modification sequence and tells the client:
 * {@code EXPUNGE} (or {@code VANISHED} with QRESYNC), {@code EXISTS}, and {@code FETCH} of changed
 * flags. Sequence numbers change only there, so commands in between see a stable view.
 */
final class ImapSelected {

  private final ImapSession session;
  private final String name;
  private final boolean readOnly;
  private long uidValidity;
  private long uidNext;
  private long highestModSeq;
  private long[] uids;
  private int count;
  private boolean dirty;
  private Future<Void> refreshing;

  /** Flag changes the session's own commands reported already: uid to modseq. */
  private final Map<Long, Long> reported = new HashMap<>();

  ImapSelected(ImapSession session, JsonObject view, boolean readOnly) {
    this.session = session;
    this.name = view.getString("name");
    this.readOnly = readOnly;
    this.uidValidity = view.getLong("uidValidity");
    this.uidNext = view.getLong("uidNext");
    this.highestModSeq = view.getLong("highestModSeq", 0L);
    JsonArray list = view.getJsonArray("uids");
    this.uids = new long[Math.max(16, list.size())];
    for (int i = 0; i < list.size(); i++) {
      uids[i] = ((Number) list.getValue(i)).longValue();
    }
    this.count = list.size();
  }

  String name() {
    return name;
  }

  boolean readOnly() {
    return readOnly;
  }

  long uidValidity() {
    return uidValidity;
  }

  long uidNext() {
    return uidNext;
  }

  long highestModSeq() {
    return highestModSeq;
  }

  int count() {
    return count;
  }

  /** The UID at sequence number {@code seq} (1-based). */
  long uidAt(int seq) {
    return uids[seq - 1];
  }

  /** The sequence number of {@code uid}, or 0 when the client does not know it. */
  int seqOf(long uid) {
    int at = Arrays.binarySearch(uids, 0, count, uid);
    return at < 0 ? 0 : at + 1;
  }

  long largestUid() {
    return count == 0 ? 0 : uids[count - 1];
  }

  /** The UIDs a sequence set names, ascending: by sequence number, or by UID. */
  List<Long> resolve(SequenceSet set, boolean byUid) {
    List<Long> out = new ArrayList<>();
    if (count == 0) {
      return out;
    }
    if (byUid) {
      for (long[] r : set.ranges(largestUid())) {
        int from = Arrays.binarySearch(uids, 0, count, r[0]);
        for (int i = from < 0 ? -from - 1 : from; i < count && uids[i] <= r[1]; i++) {
          out.add(uids[i]);
        }
      }
    } else {
      for (long[] r : set.ranges(count)) {
        if (r[0] > count) {
          throw ImapFailure.bad("No message " + r[0] + "; the mailbox has " + count);
        }
        for (long seq = r[0]; seq <= Math.min(r[1], count); seq++) {
          out.add(uids[(int) seq - 1]);
        }
      }
    }
    return out;
  }

  /** A change event named this mailbox. */
  void markDirty() {
    dirty = true;
  }

  /** The session reported a flag change of its own: a refresh does not repeat it. */
  void reported(long uid, long modseq) {
    reported.put(uid, modseq);
  }

  /**
   * Asks what changed since the client last heard and tells it. Expunges wait while {@code
   * expunges} is false (during FETCH, STORE and SEARCH, whose sequence numbers must hold).
   * Refreshes run one at a time; one asked for meanwhile runs after.
   */
  Future<Void> refresh(boolean expunges) {
    if (refreshing != null) {
      dirty = true;
      return refreshing;
    }
    dirty = false;
    refreshing =
        session
            .mailboxes()
            .changes(name, highestModSeq)
            .map(
                answer -> {
                  apply(answer, expunges);
                  return (Void) null;
                })
            .onComplete(
                ar -> {
                  refreshing = null;
                  if (dirty && ar.succeeded()) {
                    refresh(expunges);
                  }
                });
    return refreshing;
  }

  private void apply(JsonObject answer, boolean expunges) {
    if (answer.getLong("uidValidity") != uidValidity) {
      session.bye("[UIDVALIDITY] Mailbox " + name + " was deleted or renamed; select it again");
      return;
    }
    List<Long> gone = vanished(answer);
    if (!gone.isEmpty() && !expunges) {
      return; // the whole change waits, so that no later state is shown before the expunge
    }
    expunge(gone);
    StringBuilder out = new StringBuilder();
    List<JsonObject> changed = new ArrayList<>();
    answer.getJsonArray("changed").forEach(o -> changed.add((JsonObject) o));
    changed.sort((a, b) -> Long.compare(a.getLong("uid"), b.getLong("uid")));
    int before = count;
    for (JsonObject c : changed) {
      long uid = c.getLong("uid");
      if (uid > largestUid()) {
        append(uid);
      }
    }
    if (count != before) {
      out.append("* ").append(count).append(" EXISTS\r\n");
    }
    for (JsonObject c : changed) {
      long uid = c.getLong("uid");
      int seq = seqOf(uid);
      Long mine = reported.get(uid);
      if (seq == 0 || seq > before || (mine != null && mine >= c.getLong("modseq"))) {
        continue;
      }
      out.append(flagsFetch(seq, c, session.enabled("CONDSTORE")));
    }
    reported.clear();
    uidNext = answer.getLong("uidNext");
    highestModSeq = Math.max(highestModSeq, answer.getLong("highestModSeq"));
    if (out.length() > 0) {
      session.write(out.toString());
    }
  }

  /** An untagged {@code * seq FETCH (UID u FLAGS (..) [MODSEQ (m)])} of a changed message. */
  static String flagsFetch(int seq, JsonObject change, boolean modseq) {
    return "* "
        + seq
        + " FETCH (UID "
        + change.getLong("uid")
        + " FLAGS "
        + ImapFetch.flagList(change.getJsonArray("flags"))
        + (modseq ? " MODSEQ (" + change.getLong("modseq") + ")" : "")
        + ")\r\n";
  }

  /**
   * The UIDs of {@code known} (every UID when null) below {@code uidNext} that a {@code changes}
   * answer says are gone: those it lists as vanished, or, when the instance no longer knows every
   * expunge, those missing from its UIDs (RFC 7162 lets VANISHED (EARLIER) name UIDs that never
   * existed).
   */
  static List<Long> vanishedEarlier(JsonObject changes, SequenceSet known, long uidNext) {
    long largest = Math.max(1, uidNext - 1);
    List<Long> gone = new ArrayList<>();
    JsonArray listed = changes.getJsonArray("vanished");
    if (listed != null) {
      for (Object o : listed) {
        long uid = ((Number) o).longValue();
        if (known == null || known.contains(uid, largest)) {
          gone.add(uid);
        }
      }
      return gone;
    }
    java.util.Set<Long> present = new java.util.HashSet<>();
    changes.getJsonArray("uids").forEach(o -> present.add(((Number) o).longValue()));
    for (long[] r : (known == null ? SequenceSet.parse("1:*") : known).ranges(largest)) {
      for (long uid = r[0]; uid <= r[1] && uid < uidNext; uid++) {
        if (!present.contains(uid)) {
          gone.add(uid);
        }
      }
    }
    return gone;
  }

  /** The UIDs the client knows that are gone. */
  private List<Long> vanished(JsonObject answer) {
    List<Long> gone = new ArrayList<>();
    JsonArray listed = answer.getJsonArray("vanished");
    if (listed != null) {
      listed.forEach(
          o -> {
            long uid = ((Number) o).longValue();
            if (seqOf(uid) > 0) {
              gone.add(uid);
            }
          });
      return gone;
    }
    JsonArray all = answer.getJsonArray("uids");
    java.util.Set<Long> present = new java.util.HashSet<>();
    all.forEach(o -> present.add(((Number) o).longValue()));
    for (int i = 0; i < count; i++) {
      if (!present.contains(uids[i])) {
        gone.add(uids[i]);
      }
    }
    return gone;
  }

  /** Tells the client of expunged messages and drops them from the view. */
  void expunge(List<Long> gone) {
    if (gone.isEmpty()) {
      return;
    }
    StringBuilder out = new StringBuilder();
    if (session.enabled("QRESYNC")) {
      out.append("* VANISHED ").append(SequenceSet.format(gone)).append("\r\n");
      for (long uid : gone) {
        remove(seqOf(uid));
      }
    } else {
      List<Long> sorted = new ArrayList<>(gone);
      sorted.sort(null);
      for (int i = sorted.size() - 1; i >= 0; i--) {
        int seq = seqOf(sorted.get(i));
        if (seq > 0) {
          out.append("* ").append(seq).append(" EXPUNGE\r\n");
          remove(seq);
        }
      }
    }
    session.write(out.toString());
  }

  private void remove(int seq) {
    if (seq > 0) {
      System.arraycopy(uids, seq, uids, seq - 1, count - seq);
      count--;
    }
  }

  private void append(long uid) {
    if (count == uids.length) {
      uids = Arrays.copyOf(uids, uids.length * 2);
    }
    uids[count++] = uid;
  }

  @Override
  public String toString() {
    return name;
  }
}
