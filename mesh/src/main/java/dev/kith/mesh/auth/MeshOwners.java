package dev.kith.mesh.auth;

import dev.kith.mesh.spi.Owners;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's owners as services see them ({@link Owners}): the accounts in the accounts vault, and
 * the device's {@link PasswordCheck} with its mesh-wide lockout. Whether an owner exists is cached
 * for a minute (five seconds for one that does not), so that a burst of mail to one address reads
 * the account once.
 *
 * <p>Each device also keeps the names of the owners it last knew of (read at start and every {@link
 * #NAMES_READ_MILLIS}, and kept current by a watch on the accounts), so that a device cut off from
 * every copy of the accounts, on the small side of a partition or away from home, still takes mail
 * for the mesh's owners: {@link #exists} answers from those names when the accounts cannot be read.
 * An owner it never knew of still gets a temporary failure.
 *
 * <p>SCRAM: the secrets are read from the account ({@link ScramSecrets}); a name without any gets
 * stand-in secrets derived from one random key that the mesh keeps in the accounts ({@link
 * Accounts#scramDecoyKey}), read once per device, so that every device answers a name the same.
 */
public final class MeshOwners implements Owners {

  private static final Logger log = LoggerFactory.getLogger(MeshOwners.class);

  private static final long KNOWN_OWNER_MILLIS = 60_000;
  private static final long UNKNOWN_OWNER_MILLIS = 5_000;

  /** How often the owners' names are read again; a read that failed is retried sooner. */
  static final long NAMES_READ_MILLIS = 5 * 60_000;

  private static final long NAMES_RETRY_MILLIS = 5_000;

  private final Accounts accounts;
  private final PasswordCheck check;
  private final Map<String, long[]> known = new ConcurrentHashMap<>();
  private final Set<String> lastKnownNames = ConcurrentHashMap.newKeySet();
  private Vertx vertx;
  private String device;
  private volatile boolean stopped;
  private long timer = -1;
  private Vault.Watch watch;

  /** The mesh's key for SCRAM stand-in secrets, once read ({@link Accounts#scramDecoyKey}). */
  private volatile byte[] decoyKey;

  public MeshOwners(Accounts accounts, PasswordCheck check) {
    this.accounts = accounts;
    this.check = check;
  }

  /** Starts keeping the owners' names on this device (see the class comment). */
  public void start(Vertx vertx, String device) {
    this.vertx = vertx;
    this.device = device;
    accounts
        .watchOwners(
            r -> {
              String owner = r.key().substring(Accounts.OWNERS_PREFIX.length());
              known.remove(owner);
              if (r.deleted()) {
                lastKnownNames.remove(owner);
              } else {
                lastKnownNames.add(owner);
              }
            })
        .onSuccess(w -> watch = w)
        .onFailure(e -> log.warn("{} cannot watch the owners: {}", device, e.toString()));
    readNames();
  }

  /** Stops the reads and the watch. */
  public void stop() {
    stopped = true;
    if (vertx != null && timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (watch != null) {
      watch.close();
    }
  }

  private void readNames() {
    if (stopped) {
      return;
    }
    names()
        .onComplete(
            r -> {
              if (r.failed()) {
                log.debug("{} could not read the owners' names: {}", device, r.cause().toString());
              }
              if (!stopped) {
                timer =
                    vertx.setTimer(
                        r.succeeded() ? NAMES_READ_MILLIS : NAMES_RETRY_MILLIS, t -> readNames());
              }
            });
  }

  @Override
  public Future<Login> checkPassword(
      String protocol, String address, String owner, String password) {
    return check
        .check(protocol, address, owner, password)
        .map(verdict -> login(verdict, verdict.accepted() ? verdict.account() : null, owner));
  }

  @Override
  public Future<Long> lockedOutFor(String address, String owner) {
    return check.blockedFor(address, owner);
  }

  @Override
  public Future<Scram> scram(String owner, String hash) {
    if (!SCRAM_HASHES.contains(hash)) {
      return noSuchHash(hash);
    }
    if (owner == null || !Accounts.OWNER.matcher(owner).matches()) {
      return Future.succeededFuture(null);
    }
    return accounts
        .owner(owner)
        .map(
            account -> {
              Scram secrets = ScramSecrets.read(account, hash);
              if (account != null && secrets == null) {
                log.info(
                    "{}: {} has no SCRAM secrets yet, so SCRAM fails for them until their next"
                        + " password login (web, SMTP, IMAP or XMPP PLAIN) adds them",
                    device,
                    owner);
              }
              return secrets;
            });
  }

  @Override
  public Future<Scram> scramDecoy(String owner, String hash) {
    if (!SCRAM_HASHES.contains(hash)) {
      return noSuchHash(hash);
    }
    byte[] key = decoyKey;
    Future<byte[]> known =
        key != null
            ? Future.succeededFuture(key)
            : accounts.scramDecoyKey().onSuccess(k -> decoyKey = k);
    return known.map(k -> ScramSecrets.decoy(k, owner == null ? "" : owner, hash));
  }

  @Override
  public Future<Login> scramResult(
      String protocol, String address, String owner, boolean proofValid) {
    return check
        .proofChecked(protocol, address, owner, proofValid)
        .map(verdict -> login(verdict, null, owner));
  }

  private static Login login(PasswordCheck.Verdict verdict, JsonObject account, String owner) {
    return new Login(
        switch (verdict.outcome()) {
          case ACCEPTED -> Outcome.ACCEPTED;
          case REFUSED -> Outcome.REFUSED;
          case LOCKED_OUT -> Outcome.LOCKED_OUT;
        },
        !verdict.accepted() ? null : account == null ? owner : account.getString("owner", owner),
        verdict.retryAfterMillis());
  }

  private static <T> Future<T> noSuchHash(String hash) {
    return Future.failedFuture(
        new IllegalArgumentException("no SCRAM hash " + hash + "; there are " + SCRAM_HASHES));
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
              if (exists) {
                lastKnownNames.add(owner);
              } else {
                lastKnownNames.remove(owner);
              }
              return exists;
            })
        .recover(
            e -> {
              if (lastKnownNames.contains(owner)) {
                log.debug(
                    "{} cannot read the accounts ({}); {} is an owner it knew of",
                    device,
                    e.toString(),
                    owner);
                return Future.succeededFuture(true);
              }
              return Future.failedFuture(e);
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
              lastKnownNames.retainAll(names);
              lastKnownNames.addAll(names);
              return Set.copyOf(names);
            });
  }
}
