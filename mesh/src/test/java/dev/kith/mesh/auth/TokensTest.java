package dev.kith.mesh.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Access tokens checked by a device that did not sign them, and so must look the signer's key up in
 * the accounts vault: right after a restart or a merge that vault may not answer for a moment, and
 * a valid token must then be "retry" (503), not "log in again" (401), and work as soon as the vault
 * answers.
 */
@ExtendWith(VertxExtension.class)
class TokensTest {

  @Test
  @DisplayName(
      "A token whose key the vault cannot give yet is unavailable, not invalid, and is accepted as"
          + " soon as the vault answers")
  void keyLookupWhileTheVaultDoesNotAnswer(Vertx vertx, VertxTestContext testContext)
      throws Exception {
    // Start: laptop signs a token and publishes its key; pi checks it through a vault that fails
    // its first read the way MeshVault does when too few replicas answer.
    MemoryVault vault = new MemoryVault();
    Tokens laptop = tokens(vertx, "laptop.alice", vault);
    Tokens pi = tokens(vertx, "pi.alice", vault);
    String token = laptop.issue("alice", false, "s1");

    laptop
        .publish()
        .compose(
            published -> {
              vault.failReads.set(1);
              return pi.verify(token, false).transform(first -> Future.succeededFuture(first));
            })
        .compose(
            first -> {
              // Verdict, part 1: not a refusal of the token.
              testContext.verify(
                  () -> {
                    assertThat(first.failed()).as("first check, vault down").isTrue();
                    assertThat(first.cause()).isInstanceOf(ServiceUnavailable.class);
                  });
              // Recovery: the vault answers again; the very next check asks it again.
              return pi.verify(token, false);
            })
        .onComplete(
            testContext.succeeding(
                principal ->
                    testContext.verify(
                        () -> {
                          assertThat(principal.owner()).isEqualTo("alice");
                          assertThat(vault.reads.get()).isEqualTo(2);
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName("A token whose key the vault does not hold is refused, and the refusal is kept")
  void unknownKeyIsRefused(Vertx vertx, VertxTestContext testContext) throws Exception {
    MemoryVault vault = new MemoryVault();
    Tokens laptop = tokens(vertx, "laptop.alice", vault);
    Tokens pi = tokens(vertx, "pi.alice", vault);
    // The key was never published.
    String token = laptop.issue("alice", false, "s1");

    pi.verify(token, false)
        .transform(first -> Future.succeededFuture(first))
        .compose(
            first -> {
              testContext.verify(
                  () ->
                      assertThat(first.cause())
                          .isInstanceOf(IllegalArgumentException.class)
                          .hasMessageContaining("unknown"));
              return pi.verify(token, false).transform(again -> Future.succeededFuture(again));
            })
        .onComplete(
            testContext.succeeding(
                again ->
                    testContext.verify(
                        () -> {
                          assertThat(again.cause()).isInstanceOf(IllegalArgumentException.class);
                          // Kept for a moment: a flood of bad tokens does not flood the vault.
                          assertThat(vault.reads.get()).isEqualTo(1);
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A checked token is accepted again without a second look-up, a changed copy of it is not, and"
          + " it is refused once its signer's key is forgotten and deleted")
  void checkedTokensAreKeptUntilTheirKeyGoes(Vertx vertx, VertxTestContext testContext)
      throws Exception {
    MemoryVault vault = new MemoryVault();
    Tokens laptop = tokens(vertx, "laptop.alice", vault);
    Tokens pi = tokens(vertx, "pi.alice", vault);
    String token = laptop.issue("alice", true, "s1");
    String payload = token.split("\\.")[1];
    String forged =
        token.replace(
            payload,
            java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                    new String(java.util.Base64.getUrlDecoder().decode(payload))
                        .replace("\"alice\"", "\"bob\"")
                        .getBytes()));

    laptop
        .publish()
        .compose(v -> pi.verify(token, false))
        .compose(first -> pi.verify(token, true))
        .compose(
            again -> {
              testContext.verify(
                  () -> {
                    assertThat(again.owner()).isEqualTo("alice");
                    assertThat(again.admin()).isTrue();
                    assertThat(again.viaCookie()).as("as this request sent it").isTrue();
                    assertThat(vault.reads.get()).as("key look-ups").isEqualTo(1);
                    assertThat(pi.checkedTokens()).as("tokens kept as checked").isEqualTo(1);
                  });
              return pi.verify(forged, false).transform(f -> Future.succeededFuture(f));
            })
        .compose(
            forgedCheck -> {
              testContext.verify(() -> assertThat(forgedCheck.failed()).as("forged").isTrue());
              // The laptop is removed: its keys are deleted and every device forgets them.
              return laptop.deleteKeysOf("laptop.alice");
            })
        .compose(
            v -> {
              pi.forgetDevice("laptop.alice");
              return pi.verify(token, false).transform(f -> Future.succeededFuture(f));
            })
        .onComplete(
            testContext.succeeding(
                after ->
                    testContext.verify(
                        () -> {
                          assertThat(after.failed()).as("after the key went").isTrue();
                          assertThat(after.cause()).hasMessageContaining("unknown");
                          assertThat(pi.checkedTokens()).isZero();
                          testContext.completeNow();
                        })));
  }

  private static Tokens tokens(Vertx vertx, String device, Vault vault) throws Exception {
    KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    return new Tokens(vertx, device, "m1", key, 300, new Accounts(vault), d -> false);
  }
}
