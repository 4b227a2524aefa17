package dev.kith.mesh.spi;

import io.vertx.core.Future;
import java.util.Set;

/**
 * The mesh's owners as services see them: who has an account, and the one password check that every
 * protocol taking a password shares (HTTP login, SMTP AUTH, IMAP, XMPP). Each check counts failures
 * per account and per caller address, mesh-wide, whichever protocol and device they come over, so a
 * client that reconnects cannot guess without limit; a locked-out caller is refused before any
 * password is hashed. A protocol only turns the {@link Login} into its own reply.
 */
public interface Owners {

  /** What became of one password check. */
  enum Outcome {
    /** The password is right. */
    ACCEPTED,
    /** Wrong owner or password; {@link Login#retryAfterMillis()} is above 0 if now locked. */
    REFUSED,
    /** Too many failures for the account or the address: not checked at all. */
    LOCKED_OUT
  }

  /**
   * The answer to one check.
   *
   * @param owner the owner when accepted, else {@code null}
   * @param retryAfterMillis how long the account or address is locked out, 0 if it is not
   */
  record Login(Outcome outcome, String owner, long retryAfterMillis) {

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
  Future<Login> checkPassword(String protocol, String address, String owner, String password);

  /** Whether {@code owner} has an account; answers may be cached for a minute. */
  Future<Boolean> exists(String owner);

  /** Every owner with an account. */
  Future<Set<String>> names();
}
