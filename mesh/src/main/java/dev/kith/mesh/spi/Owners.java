package dev.kith.mesh.spi;

import io.vertx.core.Future;
import java.util.Arrays;
import java.util.Set;

/**
 * The mesh's owners as services see them: who has an account, and the one password check that every
 * protocol taking a password shares (HTTP login, SMTP AUTH, IMAP, XMPP). Each check counts failures
 * per account and per caller address, mesh-wide, whichever protocol and device they come over, so a
 * client that reconnects cannot guess without limit; a locked-out caller is refused before any
 * password is hashed. A protocol only turns the {@link Login} into its own reply.
 *
 * <p>SASL SCRAM (RFC 5802, RFC 7677) proves the password without sending it, so the mesh cannot
 * check it for the protocol: the protocol asks {@link #lockedOutFor} before it starts, takes the
 * owner's secrets from {@link #scramOrDecoy}, checks the proof itself, and reports the outcome to
 * {@link #scramResult}, which counts it under the same lockout as a password.
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

  /** The SCRAM hash functions every account has secrets for, by their SCRAM names. */
  Set<String> SCRAM_HASHES = Set.of("SHA-1", "SHA-256");

  /**
   * An owner's SCRAM secrets for one hash function (RFC 5802 §3): StoredKey and ServerKey, made
   * from the {@link SaslPrep}ared password with PBKDF2 over {@code salt} and {@code iterations}.
   * They let a server check a client's proof and prove itself, but not log in as the owner. The
   * arrays are copied in and out.
   */
  record Scram(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {

    public Scram {
      salt = salt.clone();
      storedKey = storedKey.clone();
      serverKey = serverKey.clone();
    }

    @Override
    public byte[] salt() {
      return salt.clone();
    }

    @Override
    public byte[] storedKey() {
      return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
      return serverKey.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Scram s
          && iterations == s.iterations
          && Arrays.equals(salt, s.salt)
          && Arrays.equals(storedKey, s.storedKey)
          && Arrays.equals(serverKey, s.serverKey);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(salt) + iterations;
    }

    @Override
    public String toString() {
      return "Scram[" + salt.length + "-byte salt, " + iterations + " iterations]";
    }
  }

  /**
   * How many milliseconds {@code address} and {@code owner} are still locked out of logging in, 0
   * if they are not. A {@code null} owner (a name that cannot be an owner) asks about the address
   * only. A SCRAM exchange asks before it sends its first challenge, and refuses a locked-out
   * caller at once, as a password check would.
   */
  Future<Long> lockedOutFor(String address, String owner);

  /**
   * The owner's SCRAM secrets for {@code hash} (one of {@link #SCRAM_HASHES}), or {@code null} when
   * {@code owner} has no account, or has no secrets yet (its password was set before Kith kept
   * them; they are added at its next password login by any protocol). Fails with {@link
   * IllegalArgumentException} for another hash, and as the accounts fail when they cannot be read.
   */
  Future<Scram> scram(String owner, String hash);

  /**
   * Stand-in secrets for a name with no secrets, so that a SCRAM exchange for it looks like one for
   * an owner and tells no one who exists: the same salt and iterations for the same name on every
   * device of the mesh and across restarts (derived from a random key the mesh keeps), and keys no
   * proof can match.
   */
  Future<Scram> scramDecoy(String owner, String hash);

  /** {@link #scram}, or {@link #scramDecoy} when it is {@code null}: what a SCRAM server uses. */
  default Future<Scram> scramOrDecoy(String owner, String hash) {
    return scram(owner, hash)
        .compose(s -> s != null ? Future.succeededFuture(s) : scramDecoy(owner, hash));
  }

  /**
   * Counts the outcome of a SCRAM exchange for {@code owner}, as sent over {@code protocol} from
   * {@code address}, exactly as {@link #checkPassword} counts a password: a valid proof is {@link
   * Outcome#ACCEPTED} and clears the account's failures; an invalid one (or any exchange that ended
   * without a valid proof once the first challenge was sent) counts a failure for the address and
   * the account and is {@link Outcome#REFUSED}, with the lockout if it is now locked. While the
   * address or account is locked out, the answer is {@link Outcome#LOCKED_OUT} and nothing is
   * counted, even for a valid proof (one that guesses raced in parallel connections). A {@code
   * null} owner counts against the address only.
   */
  Future<Login> scramResult(String protocol, String address, String owner, boolean proofValid);

  /** Whether {@code owner} has an account; answers may be cached for a minute. */
  Future<Boolean> exists(String owner);

  /** Every owner with an account. */
  Future<Set<String>> names();
}
