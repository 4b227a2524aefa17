package dev.kith.mesh.auth;

import dev.kith.mesh.trust.MeshTrust;
import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Accounts, login sessions and token keys, kept as records in the vault of the reserved owner
 * {@value #VAULT_OWNER}, so every device reads the same accounts and they are as durable as any
 * owner's data (replicated, fsynced, merged after a partition). Why the vault and not a Hazelcast
 * map: Hazelcast keeps everything in memory only, and a full power loss would lose every account.
 *
 * <p>Records:
 *
 * <ul>
 *   <li>{@code owners/<owner>}: {@code hash} (Argon2id, PHC), {@code scram} (the SCRAM secrets of
 *       the same password, {@link ScramSecrets}; absent for a password set before Kith kept them,
 *       until its owner's next password login), {@code admin}, {@code createdAt}, and while a
 *       one-time setup token is pending, {@code setupHash} and {@code setupExpiresAt};
 *   <li>{@code sessions/<owner>/<sid>}: a login session, with the SHA-256 of its refresh secret;
 *   <li>{@code revoked/<sid>}: a session logged out before its access tokens expire, {@code until}
 *       the last of them expires;
 *   <li>{@code token-keys/<kid>}: a device's public key for access tokens;
 *   <li>{@value #SCRAM_DECOY_KEY}: the random key that SCRAM stand-in secrets for names without any
 *       are derived from ({@link MeshOwners#scramDecoy}), made once for the whole mesh.
 * </ul>
 *
 * <p>No owner may be named with the {@code kith-} prefix, so nobody owns this vault: its HTTP
 * routes answer 403 to everyone.
 */
public final class Accounts {

  /** The reserved vault owner that holds the accounts. */
  public static final String VAULT_OWNER = "kith-accounts";

  /** Owner names: as in device names, and never {@code kith-...}. */
  public static final Pattern OWNER = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** The record that holds {@link #scramDecoyKey}. */
  static final String SCRAM_DECOY_KEY = "scram-decoy-key";

  private static final int PAGE = 1000;

  private final Vault vault;

  public Accounts(Vault vault) {
    this.vault = vault;
  }

  /** Checks an owner name; the message is safe to show. */
  public static String requireOwnerName(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new IllegalArgumentException(
          "an owner name is 1 to 63 lowercase letters, digits or '-', not at either end");
    }
    if (owner.startsWith("kith-")) {
      throw new IllegalArgumentException("owner names starting with 'kith-' are reserved");
    }
    return owner;
  }

  /** The key prefix of the accounts' records. */
  static final String OWNERS_PREFIX = "owners/";

  public Future<JsonObject> owner(String owner) {
    return get(OWNERS_PREFIX + owner);
  }

  public Future<Void> putOwner(String owner, JsonObject account) {
    return vault.putRecord(VAULT_OWNER, OWNERS_PREFIX + owner, account).mapEmpty();
  }

  /**
   * Changes an account atomically, with the vault's compare-and-set ({@link Vault#update}): {@code
   * change} gets the current account ({@code null} when there is none) and returns the new one, or
   * throws to leave it as it is, and the future then fails with what it threw. {@code change} may
   * be called more than once, so it must have no side effects. The future gives the account
   * written.
   */
  public Future<JsonObject> updateOwner(String owner, UnaryOperator<JsonObject> change) {
    return vault
        .update(
            VAULT_OWNER,
            OWNERS_PREFIX + owner,
            current ->
                change.apply(
                    current == null || current.deleted() ? null : new JsonObject(current.value())),
            null)
        .map(r -> new JsonObject(r.value()));
  }

  /**
   * The mesh's key for SCRAM stand-in secrets, 32 random bytes: read, or made by the first device
   * that needs it (a compare-and-set, so that devices asking at once all end with the same key).
   */
  public Future<byte[]> scramDecoyKey() {
    String fresh = Base64.getEncoder().encodeToString(MeshTrust.randomBytes(32));
    return get(SCRAM_DECOY_KEY)
        .compose(
            found ->
                found != null
                    ? Future.succeededFuture(found)
                    : vault
                        .update(
                            VAULT_OWNER,
                            SCRAM_DECOY_KEY,
                            current ->
                                current == null || current.deleted()
                                    ? new JsonObject().put("key", fresh)
                                    : new JsonObject(current.value()),
                            null)
                        .map(r -> new JsonObject(r.value())))
        .map(json -> Base64.getDecoder().decode(json.getString("key")));
  }

  public Future<Void> deleteOwner(String owner) {
    return vault.deleteRecord(VAULT_OWNER, OWNERS_PREFIX + owner).mapEmpty();
  }

  /** Every account, in name order (at most 1000). */
  public Future<List<JsonObject>> owners() {
    return values(OWNERS_PREFIX);
  }

  public Future<JsonObject> session(String owner, String sid) {
    return get("sessions/" + owner + "/" + sid);
  }

  public Future<Void> putSession(String owner, String sid, JsonObject session) {
    return vault.putRecord(VAULT_OWNER, "sessions/" + owner + "/" + sid, session).mapEmpty();
  }

  public Future<Void> deleteSession(String owner, String sid) {
    return vault.deleteRecord(VAULT_OWNER, "sessions/" + owner + "/" + sid).mapEmpty();
  }

  /** The session ids of an owner's live sessions. */
  public Future<List<String>> sessionIds(String owner) {
    String prefix = "sessions/" + owner + "/";
    return vault
        .scan(VAULT_OWNER, prefix, null, PAGE)
        .map(records -> records.stream().map(r -> r.key().substring(prefix.length())).toList());
  }

  /** Records that {@code sid}'s access tokens are no longer valid, until {@code untilMillis}. */
  public Future<Void> revokeSession(String owner, String sid, long untilMillis) {
    return vault
        .putRecord(
            VAULT_OWNER,
            "revoked/" + sid,
            new JsonObject().put("owner", owner).put("until", untilMillis))
        .mapEmpty();
  }

  /** Every revoked session: {@code sid} to the time its last token expires. */
  public Future<List<StoredRecord>> revokedSessions() {
    return vault.scan(VAULT_OWNER, "revoked/", null, PAGE);
  }

  public Future<Void> forgetRevocation(String sid) {
    return vault.deleteRecord(VAULT_OWNER, "revoked/" + sid).mapEmpty();
  }

  public Future<JsonObject> tokenKey(String kid) {
    return get("token-keys/" + kid);
  }

  public Future<Void> putTokenKey(String kid, JsonObject key) {
    return vault.putRecord(VAULT_OWNER, "token-keys/" + kid, key).mapEmpty();
  }

  public Future<List<StoredRecord>> tokenKeys() {
    return vault.scan(VAULT_OWNER, "token-keys/", null, PAGE);
  }

  public Future<Void> deleteTokenKey(String kid) {
    return vault.deleteRecord(VAULT_OWNER, "token-keys/" + kid).mapEmpty();
  }

  /** Calls {@code handler} with the session id of every revocation made anywhere from now on. */
  public Future<Vault.Watch> watchRevocations(java.util.function.Consumer<StoredRecord> handler) {
    return vault.watch(VAULT_OWNER, "revoked/", handler::accept);
  }

  /** Calls {@code handler} on every account added, changed or removed anywhere from now on. */
  public Future<Vault.Watch> watchOwners(java.util.function.Consumer<StoredRecord> handler) {
    return vault.watch(VAULT_OWNER, OWNERS_PREFIX, handler::accept);
  }

  /** Calls {@code handler} on every change to the token keys. */
  public Future<Vault.Watch> watchTokenKeys(java.util.function.Consumer<StoredRecord> handler) {
    return vault.watch(VAULT_OWNER, "token-keys/", handler::accept);
  }

  private Future<JsonObject> get(String key) {
    return vault
        .getRecord(VAULT_OWNER, key)
        .map(r -> r == null || r.deleted() ? null : new JsonObject(r.value()));
  }

  private Future<List<JsonObject>> values(String prefix) {
    return vault
        .scan(VAULT_OWNER, prefix, null, PAGE)
        .map(
            records -> {
              List<JsonObject> out = new ArrayList<>();
              records.forEach(r -> out.add(new JsonObject(r.value())));
              return out;
            });
  }
}
