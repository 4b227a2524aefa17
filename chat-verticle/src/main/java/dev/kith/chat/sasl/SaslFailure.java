package dev.kith.chat.sasl;

/**
 * A SASL message refused, and why: the {@link Condition} the XMPP session puts in its {@code
 * <failure/>}, the SCRAM {@code server-error} (RFC 5802 §7) when there is one, and a message that
 * says what was wrong, for the failure's {@code <text/>} and the log. The message never holds a
 * password or a proof.
 */
public final class SaslFailure extends RuntimeException {

  /** The SASL failure conditions of RFC 6120 §6.5 that a mechanism decides. */
  public enum Condition {
    /** The authorization identity is not the authenticated one's. */
    INVALID_AUTHZID("invalid-authzid"),
    /** The message does not follow the mechanism's syntax, or asks for what is not offered. */
    MALFORMED_REQUEST("malformed-request"),
    /** The message is well formed but cannot succeed (a channel binding that does not match). */
    NOT_AUTHORIZED("not-authorized");

    private final String element;

    Condition(String element) {
      this.element = element;
    }

    /** The name of the condition's element, as in {@code <malformed-request/>}. */
    public String element() {
      return element;
    }
  }

  private final Condition condition;
  private final String scramError;

  SaslFailure(Condition condition, String scramError, String message) {
    super(message, null, false, false);
    this.condition = condition;
    this.scramError = scramError;
  }

  static SaslFailure malformed(String message) {
    return new SaslFailure(Condition.MALFORMED_REQUEST, null, message);
  }

  static SaslFailure malformed(String scramError, String message) {
    return new SaslFailure(Condition.MALFORMED_REQUEST, scramError, message);
  }

  public Condition condition() {
    return condition;
  }

  /**
   * RFC 5802's name for the error ({@code channel-binding-not-supported}, {@code
   * extensions-not-supported}, {@code invalid-encoding}, ...), or {@code null} outside SCRAM.
   */
  public String scramError() {
    return scramError;
  }
}
