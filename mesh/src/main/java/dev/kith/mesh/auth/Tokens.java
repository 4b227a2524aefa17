package dev.kith.mesh.auth;

import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.spi.web.Principal;
import dev.kith.mesh.trust.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Short-lived access tokens: JWTs signed with EdDSA (Ed25519) by the device that took the login.
 *
 * <p>Each device signs with its own key; the header's {@code kid} names it ({@code <device>.<8 hex
 * digits of the key's hash>}), and the public half is published in the accounts vault so every
 * device can check every token. A removed device's key is deleted there and refused at once by
 * every device that knows of the removal, so tokens it signed stop working. Claims: {@code sub}
 * (the owner), {@code adm} (admin), {@code sid} (the login session), {@code iss} ({@code kith:<mesh
 * id>}), {@code iat} and {@code exp}.
 */
public final class Tokens {

  /** Clock difference tolerated between devices when checking {@code exp} and {@code iat}. */
  static final int LEEWAY_SECONDS = 5;

  private static final int MAX_TOKEN_CHARS = 4096;

  /** How long a key the vault does not hold stays refused without asking the vault again. */
  static final long UNKNOWN_KEY_KEPT_MILLIS = 2000;

  private final Vertx vertx;
  private final String device;
  private final String issuer;
  private final long ttlSeconds;
  private final Accounts accounts;
  private final Predicate<String> deviceRemoved;
  private final String kid;
  private final String publicPem;
  private final JWTAuth signer;
  private final Map<String, Future<JWTAuth>> verifiers = new ConcurrentHashMap<>();

  /**
   * Tokens whose signature this device has checked, until they expire: checking an Ed25519
   * signature costs 0.6-2 ms of CPU, more than the rest of a typical API request, and a client
   * sends the same token with every request. A removed device and a forgotten key still refuse them
   * at once ({@link #forget}, {@link #forgetDevice}); a logged-out session is the caller's check.
   */
  private final Map<String, Checked> checked = new ConcurrentHashMap<>();

  /** Most tokens kept in {@link #checked}; past it, the expired ones go, or all of them. */
  private static final int MAX_CHECKED = 10_000;

  private record Checked(
      String keyId, String owner, boolean admin, String sessionId, long expiresAtMillis) {}

  public Tokens(
      Vertx vertx,
      String device,
      String meshId,
      KeyPair key,
      long ttlSeconds,
      Accounts accounts,
      Predicate<String> deviceRemoved) {
    this.vertx = vertx;
    this.device = device;
    this.issuer = "kith:" + meshId;
    this.ttlSeconds = ttlSeconds;
    this.accounts = accounts;
    this.deviceRemoved = deviceRemoved;
    this.publicPem = Pem.publicKey(key.getPublic());
    this.kid = device + "." + shortHash(publicPem);
    this.signer =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(
                    new PubSecKeyOptions()
                        .setAlgorithm("EdDSA")
                        .setBuffer(Buffer.buffer(Pem.privateKey(key.getPrivate())))));
    verifiers.put(kid, Future.succeededFuture(verifier(publicPem)));
  }

  /** This device's key id. */
  public String kid() {
    return kid;
  }

  public long ttlSeconds() {
    return ttlSeconds;
  }

  /** Publishes this device's public key in the accounts vault. */
  public Future<Void> publish() {
    return accounts.putTokenKey(
        kid,
        new JsonObject()
            .put("device", device)
            .put("publicKey", publicPem)
            .put("createdAt", System.currentTimeMillis()));
  }

  /** A token for {@code owner}. */
  public String issue(String owner, boolean admin, String sessionId) {
    return signer.generateToken(
        new JsonObject().put("sub", owner).put("adm", admin).put("sid", sessionId),
        new JWTOptions()
            .setAlgorithm("EdDSA")
            .setIssuer(issuer)
            .setExpiresInSeconds((int) ttlSeconds)
            .setHeader(new JsonObject().put("kid", kid)));
  }

  /** Checks a token: signature by a known, not removed device's key, issuer and expiry. */
  public Future<Principal> verify(String token, boolean viaCookie) {
    if (token == null || token.length() > MAX_TOKEN_CHARS) {
      return Future.failedFuture(new IllegalArgumentException("not a token"));
    }
    String keyId;
    try {
      int dot = token.indexOf('.');
      JsonObject header =
          new JsonObject(
              new String(
                  Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8));
      keyId = header.getString("kid");
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("not a token"));
    }
    if (keyId == null || keyId.lastIndexOf('.') <= 0 || keyId.length() > 200) {
      return Future.failedFuture(new IllegalArgumentException("the token names no key"));
    }
    String signedBy = keyId.substring(0, keyId.lastIndexOf('.'));
    if (deviceRemoved.test(signedBy)) {
      return Future.failedFuture(
          new IllegalArgumentException("the token was signed by a removed device"));
    }
    Checked known = checked.get(token);
    if (known != null && System.currentTimeMillis() < known.expiresAtMillis()) {
      return Future.succeededFuture(
          new Principal(known.owner(), known.admin(), known.sessionId(), viaCookie));
    }
    return verifierFor(keyId)
        .compose(jwt -> jwt.authenticate(new TokenCredentials(token)))
        .compose(
            user -> {
              JsonObject claims = user.principal();
              if (!issuer.equals(claims.getString("iss"))
                  || claims.getString("sub") == null
                  || claims.getString("sid") == null) {
                return Future.failedFuture(
                    new IllegalArgumentException("not a token of this mesh"));
              }
              // The principal leaves out the time claims; the attributes hold them.
              remember(token, keyId, claims, user.attributes().getLong("exp"));
              return Future.succeededFuture(
                  new Principal(
                      claims.getString("sub"),
                      claims.getBoolean("adm", false),
                      claims.getString("sid"),
                      viaCookie));
            });
  }

  private void remember(String token, String keyId, JsonObject claims, Long exp) {
    if (exp == null) {
      return;
    }
    if (checked.size() >= MAX_CHECKED) {
      long now = System.currentTimeMillis();
      checked.values().removeIf(c -> c.expiresAtMillis() <= now);
      if (checked.size() >= MAX_CHECKED) {
        checked.clear();
      }
    }
    checked.put(
        token,
        new Checked(
            keyId,
            claims.getString("sub"),
            claims.getBoolean("adm", false),
            claims.getString("sid"),
            exp * 1000));
  }

  /** How many checked tokens this device keeps (for tests). */
  int checkedTokens() {
    return checked.size();
  }

  /** Forgets a key, so tokens it signed are checked against the vault again (and refused). */
  public void forget(String keyId) {
    if (!kid.equals(keyId)) {
      verifiers.remove(keyId);
      checked.values().removeIf(c -> c.keyId().equals(keyId));
    }
  }

  /** Forgets every key of {@code device}; its tokens are then looked up, and refused, anew. */
  public void forgetDevice(String device) {
    verifiers.keySet().removeIf(k -> !k.equals(kid) && k.startsWith(device + "."));
    checked.values().removeIf(c -> !c.keyId().equals(kid) && c.keyId().startsWith(device + "."));
  }

  /** Deletes the published keys of {@code device}, so no device accepts tokens it signed. */
  public Future<Void> deleteKeysOf(String device) {
    forgetDevice(device);
    return accounts
        .tokenKeys()
        .compose(
            records ->
                Future.all(
                        records.stream()
                            .filter(
                                r -> device.equals(new JsonObject(r.value()).getString("device")))
                            .map(
                                r ->
                                    accounts.deleteTokenKey(
                                        r.key().substring("token-keys/".length())))
                            .toList())
                    .mapEmpty());
  }

  /**
   * The verifier for a key, from memory or from the accounts vault. A key the vault does not hold
   * is refused ({@link IllegalArgumentException}, 401), and that answer is kept for a moment, so a
   * flood of bad tokens does not flood the vault. A vault that does not answer says nothing about
   * the token: that is a {@link ServiceUnavailable} (503, retry), and it is not kept, so the next
   * request asks again. Right after a restart or a merge, when the accounts vault may not answer
   * for a moment, a valid token must not be refused with "log in again".
   */
  private Future<JWTAuth> verifierFor(String keyId) {
    // A failed lookup still here is a key the vault does not hold, kept for a moment.
    Future<JWTAuth> known = verifiers.get(keyId);
    if (known != null) {
      return known;
    }
    Future<JWTAuth> lookup =
        accounts
            .tokenKey(keyId)
            .recover(
                e ->
                    Future.failedFuture(
                        e instanceof IllegalArgumentException
                            ? e
                            : new ServiceUnavailable(
                                device + " cannot check the token's key yet: " + e.getMessage())))
            .compose(
                record -> {
                  if (record == null) {
                    return Future.failedFuture(
                        new IllegalArgumentException("the token's key is unknown"));
                  }
                  return Future.succeededFuture(verifier(record.getString("publicKey")));
                });
    verifiers.put(keyId, lookup);
    lookup.onFailure(
        e -> {
          if (e instanceof ServiceUnavailable) {
            verifiers.remove(keyId, lookup);
          } else {
            vertx.setTimer(UNKNOWN_KEY_KEPT_MILLIS, t -> verifiers.remove(keyId, lookup));
          }
        });
    return lookup;
  }

  private JWTAuth verifier(String pem) {
    return JWTAuth.create(
        vertx,
        new JWTAuthOptions()
            .setJWTOptions(new JWTOptions().setIssuer(issuer).setLeeway(LEEWAY_SECONDS))
            .addPubSecKey(
                new PubSecKeyOptions().setAlgorithm("EdDSA").setBuffer(Buffer.buffer(pem))));
  }

  private static String shortHash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
