package dev.kith.mesh.auth;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import dev.kith.mesh.spi.Owners;
import dev.kith.mesh.spi.Owners.Login;
import dev.kith.mesh.spi.Owners.Outcome;
import dev.kith.mesh.testing.LoneHazelcast;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SCRAM against the owners' accounts, as a protocol server sees it through {@link Owners}: the
 * secrets of every new password, the secrets added at the next password login to an account made
 * before them, stand-in secrets for names without any, and SCRAM outcomes under the one lockout.
 * One Hazelcast member that joins nothing holds the failure counts.
 */
@DisplayName("SCRAM logins against the owners' accounts")
class ScramLoginTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String PASSWORD = "correct horse battery";
  private static final int MAX_FAILURES = 3;

  private static HazelcastInstance hazelcast;

  private Vertx vertx;
  private MemoryVault vault;
  private Accounts accounts;
  private Passwords passwords;
  private MeshOwners owners;

  @BeforeAll
  static void startHazelcast() {
    hazelcast = LoneHazelcast.start("scram");
  }

  @AfterAll
  static void stopHazelcast() {
    hazelcast.shutdown();
  }

  @BeforeEach
  void start() {
    hazelcast.getMap(LoginLimiter.MAP).clear();
    vertx = Vertx.vertx();
    vault = new MemoryVault();
    accounts = new Accounts(vault);
    passwords = new Passwords(vertx);
    owners = owners("pi.alice");
  }

  @AfterEach
  void stop() throws Exception {
    owners.stop();
    await(vertx.close());
  }

  @Test
  @DisplayName("A new password is stored with SCRAM secrets that verify it, for both hashes")
  void newPasswordsComeWithSecrets() throws Exception {
    JsonObject credentials = await(passwords.credentials(PASSWORD));
    await(accounts.putOwner("alice", new JsonObject().put("owner", "alice").mergeIn(credentials)));

    assertThat(credentials.getString("hash")).startsWith("$argon2id$");
    for (String hash : Owners.SCRAM_HASHES) {
      assertVerifies(await(owners.scram("alice", hash)), hash, PASSWORD);
    }
  }

  @Test
  @DisplayName("An account made before SCRAM gets its secrets at its owner's next password login")
  void secretsAreAddedAtTheNextLogin() throws Exception {
    await(
        accounts.putOwner(
            "alice",
            new JsonObject().put("owner", "alice").put("hash", Passwords.hashNow(PASSWORD))));
    assertThat(await(owners.scram("alice", "SHA-256"))).as("none yet").isNull();

    Login login = await(owners.checkPassword("SMTP", "192.0.2.1", "alice", PASSWORD));

    assertThat(login.outcome()).isEqualTo(Outcome.ACCEPTED);
    Owners.Scram added = eventually(WAIT, () -> assertPresent(owners.scram("alice", "SHA-256")));
    assertVerifies(added, "SHA-256", PASSWORD);
    assertVerifies(await(owners.scram("alice", "SHA-1")), "SHA-1", PASSWORD);
    assertThat(await(accounts.owner("alice")).getString("hash")).startsWith("$argon2id$");
  }

  @Test
  @DisplayName("Adding secrets never overwrites a password changed since the login checked it")
  void theUpgradeLeavesAChangedPasswordAlone() throws Exception {
    JsonObject checked =
        new JsonObject().put("owner", "alice").put("hash", Passwords.hashNow(PASSWORD));
    JsonObject changed = new JsonObject().put("owner", "alice").put("hash", "$argon2id$newer");
    await(accounts.putOwner("alice", changed));

    boolean added =
        await(new ScramUpgrade("pi.alice", accounts, passwords).add("alice", checked, PASSWORD));

    assertThat(added).isFalse();
    assertThat(await(accounts.owner("alice"))).isEqualTo(changed);
  }

  @Test
  @DisplayName("SCRAM failures count under the same lockout as passwords, per account and address")
  void failuresLockOut() throws Exception {
    await(accounts.putOwner("alice", new JsonObject().put("owner", "alice")));

    for (int i = 1; i < MAX_FAILURES; i++) {
      Login refused = await(owners.scramResult("XMPP", "192.0.2.1", "alice", false));
      assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(refused.retryAfterMillis()).isZero();
    }
    Login last = await(owners.scramResult("XMPP", "192.0.2.1", "alice", false));

    assertThat(last.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(last.retryAfterMillis()).isPositive();
    assertThat(await(owners.lockedOutFor("198.51.100.7", "alice"))).as("the account").isPositive();
    assertThat(await(owners.lockedOutFor("192.0.2.1", null))).as("the address").isPositive();
    assertThat(await(owners.lockedOutFor("198.51.100.7", "bob"))).as("others").isZero();
    Login raced = await(owners.scramResult("XMPP", "198.51.100.7", "alice", true));
    assertThat(raced.outcome()).as("a valid proof while locked").isEqualTo(Outcome.LOCKED_OUT);
    assertThat(await(owners.checkPassword("SMTP", "198.51.100.7", "alice", PASSWORD)).outcome())
        .as("a password while locked")
        .isEqualTo(Outcome.LOCKED_OUT);
  }

  @Test
  @DisplayName("A valid proof is accepted for the owner and clears the account's failures")
  void aValidProofClears() throws Exception {
    await(owners.scramResult("XMPP", "192.0.2.1", "alice", false));
    await(owners.scramResult("XMPP", "192.0.2.1", "alice", false));

    Login accepted = await(owners.scramResult("XMPP", "192.0.2.2", "alice", true));

    assertThat(accepted.outcome()).isEqualTo(Outcome.ACCEPTED);
    assertThat(accepted.owner()).isEqualTo("alice");
    Login next = await(owners.scramResult("XMPP", "192.0.2.3", "alice", false));
    assertThat(next.retryAfterMillis()).as("one failure since the success").isZero();
  }

  @Test
  @DisplayName("Names without secrets get the same stand-in secrets on every device")
  void decoysAreMeshWide() throws Exception {
    await(
        accounts.putOwner(
            "carol",
            new JsonObject().put("owner", "carol").put("hash", Passwords.hashNow(PASSWORD))));
    MeshOwners elsewhere = owners("laptop.alice");
    try {
      Owners.Scram here = await(owners.scramOrDecoy("nobody", "SHA-256"));
      Owners.Scram there = await(elsewhere.scramOrDecoy("nobody", "SHA-256"));

      assertThat(await(owners.scram("nobody", "SHA-256"))).isNull();
      assertThat(here).isEqualTo(there);
      assertThat(here.iterations()).isEqualTo(4096);
      assertThat(await(owners.scramOrDecoy("nobody2", "SHA-256")).salt()).isNotEqualTo(here.salt());
      assertThat(await(owners.scram("carol", "SHA-1"))).as("an owner without secrets").isNull();
      assertThat(await(owners.scramOrDecoy("carol", "SHA-1")))
          .isEqualTo(await(elsewhere.scramDecoy("carol", "SHA-1")));
      assertThat(owners.scram("alice", "MD5").cause()).isInstanceOf(IllegalArgumentException.class);
    } finally {
      elsewhere.stop();
    }
  }

  private MeshOwners owners(String device) {
    LoginLimiter limiter = new LoginLimiter(vertx, hazelcast, MAX_FAILURES, 60_000);
    MeshOwners made =
        new MeshOwners(accounts, new PasswordCheck(vertx, device, accounts, passwords, limiter));
    made.start(vertx, device);
    return made;
  }

  private static Owners.Scram assertPresent(Future<Owners.Scram> secrets) throws Exception {
    Owners.Scram found = await(secrets);
    assertThat(found).isNotNull();
    return found;
  }

  private static void assertVerifies(Owners.Scram secrets, String hash, String password)
      throws Exception {
    assertThat(secrets).as(hash).isNotNull();
    String authMessage = "n=alice,r=abc,r=abcdef,s=" + ScramClient.b64(secrets.salt()) + ",i=4096";
    byte[] proof =
        ScramClient.proof(hash, password, secrets.salt(), secrets.iterations(), authMessage);
    assertThat(ScramClient.verifies(hash, secrets, proof, authMessage)).as(hash).isTrue();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
