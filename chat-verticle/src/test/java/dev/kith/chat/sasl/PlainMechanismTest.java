package dev.kith.chat.sasl;

import static dev.kith.chat.sasl.ScramServerTest.refused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.chat.sasl.SaslFailure.Condition;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Parsing SASL PLAIN's {@code [authzid] NUL authcid NUL passwd}. */
class PlainMechanismTest {

  @Test
  @DisplayName("Takes a user name and a password, with no authorization identity")
  void plain() {
    PlainMechanism.Credentials c = parse("\0alice\0correct horse");

    assertThat(c.user()).isEqualTo("alice");
    assertThat(c.password()).isEqualTo("correct horse");
    assertThat(c.toString()).doesNotContain("correct horse");
  }

  @Test
  @DisplayName("Takes an authorization identity that is the user or the user's bare JID")
  void ownAuthzid() {
    assertThat(parse("alice\0alice\0pw").user()).isEqualTo("alice");
    assertThat(parse("alice@example.org\0alice\0pw").user()).isEqualTo("alice");
    assertThat(parse("alice@example.org\0alice@example.org\0pw").user())
        .isEqualTo("alice@example.org");
  }

  @Test
  @DisplayName("Refuses another authorization identity, or a full JID")
  void otherAuthzid() {
    refused(() -> parse("bob\0alice\0pw"), Condition.INVALID_AUTHZID, null, "authorization");
    refused(() -> parse("bob@example.org\0alice\0pw"), Condition.INVALID_AUTHZID, null, "bare JID");
    refused(
        () -> parse("alice@example.org/phone\0alice\0pw"),
        Condition.INVALID_AUTHZID,
        null,
        "bare JID");
  }

  @Test
  @DisplayName("SASLpreps the user name but passes the password on as sent")
  void preparation() {
    PlainMechanism.Credentials c = parse("\0\uFF41lice\0p\u00ADw\u2168");

    assertThat(c.user()).isEqualTo("alice");
    assertThat(c.password()).isEqualTo("p\u00ADw\u2168");
  }

  @Test
  @DisplayName("Refuses a message without exactly two NULs, or with an empty user or password")
  void malformed() {
    refused(() -> parse("alice\0pw"), Condition.MALFORMED_REQUEST, null, "NUL");
    refused(() -> parse("alicepw"), Condition.MALFORMED_REQUEST, null, "NUL");
    refused(() -> parse("\0alice\0pw\0"), Condition.MALFORMED_REQUEST, null, "NUL");
    refused(() -> parse("\0\0pw"), Condition.MALFORMED_REQUEST, null, "user name is empty");
    refused(() -> parse("\0alice\0"), Condition.MALFORMED_REQUEST, null, "password is empty");
    refused(() -> parse("\0al\u0007ice\0pw"), Condition.MALFORMED_REQUEST, null, "U+0007");
  }

  @Test
  @DisplayName("Refuses fields over their limits and bytes that are not UTF-8, hiding the password")
  void limits() {
    refused(
        () -> parse("\0" + "a".repeat(SaslNames.MAX_NAME_BYTES + 1) + "\0pw"),
        Condition.MALFORMED_REQUEST,
        null,
        "user name is longer");
    refused(
        () -> parse("\0alice\0" + "p".repeat(PlainMechanism.MAX_PASSWORD_BYTES + 1)),
        Condition.MALFORMED_REQUEST,
        null,
        "password is longer");
    refused(
        () -> PlainMechanism.parse(new byte[PlainMechanism.MAX_MESSAGE_BYTES + 1], null),
        Condition.MALFORMED_REQUEST,
        null,
        "at most");
    refused(
        () -> PlainMechanism.parse(new byte[] {0, 'a', 0, 'p', (byte) 0xFF}, null),
        Condition.MALFORMED_REQUEST,
        "invalid-encoding",
        "the password is not UTF-8");
    assertThat(parse("\0alice\0" + "\u00e9".repeat(1024)).password()).hasSize(1024);
  }

  private static PlainMechanism.Credentials parse(String message) {
    return PlainMechanism.parse(message.getBytes(StandardCharsets.UTF_8), "example.org");
  }
}
