package dev.kith.mesh.auth;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Principal;
import dev.kith.mesh.trust.MeshTrust;
import dev.kith.mesh.trust.SecretFiles;
import dev.kith.mesh.vault.StoredRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owners' accounts and their sessions: login, refresh, logout, password changes, new owners, and
 * the check of every request's credentials.
 *
 * <p>A login creates a session ({@code sessions/<owner>/<sid>} in {@link Accounts}) and answers a
 * short-lived access token ({@link Tokens}) and a refresh token {@code <owner>.<sid>.<secret>}
 * whose secret is kept only as a SHA-256. A refresh checks the secret and replaces it, so a stolen
 * refresh token works once at most before its owner's next refresh fails. Logout deletes the
 * session and records its id as revoked until its last access token expires; every device learns
 * that through a vault watch within a moment, and from a full read every {@value
 * #REVOKED_READ_MILLIS} ms in case it missed the change. Password changes end every other session.
 *
 * <p>Nothing here logs a password, a token or a hash.
 */
public final class AuthService {

  private static final Logger log = LoggerFactory.getLogger(AuthService.class);

  /** How long a refresh token (a login session) lasts without use. */
  public static final long SESSION_MILLIS = 30L * 24 * 3600 * 1000;

  /** How long a setup token printed by {@code kith init} or for a new owner stays valid. */
  public static final long SETUP_MILLIS = 24L * 3600 * 1000;

  static final long REVOKED_READ_MILLIS = 15_000;
  private static final long OWNER_FILE_CHECK_MILLIS = 2_000;
  private static final long PUBLISH_RETRY_MILLIS = 2_000;
  private static final long START_PUBLISH_WAIT_MILLIS = 10_000;
  private static final long LOGIN_PUBLISH_WAIT_MILLIS = 5_000;

  private final Vertx vertx;
  private final String device;
  private final Path home;
  private final Accounts accounts;
  private final Passwords passwords;
  private final Tokens tokens;
  private final LoginLimiter limiter;
  private final PasswordCheck passwordCheck;
  private final String operatorToken;
  private final Map<String, Long> revoked = new ConcurrentHashMap<>();
  private final io.vertx.core.Promise<Void> published = io.vertx.core.Promise.promise();
  private final io.vertx.core.Promise<Void> ownerFileChecked = io.vertx.core.Promise.promise();
  private volatile boolean stopped;

  public AuthService(
      Vertx vertx,
      String device,
      Path home,
      Accounts accounts,
      Passwords passwords,
      Tokens tokens,
      LoginLimiter limiter,
      String operatorToken) {
    this.vertx = vertx;
    this.device = device;
    this.home = home;
    this.accounts = accounts;
    this.passwords = passwords;
    this.tokens = tokens;
    this.limiter = limiter;
    this.passwordCheck = new PasswordCheck(vertx, device, accounts, passwords, limiter);
    this.operatorToken = operatorToken;
  }

  /**
   * Starts the background work: publishing this device's token key, following revocations, and
   * taking in an owner that {@code kith init} left in this device's home. Completes at once; logins
   * wait for the key to be published.
   */
  public Future<Void> start() {
    publishKey();
    accounts
        .watchRevocations(this::revokedChanged)
        .onFailure(e -> log.warn("{} cannot watch session revocations: {}", device, e.toString()));
    accounts
        .watchTokenKeys(
            r -> {
              if (r.deleted()) {
                tokens.forget(r.key().substring("token-keys/".length()));
              }
            })
        .onFailure(e -> log.warn("{} cannot watch token keys: {}", device, e.toString()));
    readRevoked();
    checkOwnerFile();
    // The device is ready once its key is published, so its first logins work everywhere; a vault
    // that cannot take the write yet delays readiness by at most this much.
    return withinMillis(published.future(), START_PUBLISH_WAIT_MILLIS)
        .recover(e -> Future.succeededFuture());
  }

  /** {@code future}, or a {@link dev.kith.mesh.spi.ServiceUnavailable} after {@code millis}. */
  private <T> Future<T> withinMillis(Future<T> future, long millis) {
    if (future.isComplete()) {
      return future;
    }
    io.vertx.core.Promise<T> bounded = io.vertx.core.Promise.promise();
    long timer =
        vertx.setTimer(
            millis,
            t ->
                bounded.tryFail(
                    new dev.kith.mesh.spi.ServiceUnavailable(
                        device
                            + " cannot publish its token key yet (the accounts vault does not"
                            + " answer); retry shortly")));
    future.onComplete(
        r -> {
          vertx.cancelTimer(timer);
          if (r.succeeded()) {
            bounded.tryComplete(r.result());
          } else {
            bounded.tryFail(r.cause());
          }
        });
    return bounded.future();
  }

  public void stop() {
    stopped = true;
  }

  public Accounts accounts() {
    return accounts;
  }

  public Passwords passwords() {
    return passwords;
  }

  public Tokens tokens() {
    return tokens;
  }

  public LoginLimiter limiter() {
    return limiter;
  }

  /** The password check every protocol shares, with the lockout. */
  public PasswordCheck passwordCheck() {
    return passwordCheck;
  }

  /** Who sent these credentials, or a failure that says why they are not valid. */
  public Future<Principal> authenticate(String bearer, boolean viaCookie) {
    if (bearer.startsWith(MeshTrust.OPERATOR_PREFIX)) {
      return constantTimeEquals(bearer, operatorToken)
          ? Future.succeededFuture(Principal.operator())
          : Future.failedFuture(new IllegalArgumentException("not this device's operator token"));
    }
    return tokens
        .verify(bearer, viaCookie)
        .compose(
            p -> {
              Long until = revoked.get(p.sessionId());
              return until != null
                  ? Future.failedFuture(new IllegalArgumentException("the session was logged out"))
                  : Future.succeededFuture(p);
            });
  }

  /** Opens a session for an owner whose credentials were checked; answers the two tokens. */
  public Future<JsonObject> openSession(String owner, boolean admin) {
    String sid = HexFormat.of().formatHex(MeshTrust.randomBytes(16));
    String secret =
        Base64.getUrlEncoder().withoutPadding().encodeToString(MeshTrust.randomBytes(32));
    long now = System.currentTimeMillis();
    JsonObject session =
        new JsonObject()
            .put("refreshHash", sha256(secret))
            .put("createdAt", now)
            .put("expiresAt", now + SESSION_MILLIS)
            .put("device", device);
    return withinMillis(published.future(), LOGIN_PUBLISH_WAIT_MILLIS)
        .compose(p -> accounts.putSession(owner, sid, session))
        .map(
            saved ->
                new JsonObject()
                    .put("token", tokens.issue(owner, admin, sid))
                    .put("refreshToken", owner + "." + sid + "." + secret)
                    .put("expiresIn", tokens.ttlSeconds())
                    .put("owner", owner)
                    .put("admin", admin));
  }

  /** Swaps a refresh token for new tokens; fails with 401 for a bad one. */
  public Future<JsonObject> refresh(String refreshToken) {
    String[] parts = refreshToken == null ? new String[0] : refreshToken.split("\\.", -1);
    if (parts.length != 3 || refreshToken.length() > 300) {
      return Future.failedFuture(ServiceFailure.unauthorized("not a refresh token"));
    }
    String owner = parts[0];
    String sid = parts[1];
    String secret = parts[2];
    if (!Accounts.OWNER.matcher(owner).matches() || !sid.matches("[0-9a-f]{32}")) {
      return Future.failedFuture(ServiceFailure.unauthorized("not a refresh token"));
    }
    return Future.all(accounts.session(owner, sid), accounts.owner(owner))
        .compose(
            both -> {
              JsonObject session = both.resultAt(0);
              JsonObject account = both.resultAt(1);
              if (session == null
                  || account == null
                  || revoked.containsKey(sid)
                  || session.getLong("expiresAt", 0L) < System.currentTimeMillis()
                  || !constantTimeEquals(sha256(secret), session.getString("refreshHash", ""))) {
                return Future.failedFuture(
                    ServiceFailure.unauthorized("the refresh token is not valid; log in again"));
              }
              String next =
                  Base64.getUrlEncoder().withoutPadding().encodeToString(MeshTrust.randomBytes(32));
              long now = System.currentTimeMillis();
              session
                  .put("refreshHash", sha256(next))
                  .put("expiresAt", now + SESSION_MILLIS)
                  .put("refreshedAt", now);
              boolean admin = account.getBoolean("admin", false);
              return accounts
                  .putSession(owner, sid, session)
                  .map(
                      saved ->
                          new JsonObject()
                              .put("token", tokens.issue(owner, admin, sid))
                              .put("refreshToken", owner + "." + sid + "." + next)
                              .put("expiresIn", tokens.ttlSeconds())
                              .put("owner", owner)
                              .put("admin", admin));
            });
  }

  /** Ends a session: its refresh token stops working now, its access tokens everywhere soon. */
  public Future<Void> endSession(String owner, String sid) {
    long until = System.currentTimeMillis() + (tokens.ttlSeconds() + Tokens.LEEWAY_SECONDS) * 1000;
    revoked.put(sid, until);
    return accounts
        .revokeSession(owner, sid, until)
        .compose(r -> accounts.deleteSession(owner, sid));
  }

  /** Ends every session of {@code owner} but {@code keep}; answers how many ended. */
  public Future<Integer> endOtherSessions(String owner, String keep) {
    return accounts
        .sessionIds(owner)
        .compose(
            ids -> {
              List<String> others = ids.stream().filter(id -> !id.equals(keep)).toList();
              return Future.all(others.stream().map(id -> endSession(owner, id)).toList())
                  .map(others.size());
            });
  }

  private void revokedChanged(StoredRecord record) {
    String sid = record.key().substring("revoked/".length());
    if (!record.deleted()) {
      revoked.put(sid, new JsonObject(record.value()).getLong("until", 0L));
    }
  }

  private void readRevoked() {
    if (stopped) {
      return;
    }
    accounts
        .revokedSessions()
        .onSuccess(
            records -> {
              long now = System.currentTimeMillis();
              for (StoredRecord r : records) {
                long until = new JsonObject(r.value()).getLong("until", 0L);
                String sid = r.key().substring("revoked/".length());
                if (until > now) {
                  revoked.put(sid, until);
                } else {
                  // Its tokens have all expired: the record has done its work.
                  accounts.forgetRevocation(sid);
                }
              }
              revoked.values().removeIf(until -> until <= now);
            })
        .onFailure(e -> log.debug("{} could not read revoked sessions: {}", device, e.toString()))
        .onComplete(r -> vertx.setTimer(REVOKED_READ_MILLIS, t -> readRevoked()));
  }

  private void publishKey() {
    if (stopped) {
      return;
    }
    tokens
        .publish()
        .onSuccess(
            done -> {
              log.info("{} published its token key {}", device, tokens.kid());
              published.tryComplete();
            })
        .onFailure(
            e -> {
              log.warn("{} could not publish its token key yet: {}", device, e.toString());
              vertx.setTimer(PUBLISH_RETRY_MILLIS, t -> publishKey());
            });
  }

  /**
   * Completes once this device has looked for an owner that {@code kith init} left in its home (and
   * taken it in, if it could): from then on, no owner in the mesh means there is none yet.
   */
  public Future<Void> ownerFileChecked() {
    return ownerFileChecked.future();
  }

  /**
   * Takes in the first owner that {@code kith init --owner} wrote into this home, only while the
   * mesh has no owner at all (the file is the first administrator of a new mesh, never a way to add
   * one to a mesh), then deletes the file. Checked every {@value #OWNER_FILE_CHECK_MILLIS} ms, so
   * it works while the device runs.
   */
  private void checkOwnerFile() {
    if (stopped) {
      return;
    }
    Path file = ownerInitFile(home);
    vertx
        .executeBlocking(
            () ->
                Files.isRegularFile(file)
                    ? new JsonObject(new String(SecretFiles.read(file), StandardCharsets.UTF_8))
                    : null)
        .compose(
            pending -> {
              if (pending == null) {
                return Future.succeededFuture();
              }
              String owner = pending.getString("owner");
              return published
                  .future()
                  .compose(p -> accounts.owners())
                  .compose(
                      existing -> {
                        if (!existing.isEmpty()) {
                          log.warn(
                              "{}: the mesh has owners already, so {} ({} from kith init) was not"
                                  + " created; an administrator adds owners with: kith owner add"
                                  + " NAME",
                              device,
                              owner,
                              file.getFileName());
                          return Future.succeededFuture();
                        }
                        pending.put("createdAt", System.currentTimeMillis());
                        return accounts
                            .putOwner(owner, pending)
                            .onSuccess(
                                added ->
                                    log.info(
                                        "{} created owner {}{} from kith init",
                                        device,
                                        owner,
                                        pending.getBoolean("admin", false) ? " (admin)" : ""));
                      })
                  .compose(done -> vertx.executeBlocking(() -> Files.deleteIfExists(file)))
                  .mapEmpty();
            })
        .onFailure(e -> log.warn("{} could not take in {}: {}", device, file, e.toString()))
        .onComplete(
            r -> {
              if (r.succeeded()) {
                ownerFileChecked.tryComplete();
              }
              vertx.setTimer(OWNER_FILE_CHECK_MILLIS, t -> checkOwnerFile());
            });
  }

  /** Where {@code kith init --owner} leaves the first owner for the device to take in. */
  public static Path ownerInitFile(Path home) {
    return MeshTrust.folder(home).resolve("owner-init.json");
  }

  /** The SHA-256 of a secret, in hex: how refresh and setup secrets are kept. */
  public static String sha256(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
