package dev.kith.chat.sasl;

import java.util.Arrays;

/**
 * SASL PLAIN (RFC 4616): {@code [authzid] NUL authcid NUL passwd}, parsed without I/O. The session
 * offers it only on an encrypted stream, and checks the password with {@code
 * owners.checkPassword(protocol, address, owner, password)}, which applies the mesh-wide lockout
 * (and gives an owner whose password was set before SCRAM its SCRAM secrets).
 *
 * <p>The user name is SASLprepped (PLAIN has no escaping); the password is passed on as sent, not
 * SASLprepped, because the stored hash is of the password as its owner set it (over HTTP, which
 * does not prepare it either). The authorization identity must be empty, the user name, or the
 * user's bare JID.
 */
public final class PlainMechanism {

  /** The mechanism's name, as the session advertises it. */
  public static final String NAME = "PLAIN";

  /**
   * The longest password taken, in UTF-8 bytes: 1024 characters (the longest password Kith accepts)
   * of up to four bytes each.
   */
  static final int MAX_PASSWORD_BYTES = 4 * 1024;

  /** The longest message taken, in bytes. */
  public static final int MAX_MESSAGE_BYTES = 2 * SaslNames.MAX_NAME_BYTES + MAX_PASSWORD_BYTES + 2;

  private PlainMechanism() {}

  /**
   * What the client sent.
   *
   * @param user the authentication identity after SASLprep ({@code alice} or {@code alice@domain})
   * @param password the password as sent
   */
  public record Credentials(String user, String password) {
    @Override
    public String toString() {
      return "Credentials[user=" + user + ", password=(hidden)]";
    }
  }

  /**
   * Parses the initial response of a PLAIN exchange, on a stream for {@code domain} (which an
   * authorization identity may name; {@code null} to take only the user name itself).
   *
   * @throws SaslFailure saying what is wrong (never showing the password)
   */
  public static Credentials parse(byte[] message, String domain) {
    if (message.length > MAX_MESSAGE_BYTES) {
      throw SaslFailure.malformed("a PLAIN message is at most " + MAX_MESSAGE_BYTES + " bytes");
    }
    int first = indexOfNul(message, 0);
    int second = first < 0 ? -1 : indexOfNul(message, first + 1);
    if (second < 0 || indexOfNul(message, second + 1) >= 0) {
      throw SaslFailure.malformed("a PLAIN message is [authzid] NUL authcid NUL password");
    }
    int maxName = SaslNames.MAX_NAME_BYTES;
    String authzid = field(message, 0, first, "the authorization identity", maxName);
    String authcid = field(message, first + 1, second, "the user name", maxName);
    String password =
        field(message, second + 1, message.length, "the password", MAX_PASSWORD_BYTES);
    if (password.isEmpty()) {
      throw SaslFailure.malformed("the password is empty");
    }
    String user = SaslNames.prepare(authcid, "the user name", null);
    SaslNames.checkAuthzid(
        user,
        authzid.isEmpty() ? "" : SaslNames.prepare(authzid, "the authorization identity", null),
        domain);
    return new Credentials(user, password);
  }

  private static String field(byte[] message, int from, int to, String what, int maxBytes) {
    if (to - from > maxBytes) {
      throw SaslFailure.malformed(what + " is longer than " + maxBytes + " bytes");
    }
    return SaslNames.utf8(Arrays.copyOfRange(message, from, to), what);
  }

  private static int indexOfNul(byte[] message, int from) {
    for (int i = from; i < message.length; i++) {
      if (message[i] == 0) {
        return i;
      }
    }
    return -1;
  }
}
