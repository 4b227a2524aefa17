package dev.kith.chat.sasl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mesh.auth.ScramSecrets;
import dev.kith.mesh.spi.Owners;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The server side of SCRAM, against RFC 5802 and RFC 7677's examples and malformed messages. */
class ScramServerTest {

  // RFC 5802 §5: user "user", password "pencil", SCRAM-SHA-1.
  private static final String SHA1_CLIENT_FIRST = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
  private static final String SHA1_SERVER_NONCE = "3rfcNHYJY1ZVvWVs7j";
  private static final String SHA1_SALT = "QSXCR+Q6sek8bf92";
  private static final String SHA1_SERVER_FIRST =
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
  private static final String SHA1_CLIENT_FINAL =
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
  private static final String SHA1_SERVER_FINAL = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";

  // RFC 7677 §3: the same with SCRAM-SHA-256.
  private static final String SHA256_CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
  private static final String SHA256_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  private static final String SHA256_SALT = "W22ZaJ0SNY7soEsUEjb6gQ==";
  private static final String SHA256_SERVER_FIRST =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  private static final String SHA256_CLIENT_FINAL =
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
          + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  private static final String SHA256_SERVER_FINAL =
      "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

  @Test
  @DisplayName("Plays RFC 5802's SCRAM-SHA-1 example to the byte")
  void rfc5802() {
    ScramServer scram = new ScramServer("SHA-1", "example.org", () -> SHA1_SERVER_NONCE);

    assertThat(scram.clientFirst(bytes(SHA1_CLIENT_FIRST))).isEqualTo("user");
    assertThat(scram.hash()).isEqualTo("SHA-1");
    assertThat(text(scram.serverFirst(secrets("SHA-1", "pencil", SHA1_SALT))))
        .isEqualTo(SHA1_SERVER_FIRST);
    ScramServer.Result result = scram.clientFinal(bytes(SHA1_CLIENT_FINAL));

    assertThat(result.proofValid()).isTrue();
    assertThat(text(result.serverFinal())).isEqualTo(SHA1_SERVER_FINAL);
  }

  @Test
  @DisplayName("Plays RFC 7677's SCRAM-SHA-256 example to the byte")
  void rfc7677() {
    ScramServer scram = new ScramServer("SHA-256", "example.org", () -> SHA256_SERVER_NONCE);

    assertThat(scram.clientFirst(bytes(SHA256_CLIENT_FIRST))).isEqualTo("user");
    assertThat(text(scram.serverFirst(secrets("SHA-256", "pencil", SHA256_SALT))))
        .isEqualTo(SHA256_SERVER_FIRST);
    ScramServer.Result result = scram.clientFinal(bytes(SHA256_CLIENT_FINAL));

    assertThat(result.proofValid()).isTrue();
    assertThat(text(result.serverFinal())).isEqualTo(SHA256_SERVER_FINAL);
  }

  @Test
  @DisplayName("Refuses the proof of a wrong password, and sends no server signature")
  void wrongPassword() {
    ScramServer scram = new ScramServer("SHA-256", null, () -> SHA256_SERVER_NONCE);
    scram.clientFirst(bytes(SHA256_CLIENT_FIRST));
    scram.serverFirst(secrets("SHA-256", "pencil!", SHA256_SALT));

    ScramServer.Result result = scram.clientFinal(bytes(SHA256_CLIENT_FINAL));

    assertThat(result.proofValid()).isFalse();
    assertThat(result.serverFinal()).isNull();
  }

  @Test
  @DisplayName("Picks the hash by mechanism, with random server nonces")
  void mechanisms() {
    ScramServer scram = ScramServer.forMechanism("SCRAM-SHA-1", "example.org");
    scram.clientFirst(bytes("n,,n=alice,r=abc"));
    String first = text(scram.serverFirst(secrets("SHA-1", "pencil", SHA1_SALT)));

    assertThat(scram.hash()).isEqualTo("SHA-1");
    assertThat(first).matches("r=abc[!-+\\--~]{8,},s=" + SHA1_SALT.replace("+", "\\+") + ",i=4096");
    assertThat(ScramServer.MECHANISMS).containsExactly("SCRAM-SHA-256", "SCRAM-SHA-1");
    assertThatThrownBy(() -> ScramServer.forMechanism("SCRAM-SHA-512", null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("Stand-in secrets take any proof through the exchange and accept none")
  void decoysNeverMatch() {
    ScramServer scram = new ScramServer("SHA-1", null, () -> SHA1_SERVER_NONCE);
    scram.clientFirst(bytes(SHA1_CLIENT_FIRST));
    Owners.Scram real = secrets("SHA-1", "pencil", SHA1_SALT);
    scram.serverFirst(new Owners.Scram(real.salt(), 4096, new byte[20], real.serverKey()));

    assertThat(scram.clientFinal(bytes(SHA1_CLIENT_FINAL)).proofValid()).isFalse();
  }

  @Test
  @DisplayName("Must be called in order: client-first, server-first, client-final, once each")
  void order() {
    ScramServer scram = new ScramServer("SHA-1", null, () -> SHA1_SERVER_NONCE);

    assertThatThrownBy(() -> scram.clientFinal(bytes(SHA1_CLIENT_FINAL)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Nested
  @DisplayName("The client-first message")
  class ClientFirst {

    @Test
    @DisplayName("unescapes =2C and =3D in the user name, and SASLpreps it")
    void names() {
      assertThat(first("n,,n=a=2Cb=3Dc,r=x")).isEqualTo("a,b=c");
      assertThat(first("n,,n=\uFF41lice@example.org,r=x")).isEqualTo("alice@example.org");
      assertThat(first("y,,n=alice,r=x,z=ignored"))
          .as("flag y, an optional extension")
          .isEqualTo("alice");
    }

    @Test
    @DisplayName("takes an authorization identity that is the user or the user's bare JID")
    void ownAuthzid() {
      assertThat(first("n,a=alice,n=alice,r=x")).isEqualTo("alice");
      assertThat(first("n,a=Alice@Example.org,n=alice,r=x")).isEqualTo("alice");
      assertThat(first("n,a=alice@example.org,n=alice@example.org,r=x"))
          .isEqualTo("alice@example.org");
    }

    @Test
    @DisplayName("refuses another authorization identity")
    void otherAuthzid() {
      refused(
          () -> first("n,a=bob,n=alice,r=x"),
          SaslFailure.Condition.INVALID_AUTHZID,
          null,
          "authorization");
      refused(
          () -> first("n,a=alice@elsewhere.org,n=alice,r=x"),
          SaslFailure.Condition.INVALID_AUTHZID,
          null,
          "authorization");
      refused(
          () -> first("n,a=alice@example.org/phone,n=alice,r=x"),
          SaslFailure.Condition.INVALID_AUTHZID,
          null,
          "bare JID");
    }

    @Test
    @DisplayName("refuses channel binding (p=): it is not supported")
    void channelBinding() {
      refused(
          () -> first("p=tls-exporter,,n=alice,r=x"),
          SaslFailure.Condition.NOT_AUTHORIZED,
          "channel-binding-not-supported",
          "channel binding is not supported");
    }

    @Test
    @DisplayName("refuses mandatory extensions (m=)")
    void mandatoryExtensions() {
      refused(
          () -> first("n,,m=ext,n=alice,r=x"),
          SaslFailure.Condition.MALFORMED_REQUEST,
          "extensions-not-supported",
          "m=");
    }

    @Test
    @DisplayName("refuses a message without a nonce, a user or a GS2 header, with the reason")
    void malformed() {
      refused(() -> first("n,,n=alice"), SaslFailure.Condition.MALFORMED_REQUEST, null, "r=");
      refused(() -> first("n,,n=alice,r="), SaslFailure.Condition.MALFORMED_REQUEST, null, "r=");
      refused(() -> first("n,,r=x,n=alice"), SaslFailure.Condition.MALFORMED_REQUEST, null, "n=");
      refused(() -> first("n=alice,r=x"), SaslFailure.Condition.MALFORMED_REQUEST, null, "GS2");
      refused(() -> first("q,,n=alice,r=x"), SaslFailure.Condition.MALFORMED_REQUEST, null, "flag");
      refused(() -> first("n,,n=,r=x"), SaslFailure.Condition.MALFORMED_REQUEST, null, "empty");
      refused(
          () -> first("n,,n=alice,r=x,7"),
          SaslFailure.Condition.MALFORMED_REQUEST,
          null,
          "attribute");
      refused(() -> first(""), SaslFailure.Condition.MALFORMED_REQUEST, null, "bytes");
      refused(
          () -> first("n,,n=alice,r=" + "x".repeat(ScramServer.MAX_MESSAGE_BYTES)),
          SaslFailure.Condition.MALFORMED_REQUEST,
          null,
          "bytes");
    }

    @Test
    @DisplayName("refuses a badly escaped or prohibited user name, and bytes that are not UTF-8")
    void badNames() {
      refused(
          () -> first("n,,n=a=2Xb,r=x"),
          SaslFailure.Condition.MALFORMED_REQUEST,
          "invalid-username-encoding",
          "=2C or =3D");
      refused(
          () -> first("n,,n=a\u0007b,r=x"),
          SaslFailure.Condition.MALFORMED_REQUEST,
          "invalid-username-encoding",
          "U+0007");
      refused(
          () ->
              new ScramServer("SHA-1", null, () -> "s")
                  .clientFirst(new byte[] {'n', ',', ',', (byte) 0xC3}),
          SaslFailure.Condition.MALFORMED_REQUEST,
          "invalid-encoding",
          "UTF-8");
    }

    private String first(String message) {
      return new ScramServer("SHA-256", "example.org", () -> "s").clientFirst(bytes(message));
    }
  }

  @Nested
  @DisplayName("The client-final message")
  class ClientFinal {

    @Test
    @DisplayName("refuses a nonce that is not this exchange's")
    void nonceMismatch() {
      refused(
          () -> finalMessage(SHA1_CLIENT_FINAL.replace("Y1ZV", "Y1ZW")),
          SaslFailure.Condition.NOT_AUTHORIZED,
          "other-error",
          "nonce");
    }

    @Test
    @DisplayName("refuses a proof that is not base64, or not a hash long")
    void badProof() {
      refused(
          () -> finalMessage(SHA1_CLIENT_FINAL.replace("p=v0X8", "p=v0X*")),
          SaslFailure.Condition.MALFORMED_REQUEST,
          "invalid-encoding",
          "p=");
      refused(
          () -> finalMessage(SHA1_CLIENT_FINAL.replace("p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "p=AAAA")),
          SaslFailure.Condition.MALFORMED_REQUEST,
          "invalid-proof",
          "3 bytes");
    }

    @Test
    @DisplayName("refuses a message without a proof, a nonce or a channel binding")
    void missingParts() {
      refused(
          () -> finalMessage("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"),
          SaslFailure.Condition.MALFORMED_REQUEST,
          null,
          "p=");
      refused(
          () -> finalMessage("c=biws,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
          SaslFailure.Condition.MALFORMED_REQUEST,
          null,
          "r=");
      refused(
          () ->
              finalMessage(
                  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
          SaslFailure.Condition.MALFORMED_REQUEST,
          null,
          "c=");
    }

    @Test
    @DisplayName("refuses a channel binding that is not the first message's GS2 header")
    void channelBindingMismatch() {
      // "eSws" is "y,,": the client claims another header than the "n,," it sent.
      refused(
          () -> finalMessage(SHA1_CLIENT_FINAL.replace("c=biws", "c=eSws")),
          SaslFailure.Condition.NOT_AUTHORIZED,
          "channel-bindings-dont-match",
          "GS2 header");
    }

    private ScramServer.Result finalMessage(String message) {
      ScramServer scram = new ScramServer("SHA-1", null, () -> SHA1_SERVER_NONCE);
      scram.clientFirst(bytes(SHA1_CLIENT_FIRST));
      scram.serverFirst(secrets("SHA-1", "pencil", SHA1_SALT));
      return scram.clientFinal(bytes(message));
    }
  }

  static void refused(
      ThrowingCallable call, SaslFailure.Condition condition, String scramError, String reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            SaslFailure.class,
            f -> {
              assertThat(f.condition()).isEqualTo(condition);
              assertThat(f.scramError()).isEqualTo(scramError);
            })
        .hasMessageContaining(reason);
  }

  private static Owners.Scram secrets(String hash, String password, String salt) {
    return ScramSecrets.derive(hash, password, Base64.getDecoder().decode(salt), 4096);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
