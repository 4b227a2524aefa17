package dev.kith.mesh.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.spi.ServiceUnavailable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Whether an owner exists, on a device that cannot read the accounts: it is cut off from every copy
 * of them (the small side of a partition, a phone away from home) and must still take mail for the
 * owners it knew of, and only for them.
 */
class MeshOwnersTest {

  private Vertx vertx;
  private MemoryVault vault;
  private Accounts accounts;
  private MeshOwners owners;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    vault = new MemoryVault();
    accounts = new Accounts(vault);
    await(accounts.putOwner("alice", new JsonObject().put("owner", "alice")));
    owners = new MeshOwners(accounts, null);
    owners.start(vertx, "pi.alice");
  }

  @AfterEach
  void stop() throws Exception {
    owners.stop();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("Cut off from the accounts, a device still knows the owners it read at start")
  void knownOwnersWhileCutOff() throws Exception {
    vault.unreachable.set(true);

    assertThat(await(owners.exists("alice"))).as("alice, read at start").isTrue();
    assertThat(owners.exists("bob").cause())
        .as("bob, never known here: retry later, not 'no such user'")
        .isInstanceOf(ServiceUnavailable.class);
  }

  @Test
  @DisplayName("Owners added or removed anywhere reach the names a cut-off device answers from")
  void addedAndRemovedOwnersAreFollowed() throws Exception {
    // Changes while the accounts answer: carol is added, alice removed (by any device).
    await(accounts.putOwner("carol", new JsonObject().put("owner", "carol")));
    await(accounts.deleteOwner("alice"));

    vault.unreachable.set(true);

    assertThat(await(owners.exists("carol"))).as("carol, added after the start").isTrue();
    assertThat(owners.exists("alice").cause())
        .as("alice, removed")
        .isInstanceOf(ServiceUnavailable.class);
  }

  @Test
  @DisplayName("While the accounts answer, they decide, not the names kept for a cut-off")
  void theAccountsDecideWhileTheyAnswer() throws Exception {
    // Removed behind the watch's back (a merge after a partition): the next read finds out.
    vault.records.remove(Accounts.VAULT_OWNER + "/owners/alice");

    assertThat(await(owners.exists("alice"))).isFalse();

    vault.unreachable.set(true);
    Future<Boolean> cutOff = owners.exists("alice");
    assertThat(cutOff.succeeded() && cutOff.result())
        .as("alice while cut off: %s", cutOff)
        .isFalse();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
