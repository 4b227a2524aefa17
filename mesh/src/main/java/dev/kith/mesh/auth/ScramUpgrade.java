package dev.kith.mesh.auth;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds SCRAM secrets ({@link ScramSecrets}) to an account whose password was set before Kith kept
 * them, at the one moment the password is known: right after it was accepted by {@link
 * PasswordCheck}, over any protocol. The login does not wait for it.
 *
 * <p>Failure model. The write is a compare-and-set on the account ({@link Accounts#updateOwner}):
 * it applies only while the account still has the very Argon2id hash the password was checked
 * against and still has no secrets, so a password changed meanwhile on any device is not
 * overwritten with the old one's secrets, and two logins at once add them once. The other writers
 * of an account (password changes, new owners) write it plainly; the compare-and-set reads a
 * majority of the accounts' replicas, so it sees every such write acknowledged before it began (a
 * write quorum is a majority by default). What remains is a password change racing it from another
 * device whose clock is behind: a plain write that reaches the replicas between the two phases of
 * the compare-and-set, with an older version than its ballot, would lose to it. That takes the
 * owner's first login since this upgrade and a password change in the same few milliseconds. A
 * failed upgrade is logged and tried again at the next login.
 */
final class ScramUpgrade {

  private static final Logger log = LoggerFactory.getLogger(ScramUpgrade.class);

  private final String device;
  private final Accounts accounts;
  private final Passwords passwords;

  /** The account is gone, has another password, or has its secrets already: leave it. */
  private static final class AccountChanged extends RuntimeException {
    AccountChanged() {
      super("the account changed", null, false, false);
    }
  }

  ScramUpgrade(String device, Accounts accounts, Passwords passwords) {
    this.device = device;
    this.accounts = accounts;
    this.passwords = passwords;
  }

  /** Whether {@code account} lacks secrets, so that {@link #add} has work to do. */
  static boolean needed(JsonObject account) {
    return account != null && account.getString("hash") != null && !ScramSecrets.present(account);
  }

  /**
   * Adds the secrets of {@code password}, just accepted for {@code account}, if the account still
   * has its hash and no secrets. Answers whether it wrote them; never fails.
   */
  Future<Boolean> add(String owner, JsonObject account, String password) {
    String checkedHash = account.getString("hash");
    return passwords
        .scramSecrets(password)
        .compose(
            secrets ->
                accounts.updateOwner(
                    owner,
                    current -> {
                      if (current == null
                          || !checkedHash.equals(current.getString("hash"))
                          || ScramSecrets.present(current)) {
                        throw new AccountChanged();
                      }
                      return current.put(ScramSecrets.FIELD, secrets);
                    }))
        .map(
            written -> {
              log.info(
                  "{}: added the SCRAM secrets of {}'s password to the account", device, owner);
              return true;
            })
        .recover(
            e -> {
              if (e instanceof AccountChanged) {
                log.debug(
                    "{}: {}'s account changed; its SCRAM secrets were not added", device, owner);
              } else {
                log.warn(
                    "{}: could not add the SCRAM secrets of {}'s password (tried again at the next"
                        + " login): {}",
                    device,
                    owner,
                    e.toString());
              }
              return Future.succeededFuture(false);
            });
  }
}
