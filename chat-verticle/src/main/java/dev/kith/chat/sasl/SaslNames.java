package dev.kith.chat.sasl;

import dev.kith.chat.Jid;
import dev.kith.mesh.spi.SaslPrep;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What the mechanisms share about names: strict UTF-8, SASLprep of user names, and which
 * authorization identities a user may ask for.
 */
final class SaslNames {

  /** The longest user name or authorization identity, in UTF-8 bytes: a bare JID. */
  static final int MAX_NAME_BYTES = 2047;

  private SaslNames() {}

  /** {@code bytes} as UTF-8, refusing anything that is not. */
  static String utf8(byte[] bytes, String what) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw SaslFailure.malformed("invalid-encoding", what + " is not UTF-8");
    }
  }

  /**
   * A user name or authorization identity after SASLprep ({@link SaslPrep#prepareStrict}); not
   * case-folded, since the session maps it to an owner.
   */
  static String prepare(String name, String what, String scramError) {
    if (name.isEmpty()) {
      throw SaslFailure.malformed(what + " is empty");
    }
    String prepared;
    try {
      prepared = SaslPrep.prepareStrict(name);
    } catch (IllegalArgumentException e) {
      throw SaslFailure.malformed(scramError, what + ": " + e.getMessage());
    }
    if (prepared.isEmpty() || prepared.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw SaslFailure.malformed(
          scramError, what + " must be 1 to " + MAX_NAME_BYTES + " bytes after SASLprep");
    }
    return prepared;
  }

  /**
   * Refuses {@code authzid} unless it is empty, the user name itself, or the user's bare JID
   * ({@code user@domain}, compared as JIDs are): a client may only act as itself.
   *
   * @param domain the domain the client's stream is for, or {@code null} to take only the user name
   */
  static void checkAuthzid(String user, String authzid, String domain) {
    if (authzid.isEmpty() || authzid.equals(user)) {
      return;
    }
    Jid asked = Jid.parseOrNull(authzid);
    Jid self =
        user.indexOf('@') >= 0
            ? Jid.parseOrNull(user)
            : domain == null ? null : Jid.parseOrNull(user + "@" + domain);
    if (asked == null || self == null || !asked.isBare() || !asked.equals(self.bare())) {
      throw new SaslFailure(
          SaslFailure.Condition.INVALID_AUTHZID,
          null,
          "the authorization identity must be empty or the user's own bare JID");
    }
  }
}
