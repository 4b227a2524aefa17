package dev.kith.mesh.auth;

import dev.kith.mesh.spi.Owners;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A SCRAM client's arithmetic (RFC 5802 §3), written apart from {@link ScramSecrets} and on the
 * JDK's own PBKDF2, so that tests check the stored secrets against an independent computation.
 * Passwords here are ASCII, which SASLprep leaves as they are.
 */
final class ScramClient {

  private ScramClient() {}

  /** ClientProof = ClientKey XOR HMAC(H(ClientKey), AuthMessage). */
  static byte[] proof(String hash, String password, byte[] salt, int iterations, String authMessage)
      throws Exception {
    byte[] clientKey = hmac(hash, saltedPassword(hash, password, salt, iterations), "Client Key");
    byte[] signature = hmac(hash, MessageDigest.getInstance(hash).digest(clientKey), authMessage);
    byte[] proof = clientKey.clone();
    for (int i = 0; i < proof.length; i++) {
      proof[i] ^= signature[i];
    }
    return proof;
  }

  /** ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage). */
  static byte[] serverSignature(
      String hash, String password, byte[] salt, int iterations, String authMessage)
      throws Exception {
    byte[] serverKey = hmac(hash, saltedPassword(hash, password, salt, iterations), "Server Key");
    return hmac(hash, serverKey, authMessage);
  }

  /** What a SCRAM server does with the secrets: H(ClientProof XOR ClientSignature) == StoredKey. */
  static boolean verifies(String hash, Owners.Scram secrets, byte[] proof, String authMessage)
      throws Exception {
    byte[] clientKey = hmac(hash, secrets.storedKey(), authMessage);
    for (int i = 0; i < clientKey.length; i++) {
      clientKey[i] ^= proof[i];
    }
    return MessageDigest.isEqual(
        MessageDigest.getInstance(hash).digest(clientKey), secrets.storedKey());
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] saltedPassword(String hash, String password, byte[] salt, int iterations)
      throws Exception {
    String algorithm = "PBKDF2WithHmac" + hash.replace("-", "");
    int bits = MessageDigest.getInstance(hash).getDigestLength() * 8;
    return SecretKeyFactory.getInstance(algorithm)
        .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, bits))
        .getEncoded();
  }

  private static byte[] hmac(String hash, byte[] key, String data) throws Exception {
    String algorithm = "Hmac" + hash.replace("-", "");
    Mac mac = Mac.getInstance(algorithm);
    mac.init(new SecretKeySpec(key, algorithm));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }
}
