package dev.kith.mesh.auth;

import dev.kith.mesh.spi.Owners;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mesh's owners as services see them ({@link Owners}): the accounts in the accounts vault, and
 * the device's {@link PasswordCheck} with its mesh-wide lockout. Whether an owner exists is cached
 * for a minute (five seconds for one that does not), so that a burst of mail to one address reads
 * the account once.
 */
public final class MeshOwners implements Owners {

  private static final long KNOWN_OWNER_MILLIS = 60_000;
  private static final long UNKNOWN_OWNER_MILLIS = 5_000;

  private final Accounts accounts;
  private final PasswordCheck check;
  private final Map<String, long[]> known = new ConcurrentHashMap<>();

  public MeshOwners(Accounts accounts, PasswordCheck check) {
    this.accounts = accounts;
    this.check = check;
  }

  @Override
  public Future<Login> checkPassword(
      String protocol, String address, String owner, String password) {
    return check
        .check(protocol, address, owner, password)
        .map(
            verdict ->
                new Login(
                    switch (verdict.outcome()) {
                      case ACCEPTED -> Outcome.ACCEPTED;
                      case REFUSED -> Outcome.REFUSED;
                      case LOCKED_OUT -> Outcome.LOCKED_OUT;
                    },
                    verdict.accepted() ? verdict.account().getString("owner", owner) : null,
                    verdict.retryAfterMillis()));
  }

  @Override
  public Future<Boolean> exists(String owner) {
    if (owner == null || !Accounts.OWNER.matcher(owner).matches()) {
      return Future.succeededFuture(false);
    }
    long now = System.currentTimeMillis();
    long[] cached = known.get(owner);
    if (cached != null && cached[1] > now) {
      return Future.succeededFuture(cached[0] == 1);
    }
    return accounts
        .owner(owner)
        .map(
            account -> {
              boolean exists = account != null;
              known.put(
                  owner,
                  new long[] {
                    exists ? 1 : 0, now + (exists ? KNOWN_OWNER_MILLIS : UNKNOWN_OWNER_MILLIS)
                  });
              return exists;
            });
  }

  @Override
  public Future<Set<String>> names() {
    return accounts
        .owners()
        .map(
            all -> {
              Set<String> names = new TreeSet<>();
              for (JsonObject account : all) {
                String owner = account.getString("owner");
                if (owner != null) {
                  names.add(owner);
                }
              }
              return Set.copyOf(names);
            });
  }
}
