package dev.kith.mesh.auth;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;

/**
 * Argon2id password hashes (password4j), stored as PHC strings ({@code $argon2id$v=19$m=...}). The
 * parameters are OWASP's minimum for Argon2id: 19 MiB of memory, 2 passes, 1 lane. Hashing runs on
 * a worker pool of two threads, so logins never block an event loop and a burst of them cannot take
 * more than 2 x 19 MiB of heap.
 */
public final class Passwords {

  /** The shortest password accepted. */
  public static final int MIN_CHARS = 8;

  /** The longest password accepted. */
  public static final int MAX_CHARS = 1024;

  static final int MEMORY_KIB = 19 * 1024;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;
  private static final Argon2Function ARGON2 =
      Argon2Function.getInstance(
          MEMORY_KIB, ITERATIONS, PARALLELISM, 32, Argon2.ID, Argon2Function.ARGON2_VERSION_13);

  /**
   * Compared against when an owner does not exist, so an unknown owner takes as long. Made on first
   * use, on a worker: an Argon2id hash takes a while on a cold JVM, and a device's start-up should
   * not wait for it.
   */
  private static volatile String dummyHash;

  private final WorkerExecutor workers;

  public Passwords(Vertx vertx) {
    this.workers = vertx.createSharedWorkerExecutor("kith-passwords", 2);
  }

  /** Checks a new password's length; the message is safe to show. */
  public static void requireAcceptable(String password) {
    if (password == null || password.length() < MIN_CHARS || password.length() > MAX_CHARS) {
      throw new IllegalArgumentException(
          "a password must be " + MIN_CHARS + " to " + MAX_CHARS + " characters long");
    }
  }

  /** Hashes on a worker. */
  public Future<String> hash(String password) {
    return workers.executeBlocking(() -> hashNow(password), false);
  }

  /**
   * Everything an account keeps of a new password, made on a worker: {@code hash} (Argon2id) and
   * {@code scram} ({@link ScramSecrets}). Every place that sets a password merges this into the
   * account, so that every protocol, SCRAM included, can check the new password at once.
   */
  public Future<JsonObject> credentials(String password) {
    return workers.executeBlocking(() -> credentialsNow(password), false);
  }

  /** {@link #credentials} on the calling thread (for the {@code kith} command). */
  public static JsonObject credentialsNow(String password) {
    return new JsonObject()
        .put("hash", hashNow(password))
        .put(ScramSecrets.FIELD, ScramSecrets.deriveNow(password));
  }

  /** The SCRAM secrets of a password, made on a worker: {@link ScramSecrets#deriveNow}. */
  public Future<JsonObject> scramSecrets(String password) {
    return workers.executeBlocking(() -> ScramSecrets.deriveNow(password), false);
  }

  /** Whether {@code password} matches {@code hash}; a {@code null} hash never matches. */
  public Future<Boolean> verify(String password, String hash) {
    return workers.executeBlocking(() -> verifyNow(password, hash), false);
  }

  /** Hashes on the calling thread (for the {@code kith} command, never on an event loop). */
  public static String hashNow(String password) {
    return Password.hash(password).addRandomSalt(16).with(ARGON2).getResult();
  }

  static boolean verifyNow(String password, String hash) {
    if (hash == null || !hash.startsWith("$argon2id$")) {
      String dummy = dummyHash;
      if (dummy == null) {
        dummy = hashNow("kith-no-such-owner-" + System.nanoTime());
        dummyHash = dummy;
      }
      Password.check(password, dummy).with(ARGON2);
      return false;
    }
    try {
      return Password.check(password, hash).with(Argon2Function.getInstanceFromHash(hash));
    } catch (RuntimeException e) {
      return false;
    }
  }
}
