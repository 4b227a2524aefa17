package dev.kith.mesh.trust;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Join tokens: {@code kith1.<claims>.<signature>}, base64url, signed by the mesh CA's key.
 *
 * <p>The claims say which mesh ({@code mesh}, {@code id}), which CA the new device must find at the
 * other end ({@code ca}, its SHA-256 fingerprint: the enrolling device checks the answer against
 * it, so nobody in between can hand it another CA), where to enroll ({@code url}), the invitation's
 * id ({@code n}), when it expires ({@code exp}, epoch seconds), and where the mesh's devices that
 * were alive then listen ({@code peers}: device name to cluster {@code HOST:PORT}, so the new
 * device needs no {@code --join}). Only the CA's device can check the signature and spend the
 * token, and it spends each id once: it records spent ids in {@code HOME/trust/invites-spent.json}
 * before it answers.
 */
public final class Invites {

  public static final String PREFIX = "kith1.";

  private Invites() {}

  /** The most peers a token names. */
  public static final int MAX_PEERS = 8;

  /** A new token, signed with the CA key of {@code trust}. */
  public static String create(MeshTrust trust, String enrollUrl, long ttlSeconds) {
    return create(trust, enrollUrl, ttlSeconds, new JsonObject());
  }

  /**
   * A new token, signed with the CA key of {@code trust}, naming {@code peers} (device name to
   * cluster {@code HOST:PORT}, at most {@link #MAX_PEERS}): where the new device joins the mesh.
   */
  public static String create(
      MeshTrust trust, String enrollUrl, long ttlSeconds, JsonObject peers) {
    JsonObject named = new JsonObject();
    peers.fieldNames().stream()
        .limit(MAX_PEERS)
        .forEach(name -> named.put(name, String.valueOf(peers.getValue(name))));
    JsonObject claims =
        new JsonObject()
            .put("mesh", trust.meshName())
            .put("id", trust.meshId())
            .put("ca", trust.caFingerprint())
            .put("url", enrollUrl)
            .put("n", HexFormat.of().formatHex(MeshTrust.randomBytes(16)))
            .put("exp", System.currentTimeMillis() / 1000 + ttlSeconds)
            .put("peers", named);
    String body = b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    return PREFIX + body + "." + b64(trust.signWithCa(body.getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * The claims of a token, unchecked: what an enrolling device needs to find the mesh. The CA's
   * device checks the signature ({@link #verify}).
   *
   * @throws IllegalArgumentException for text that is not a join token
   */
  public static JsonObject claims(String token) {
    if (token == null || !token.startsWith(PREFIX) || token.length() > 4096) {
      throw new IllegalArgumentException("not a join token");
    }
    String[] parts = token.substring(PREFIX.length()).split("\\.", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException("not a join token");
    }
    try {
      JsonObject claims =
          new JsonObject(
              new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
      for (String key : new String[] {"mesh", "id", "ca", "url", "n"}) {
        if (!(claims.getValue(key) instanceof String)) {
          throw new IllegalArgumentException("not a join token");
        }
      }
      if (!(claims.getValue("exp") instanceof Number)
          || (claims.containsKey("peers") && !(claims.getValue("peers") instanceof JsonObject))) {
        throw new IllegalArgumentException("not a join token");
      }
      return claims;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a join token");
    }
  }

  /**
   * Checks a token's signature against the CA and its expiry.
   *
   * @throws IllegalArgumentException saying why the token is refused (safe to show)
   */
  public static JsonObject verify(MeshTrust trust, String token) {
    JsonObject claims = claims(token);
    String[] parts = token.substring(PREFIX.length()).split("\\.", -1);
    byte[] signature;
    try {
      signature = Base64.getUrlDecoder().decode(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the join token is not signed by this mesh");
    }
    if (!Signatures.verify(
        trust.ca().getPublicKey(), parts[0].getBytes(StandardCharsets.US_ASCII), signature)) {
      throw new IllegalArgumentException("the join token is not signed by this mesh");
    }
    if (claims.getLong("exp") < System.currentTimeMillis() / 1000) {
      throw new IllegalArgumentException("the join token has expired; ask for a new one");
    }
    return claims;
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
