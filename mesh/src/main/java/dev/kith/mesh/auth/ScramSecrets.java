package dev.kith.mesh.auth;

import dev.kith.mesh.spi.Owners;
import dev.kith.mesh.spi.SaslPrep;
import dev.kith.mesh.trust.MeshTrust;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The SCRAM secrets of a password (RFC 5802 §3), kept in the account next to its Argon2id hash so
 * that the XMPP server can offer SCRAM-SHA-1 and SCRAM-SHA-256 without ever seeing the password:
 *
 * <pre>
 * SaltedPassword = PBKDF2-HMAC-H(SASLprep(password), salt, iterations)
 * StoredKey      = H(HMAC(SaltedPassword, "Client Key"))
 * ServerKey      = HMAC(SaltedPassword, "Server Key")
 * </pre>
 *
 * <p>In the account: {@code "scram": {"SHA-1": {"salt", "iterations", "storedKey", "serverKey"},
 * "SHA-256": {...}}}, the bytes in base64. Each password gets a new random 16-byte salt per hash.
 * The secrets are as good as a password hash against a stolen copy of the accounts (they cost a
 * guesser 4096 PBKDF2 rounds a guess, far less than Argon2id), and a stolen StoredKey and ServerKey
 * let one impersonate the server, not the owner.
 */
public final class ScramSecrets {

  /**
   * PBKDF2 rounds: RFC 7677's minimum, and what clients expect to be asked for. Made on a worker,
   * like the Argon2id hash ({@link Passwords#credentials}), since the two hashes take a few
   * milliseconds of CPU.
   */
  public static final int ITERATIONS = 4096;

  static final int SALT_BYTES = 16;

  /** The field of the account that holds them. */
  public static final String FIELD = "scram";

  private static final Map<String, String> HMACS =
      Map.of("SHA-1", "HmacSHA1", "SHA-256", "HmacSHA256");

  private ScramSecrets() {}

  /** New secrets for every hash of {@link Owners#SCRAM_HASHES}, each with a new salt. */
  public static JsonObject deriveNow(String password) {
    JsonObject all = new JsonObject();
    for (String hash : Owners.SCRAM_HASHES) {
      all.put(hash, toJson(derive(hash, password, MeshTrust.randomBytes(SALT_BYTES), ITERATIONS)));
    }
    return all;
  }

  /** The secrets of {@code password} for {@code hash} with this salt and iteration count. */
  public static Owners.Scram derive(String hash, String password, byte[] salt, int iterations) {
    byte[] salted =
        saltedPassword(
            hash, SaslPrep.prepare(password).getBytes(StandardCharsets.UTF_8), salt, iterations);
    byte[] clientKey = hmac(hash, salted, "Client Key".getBytes(StandardCharsets.UTF_8));
    byte[] serverKey = hmac(hash, salted, "Server Key".getBytes(StandardCharsets.UTF_8));
    return new Owners.Scram(salt, iterations, digest(hash, clientKey), serverKey);
  }

  /** Whether {@code account} has secrets for every hash. */
  static boolean present(JsonObject account) {
    return Owners.SCRAM_HASHES.stream().allMatch(hash -> read(account, hash) != null);
  }

  /**
   * The account's secrets for {@code hash}; {@code null} when it has none (or they are damaged).
   */
  static Owners.Scram read(JsonObject account, String hash) {
    JsonObject all = account == null ? null : account.getJsonObject(FIELD);
    JsonObject one = all == null ? null : all.getJsonObject(hash);
    if (one == null) {
      return null;
    }
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      int size = digestSize(hash);
      byte[] storedKey = b64.decode(one.getString("storedKey"));
      byte[] serverKey = b64.decode(one.getString("serverKey"));
      int iterations = one.getInteger("iterations");
      if (storedKey.length != size || serverKey.length != size || iterations < 1) {
        return null;
      }
      return new Owners.Scram(b64.decode(one.getString("salt")), iterations, storedKey, serverKey);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Stand-in secrets for {@code owner}, from the mesh's decoy key: the salt is an HMAC of the name,
   * so it is the same wherever and whenever it is asked for, and the keys are HMACs no client can
   * know, so no proof matches.
   */
  static Owners.Scram decoy(byte[] key, String owner, String hash) {
    byte[] name = (hash + "\0" + owner).getBytes(StandardCharsets.UTF_8);
    byte[] salt = Arrays.copyOf(hmac("SHA-256", key, name), SALT_BYTES);
    byte[] storedKey = digest(hash, hmac("SHA-256", key, concat("stored\0", name)));
    byte[] serverKey = hmac(hash, key, concat("server\0", name));
    return new Owners.Scram(salt, ITERATIONS, storedKey, serverKey);
  }

  static JsonObject toJson(Owners.Scram s) {
    Base64.Encoder b64 = Base64.getEncoder();
    return new JsonObject()
        .put("salt", b64.encodeToString(s.salt()))
        .put("iterations", s.iterations())
        .put("storedKey", b64.encodeToString(s.storedKey()))
        .put("serverKey", b64.encodeToString(s.serverKey()));
  }

  /** RFC 5802's Hi(): PBKDF2 with HMAC-H, giving one block (the hash's length). */
  private static byte[] saltedPassword(String hash, byte[] password, byte[] salt, int iterations) {
    try {
      Mac mac = mac(hash, password);
      mac.update(salt);
      byte[] u = mac.doFinal(ByteBuffer.allocate(4).putInt(1).array());
      byte[] result = u.clone();
      for (int i = 1; i < iterations; i++) {
        u = mac.doFinal(u);
        for (int j = 0; j < result.length; j++) {
          result[j] ^= u[j];
        }
      }
      return result;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] hmac(String hash, byte[] key, byte[] data) {
    try {
      return mac(hash, key).doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] digest(String hash, byte[] data) {
    try {
      return MessageDigest.getInstance(hash).digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int digestSize(String hash) {
    return "SHA-1".equals(hash) ? 20 : 32;
  }

  private static Mac mac(String hash, byte[] key) throws GeneralSecurityException {
    String algorithm = HMACS.get(hash);
    if (algorithm == null) {
      throw new IllegalArgumentException("no SCRAM hash " + hash + "; there are " + HMACS.keySet());
    }
    Mac mac = Mac.getInstance(algorithm);
    // HMAC pads its key with zero bytes, so an empty key (a password that SASLprep maps to
    // nothing) is the one zero byte that SecretKeySpec, which refuses empty keys, takes.
    mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, algorithm));
    return mac;
  }

  private static byte[] concat(String prefix, byte[] name) {
    byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(p, p.length + name.length);
    System.arraycopy(name, 0, out, p.length, name.length);
    return out;
  }
}
