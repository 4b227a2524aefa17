package dev.kith.mesh.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one check of an owner's password, for every protocol that takes one: HTTP login, SMTP AUTH,
 * and the IMAP and XMPP servers to come. Each attempt goes through the mesh-wide {@link
 * LoginLimiter} first, so failures count per account and per caller address whichever protocol and
 * device they arrive on, and a locked-out caller is refused before any password is hashed. A
 * protocol only turns the {@link Verdict} into its own reply (HTTP 401 or 429, SMTP 535 or 454).
 *
 * <p>An accepted password whose account has no SCRAM secrets yet (set before Kith kept them) gets
 * them now ({@link ScramUpgrade}), so its owner can use SCRAM from then on. A SCRAM exchange, which
 * the protocol checks itself, is counted by {@link #proofChecked} under the same lockout.
 *
 * <p>Services reach it through {@code ServiceContext#owners()}.
 */
public final class PasswordCheck {

  private static final Logger log = LoggerFactory.getLogger(PasswordCheck.class);

  private final Vertx vertx;
  private final String device;
  private final Accounts accounts;
  private final Passwords passwords;
  private final LoginLimiter limiter;
  private final ScramUpgrade scramUpgrade;

  public PasswordCheck(
      Vertx vertx, String device, Accounts accounts, Passwords passwords, LoginLimiter limiter) {
    this.vertx = vertx;
    this.device = device;
    this.accounts = accounts;
    this.passwords = passwords;
    this.limiter = limiter;
    this.scramUpgrade = new ScramUpgrade(device, accounts, passwords);
  }

  /** What became of one attempt. */
  public enum Outcome {
    /** The password is right; the account is in {@link Verdict#account()}. */
    ACCEPTED,
    /** Wrong owner or password; {@link Verdict#retryAfterMillis()} is above 0 if now locked. */
    REFUSED,
    /** Too many failures for the account or the address: not checked at all. */
    LOCKED_OUT
  }

  /**
   * The answer to one attempt.
   *
   * @param account the owner's account when accepted, else {@code null}
   * @param retryAfterMillis how long the account or address is locked out, 0 if it is not
   */
  public record Verdict(Outcome outcome, JsonObject account, long retryAfterMillis) {

    public boolean accepted() {
      return outcome == Outcome.ACCEPTED;
    }

    /** The lockout left, in whole seconds (at least 1), for {@code Retry-After} and replies. */
    public long retryAfterSeconds() {
      return Math.max(1, (retryAfterMillis + 999) / 1000);
    }
  }

  /**
   * Checks {@code password} for {@code owner}, as sent over {@code protocol} (for the log) from
   * {@code address}. A {@code null} owner (a name that cannot be an owner) is a failure that counts
   * against the address only.
   */
  public Future<Verdict> check(String protocol, String address, String owner, String password) {
    return limiter
        .blockedFor(address, owner)
        .compose(
            blocked -> {
              if (blocked > 0) {
                return lockedOut(protocol, address, owner, blocked);
              }
              return (owner == null
                      ? Future.<JsonObject>succeededFuture(null)
                      : accounts.owner(owner))
                  .compose(
                      account ->
                          passwords
                              .verify(password, account == null ? null : account.getString("hash"))
                              .compose(
                                  ok -> {
                                    if (!ok) {
                                      return refused(protocol, address, owner);
                                    }
                                    if (ScramUpgrade.needed(account)) {
                                      // Not waited for: it never fails, and logs what it did.
                                      scramUpgrade.add(owner, account, password);
                                    }
                                    return accepted(owner, account);
                                  }));
            });
  }

  /**
   * Counts a proof of {@code owner}'s password that the protocol checked itself (a SCRAM exchange,
   * which never sends the password), exactly as {@link #check} counts a password: refused unchecked
   * while the address or account is locked out, then accepted (clearing the account's failures)
   * when {@code valid}, else counted as a failure. The accepted verdict carries no account.
   */
  public Future<Verdict> proofChecked(
      String protocol, String address, String owner, boolean valid) {
    return limiter
        .blockedFor(address, owner)
        .compose(
            blocked -> {
              if (blocked > 0) {
                return lockedOut(protocol, address, owner, blocked);
              }
              return valid && owner != null
                  ? accepted(owner, null)
                  : refused(protocol, address, owner);
            });
  }

  /** How long {@code address} and {@code owner} are locked out, 0 if they are not. */
  public Future<Long> blockedFor(String address, String owner) {
    return limiter.blockedFor(address, owner);
  }

  private Future<Verdict> lockedOut(String protocol, String address, String owner, long blocked) {
    log.info(
        "{}: refused {} login for {} from {} unchecked: locked out for {} ms",
        device,
        protocol,
        describe(owner),
        address,
        blocked);
    return Future.succeededFuture(new Verdict(Outcome.LOCKED_OUT, null, blocked));
  }

  private Future<Verdict> accepted(String owner, JsonObject account) {
    return limiter.succeeded(owner).map(cleared -> new Verdict(Outcome.ACCEPTED, account, 0));
  }

  private Future<Verdict> refused(String protocol, String address, String owner) {
    return limiter
        .failed(address, owner)
        .map(
            blocked -> {
              log.info(
                  "{}: failed {} login for {} from {}{}",
                  device,
                  protocol,
                  describe(owner),
                  address,
                  blocked > 0 ? " (now locked out)" : "");
              return new Verdict(Outcome.REFUSED, null, blocked);
            });
  }

  private static String describe(String owner) {
    return owner == null ? "a name that is no owner" : owner;
  }
}
