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
 * <p>Services reach it through {@code ServiceContext#owners()}.
 */
public final class PasswordCheck {

  private static final Logger log = LoggerFactory.getLogger(PasswordCheck.class);

  private final Vertx vertx;
  private final String device;
  private final Accounts accounts;
  private final Passwords passwords;
  private final LoginLimiter limiter;

  public PasswordCheck(
      Vertx vertx, String device, Accounts accounts, Passwords passwords, LoginLimiter limiter) {
    this.vertx = vertx;
    this.device = device;
    this.accounts = accounts;
    this.passwords = passwords;
    this.limiter = limiter;
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
                log.info(
                    "{}: refused {} login for {} from {} unchecked: locked out for {} ms",
                    device,
                    protocol,
                    describe(owner),
                    address,
                    blocked);
                return Future.succeededFuture(new Verdict(Outcome.LOCKED_OUT, null, blocked));
              }
              return (owner == null
                      ? Future.<JsonObject>succeededFuture(null)
                      : accounts.owner(owner))
                  .compose(
                      account ->
                          passwords
                              .verify(password, account == null ? null : account.getString("hash"))
                              .compose(
                                  ok ->
                                      ok
                                          ? accepted(owner, account)
                                          : refused(protocol, address, owner)));
            });
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
