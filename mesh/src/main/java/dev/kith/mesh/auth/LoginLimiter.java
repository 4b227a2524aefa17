package dev.kith.mesh.auth;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.Serial;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts failed logins per caller address and per account, mesh-wide, in the Hazelcast map {@value
 * #MAP}: a guesser gains nothing by spreading attempts over devices. After {@code maxFailures}
 * failures within {@code lockoutMillis} of the first, the address or account is refused for {@code
 * lockoutMillis} from the last one, with the time left as {@code Retry-After}; a successful login
 * clears its account's count. Counters are atomic (entry processors run where the entry lives) and
 * expire on their own. They live in memory only: a full power loss forgets them, which costs a
 * guesser's budget nothing it did not have before.
 */
public final class LoginLimiter {

  public static final String MAP = "kith.auth.failures";

  private final Vertx vertx;
  private final IMap<String, String> failures;
  private final int maxFailures;
  private final long lockoutMillis;

  public LoginLimiter(
      Vertx vertx, HazelcastInstance hazelcast, int maxFailures, long lockoutMillis) {
    this.vertx = vertx;
    this.failures = hazelcast.getMap(MAP);
    this.maxFailures = maxFailures;
    this.lockoutMillis = lockoutMillis;
  }

  /**
   * Milliseconds until {@code address} and {@code owner} may try again; 0 if they may now. A {@code
   * null} owner (a name that cannot be one) asks about the address only.
   */
  public Future<Long> blockedFor(String address, String owner) {
    return both(address, owner, false);
  }

  /**
   * Counts a failure for both (for the address only when {@code owner} is {@code null}); gives how
   * long they are now blocked (0 if not yet).
   */
  public Future<Long> failed(String address, String owner) {
    return both(address, owner, true);
  }

  private Future<Long> both(String address, String owner, boolean add) {
    Future<Long> byAddress = ask("a:" + address, new Count(maxFailures, lockoutMillis, add));
    if (owner == null) {
      return byAddress;
    }
    return Future.all(byAddress, ask("o:" + owner, new Count(maxFailures, lockoutMillis, add)))
        .map(all -> Math.max(all.<Long>resultAt(0), all.<Long>resultAt(1)));
  }

  /** Clears the account's count after a successful login. */
  public Future<Void> succeeded(String owner) {
    if (owner == null) {
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(
            failures.removeAsync("o:" + owner), vertx.getOrCreateContext())
        .mapEmpty();
  }

  private Future<Long> ask(String key, Count count) {
    return Future.fromCompletionStage(failures.submitToKey(key, count), vertx.getOrCreateContext());
  }

  /** The atomic step: read (and with {@code add}, count a failure); answers the time blocked. */
  static final class Count implements EntryProcessor<String, String, Long> {
    @Serial private static final long serialVersionUID = 1L;

    private final int max;
    private final long lockoutMillis;
    private final boolean add;

    Count(int max, long lockoutMillis, boolean add) {
      this.max = max;
      this.lockoutMillis = lockoutMillis;
      this.add = add;
    }

    @Override
    public Long process(Map.Entry<String, String> entry) {
      long now = System.currentTimeMillis();
      long count = 0;
      long until = 0;
      if (entry.getValue() != null) {
        List<String> parts = List.of(entry.getValue().split(":"));
        count = Long.parseLong(parts.get(0));
        until = Long.parseLong(parts.get(1));
        if (until <= now) {
          count = 0;
          until = 0;
        }
      }
      if (add) {
        count++;
        until = count >= max ? now + lockoutMillis : until == 0 ? now + lockoutMillis : until;
        ((ExtendedMapEntry<String, String>) entry)
            .setValue(count + ":" + until, until - now, TimeUnit.MILLISECONDS);
      }
      return count >= max ? Math.max(1, until - now) : 0L;
    }

    @Override
    public EntryProcessor<String, String, Long> getBackupProcessor() {
      return add ? this : null;
    }
  }
}
