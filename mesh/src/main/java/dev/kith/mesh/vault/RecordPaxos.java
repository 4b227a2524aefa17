package dev.kith.mesh.vault;

import dev.kith.mesh.spi.ServiceUnavailable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Linearizable changes of one record across its replicas: single-decree Paxos per change, as in
 * CASPaxos (Rystsov, 2018). Any device may propose; there is no leader to fail over.
 *
 * <p>A change takes a ballot, a {@link Version} from this device's clock (with the fence's epoch),
 * and asks every alive replica to promise it (phase 1). Once a majority of the owner's replica set
 * has promised, the newest record any of them accepted is the current value; {@code change} turns
 * it into the new one, which is proposed under the same ballot (phase 2) and chosen once a majority
 * accepts it. A replica promises or accepts only ballots above every one it has seen, so two
 * concurrent changes cannot both be chosen from the same current value: the later ballot makes the
 * earlier one fail its phase 2, and the earlier one tries again with a higher ballot.
 *
 * <p>Failure model: a proposer that crashes between the phases leaves at most a value accepted by a
 * minority, which the next change finds in its phase 1 and builds on (the crashed change may thus
 * still take effect; a caller that saw a failure must treat it as unknown). A replica that is down
 * takes no part; with fewer than a majority alive, a change fails at once with {@link
 * ServiceUnavailable}, on either side of a partition, so at most one side can change the record.
 * Values accepted under a ballot are stored as the record with that version, so anti-entropy and
 * read repair, which keep the newest version, spread what Paxos chose.
 */
final class RecordPaxos {

  private static final int ATTEMPTS = 16;
  private static final long BACKOFF_MILLIS = 8;

  private final Vertx vertx;
  private final String device;
  private final Hlc hlc;
  private final ReplicaProtocol protocol;
  private final Predicate<String> alive;

  RecordPaxos(
      Vertx vertx, String device, Hlc hlc, ReplicaProtocol protocol, Predicate<String> alive) {
    this.vertx = vertx;
    this.device = device;
    this.hlc = hlc;
    this.protocol = protocol;
    this.alive = alive;
  }

  /** Another ballot got ahead: try again with a higher one. */
  private static final class Outrun extends RuntimeException {
    final int agreed;

    Outrun(int agreed) {
      super("outrun by a higher ballot", null, false, false);
      this.agreed = agreed;
    }
  }

  /** What one change's attempts proposed, and whether any replica accepted one of them. */
  private static final class Attempts {
    final java.util.Set<Version> proposed = new java.util.HashSet<>();
    boolean acceptedSomewhere;
  }

  Future<StoredRecord> update(
      String owner,
      String key,
      ReplicaSets.ReplicaSet set,
      Function<StoredRecord, JsonObject> change,
      Fence fence) {
    return attempt(owner, key, set, change, fence, new Attempts(), 1);
  }

  private Future<StoredRecord> attempt(
      String owner,
      String key,
      ReplicaSets.ReplicaSet set,
      Function<StoredRecord, JsonObject> change,
      Fence fence,
      Attempts attempts,
      int attempt) {
    int majority = set.devices().size() / 2 + 1;
    List<String> reachable = set.devices().stream().filter(alive).toList();
    if (reachable.size() < majority) {
      return Future.failedFuture(
          new ServiceUnavailable(
              "only "
                  + reachable.size()
                  + " of "
                  + set.devices().size()
                  + " replicas of "
                  + owner
                  + "'s vault are reachable, and changing "
                  + key
                  + " needs "
                  + majority
                  + "; retry once more of "
                  + set.devices()
                  + " are up"));
    }
    Version ballot = new Version(fence == null ? 0 : fence.epoch(), hlc.now(), device);
    return phase(
            owner,
            reachable,
            majority,
            "promise",
            to -> protocol.prepare(to, owner, key, ballot, fence))
        .compose(
            promised -> {
              StoredRecord current = newestAccepted(promised);
              if (current != null && current.version().epoch() > ballot.epoch()) {
                return Future.failedFuture(
                    new IllegalStateException(
                        key
                            + " was written at epoch "
                            + current.version().epoch()
                            + ", above this change's "
                            + ballot.epoch()));
              }
              try {
                String encoded;
                if (current != null && attempts.proposed.contains(current.version())) {
                  // An earlier attempt of this change was accepted somewhere before it was
                  // outrun: it may already be chosen, so it is completed, not applied again.
                  encoded = current.value();
                } else {
                  JsonObject value = apply(change, current, attempts);
                  if (value == null) {
                    throw new IllegalArgumentException("a change must give a JSON value");
                  }
                  encoded = value.encode();
                }
                StoredRecord.checkValue(encoded);
                StoredRecord proposal = new StoredRecord(owner, key, ballot, encoded);
                attempts.proposed.add(ballot);
                return phase(
                        owner,
                        reachable,
                        majority,
                        "acceptance",
                        to -> protocol.accept(to, proposal, fence))
                    .onFailure(
                        e -> {
                          if (!(e instanceof Outrun o) || o.agreed > 0) {
                            attempts.acceptedSomewhere = true;
                          }
                        })
                    .map(accepted -> proposal);
              } catch (RuntimeException e) {
                return Future.failedFuture(e);
              }
            })
        .recover(
            e -> {
              if (!(e instanceof Outrun)) {
                return Future.failedFuture(e);
              }
              if (attempt >= ATTEMPTS) {
                return Future.failedFuture(
                    new ServiceUnavailable(
                        "changing "
                            + key
                            + " of "
                            + owner
                            + "'s vault lost to concurrent changes "
                            + attempt
                            + " times; retry shortly"));
              }
              Promise<StoredRecord> again = Promise.promise();
              long delay =
                  1 + ThreadLocalRandom.current().nextLong(BACKOFF_MILLIS * Math.min(attempt, 8));
              vertx.setTimer(
                  delay,
                  t ->
                      attempt(owner, key, set, change, fence, attempts, attempt + 1)
                          .onComplete(again));
              return again.future();
            });
  }

  /**
   * Sends one phase to every reachable replica; completes with the answers of the first majority
   * that agreed, fails with {@link Outrun} once a majority can no longer agree because of higher
   * ballots, with {@link Vault.Fenced} on the first fence refusal, and otherwise with {@link
   * ServiceUnavailable}.
   */
  private Future<List<RecordSql.Ballot>> phase(
      String owner,
      List<String> reachable,
      int majority,
      String what,
      Function<String, Future<RecordSql.Ballot>> send) {
    Promise<List<RecordSql.Ballot>> done = Promise.promise();
    List<RecordSql.Ballot> agreed = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (String replica : reachable) {
      send.apply(replica)
          .onComplete(
              ar -> {
                if (ar.succeeded() && ar.result().ok()) {
                  agreed.add(ar.result());
                  if (agreed.size() >= majority) {
                    done.tryComplete(List.copyOf(agreed));
                  }
                  return;
                }
                if (ar.failed() && ar.cause() instanceof Vault.Fenced fenced) {
                  done.tryFail(fenced);
                  return;
                }
                if (ar.succeeded()) {
                  refused.incrementAndGet();
                } else {
                  failed.incrementAndGet();
                  errors.add(replica + ": " + ar.cause().getMessage());
                }
                if (refused.get() + failed.get() > reachable.size() - majority) {
                  done.tryFail(
                      refused.get() > 0
                          ? new Outrun(agreed.size())
                          : new ServiceUnavailable(
                              "too few replicas of "
                                  + owner
                                  + "'s vault gave their "
                                  + what
                                  + " "
                                  + errors
                                  + "; retry shortly"));
                }
              });
    }
    return done.future();
  }

  /**
   * Applies the caller's change. A change that refuses once an earlier attempt was accepted by some
   * replica has an unknown outcome: that attempt may have been chosen and built upon.
   */
  private static JsonObject apply(
      Function<StoredRecord, JsonObject> change, StoredRecord current, Attempts attempts) {
    try {
      return change.apply(current == null || current.deleted() ? null : current);
    } catch (RuntimeException e) {
      if (attempts.acceptedSomewhere) {
        throw new ServiceUnavailable(
            "an earlier attempt of this change may have taken effect before another change"
                + " followed it ("
                + e.getMessage()
                + "); read the record to see");
      }
      throw e;
    }
  }

  private static StoredRecord newestAccepted(List<RecordSql.Ballot> promised) {
    StoredRecord newest = null;
    for (RecordSql.Ballot b : promised) {
      StoredRecord r = b.accepted();
      if (r != null && (newest == null || r.newerThan(newest))) {
        newest = r;
      }
    }
    return newest;
  }
}
