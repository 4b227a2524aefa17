package dev.kith.mesh.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.spi.Owners;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The SCRAM secrets kept with a password, checked against RFC 5802 and RFC 7677's examples. */
class ScramSecretsTest {

  private static final String RFC5802_AUTH_MESSAGE =
      "n=user,r=fyko+d2lbbFgONRv9qkxdawL,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
          + "s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";
  private static final String RFC7677_AUTH_MESSAGE =
      "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
          + "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,"
          + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

  @Test
  @DisplayName("The secrets of 'pencil' check RFC 5802's SCRAM-SHA-1 proof and give its signature")
  void rfc5802() throws Exception {
    byte[] salt = Base64.getDecoder().decode("QSXCR+Q6sek8bf92");
    Owners.Scram secrets = ScramSecrets.derive("SHA-1", "pencil", salt, 4096);
    byte[] proof = Base64.getDecoder().decode("v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");

    assertThat(ScramClient.verifies("SHA-1", secrets, proof, RFC5802_AUTH_MESSAGE)).isTrue();
    assertThat(
            ScramClient.b64(
                ScramSecrets.hmac("SHA-1", secrets.serverKey(), bytes(RFC5802_AUTH_MESSAGE))))
        .isEqualTo("rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  }

  @Test
  @DisplayName(
      "The secrets of 'pencil' check RFC 7677's SCRAM-SHA-256 proof and give its signature")
  void rfc7677() throws Exception {
    byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    Owners.Scram secrets = ScramSecrets.derive("SHA-256", "pencil", salt, 4096);
    byte[] proof = Base64.getDecoder().decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");

    assertThat(ScramClient.verifies("SHA-256", secrets, proof, RFC7677_AUTH_MESSAGE)).isTrue();
    assertThat(
            ScramClient.b64(
                ScramSecrets.hmac("SHA-256", secrets.serverKey(), bytes(RFC7677_AUTH_MESSAGE))))
        .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  }

  @Test
  @DisplayName(
      "Stored secrets verify a proof a client computes on its own, and no other password's")
  void storedSecretsVerifyAnIndependentProof() throws Exception {
    JsonObject account = new JsonObject().put("scram", ScramSecrets.deriveNow("correct horse"));

    for (String hash : Owners.SCRAM_HASHES) {
      JsonObject kept = account.getJsonObject("scram").getJsonObject(hash);
      assertThat(kept.fieldNames())
          .containsExactlyInAnyOrder("salt", "iterations", "storedKey", "serverKey");
      assertThat(kept.getInteger("iterations")).isEqualTo(4096);
      Owners.Scram secrets = ScramSecrets.read(account, hash);
      assertThat(secrets.salt()).hasSize(16);
      String authMessage = "n=alice,r=abc,r=abcdef,s=" + kept.getString("salt") + ",i=4096,c=biws";
      byte[] right = ScramClient.proof(hash, "correct horse", secrets.salt(), 4096, authMessage);
      byte[] wrong = ScramClient.proof(hash, "correct horsf", secrets.salt(), 4096, authMessage);

      assertThat(ScramClient.verifies(hash, secrets, right, authMessage)).as(hash).isTrue();
      assertThat(ScramClient.verifies(hash, secrets, wrong, authMessage)).as(hash).isFalse();
      assertThat(ScramClient.b64(ScramSecrets.hmac(hash, secrets.serverKey(), bytes(authMessage))))
          .isEqualTo(
              ScramClient.b64(
                  ScramClient.serverSignature(
                      hash, "correct horse", secrets.salt(), 4096, authMessage)));
    }
    assertThat(ScramSecrets.present(account)).isTrue();
    assertThat(account.getJsonObject("scram").getJsonObject("SHA-1").getString("salt"))
        .as("each hash has its own salt")
        .isNotEqualTo(account.getJsonObject("scram").getJsonObject("SHA-256").getString("salt"));
  }

  @Test
  @DisplayName("A password is SASLprepped first: a soft hyphen vanishes, a ligature unfolds")
  void passwordsAreSaslPrepped() {
    byte[] salt = new byte[16];

    assertThat(ScramSecrets.derive("SHA-256", "I\u00ADX-secret", salt, 4096))
        .isEqualTo(ScramSecrets.derive("SHA-256", "IX-secret", salt, 4096));
    assertThat(ScramSecrets.derive("SHA-256", "\ufb01ne-secret", salt, 4096))
        .isEqualTo(ScramSecrets.derive("SHA-256", "fine-secret", salt, 4096));
    assertThat(ScramSecrets.derive("SHA-256", "\u00AD\u00AD", salt, 4096))
        .as("a password SASLprep maps to nothing still has secrets")
        .isNotNull();
  }

  @Test
  @DisplayName("Accounts without secrets, or with damaged ones, have none to read")
  void missingOrDamagedSecrets() {
    assertThat(ScramSecrets.read(new JsonObject().put("hash", "$argon2id$..."), "SHA-1")).isNull();
    assertThat(ScramSecrets.present(new JsonObject().put("hash", "$argon2id$..."))).isFalse();
    JsonObject damaged =
        new JsonObject()
            .put(
                "scram",
                new JsonObject()
                    .put(
                        "SHA-1",
                        ScramSecrets.toJson(
                            ScramSecrets.derive("SHA-256", "pw", new byte[16], 4096))));
    assertThat(ScramSecrets.read(damaged, "SHA-1")).as("a SHA-256 key under SHA-1").isNull();
  }

  @Test
  @DisplayName("Stand-in secrets are the same for the same name and key, and differ by name")
  void decoys() {
    byte[] key = new byte[32];
    Owners.Scram nobody = ScramSecrets.decoy(key, "nobody", "SHA-256");

    assertThat(ScramSecrets.decoy(key, "nobody", "SHA-256")).isEqualTo(nobody);
    assertThat(nobody.salt()).hasSize(16);
    assertThat(nobody.iterations()).isEqualTo(ScramSecrets.ITERATIONS);
    assertThat(nobody.storedKey()).hasSize(32);
    assertThat(ScramSecrets.decoy(key, "nobody", "SHA-1").storedKey()).hasSize(20);
    assertThat(ScramSecrets.decoy(key, "somebody", "SHA-256").salt()).isNotEqualTo(nobody.salt());
    assertThat(ScramSecrets.decoy(new byte[] {1}, "nobody", "SHA-256").salt())
        .isNotEqualTo(nobody.salt());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
