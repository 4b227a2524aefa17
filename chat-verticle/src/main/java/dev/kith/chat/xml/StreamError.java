package dev.kith.chat.xml;

import java.util.Objects;

/**
 * Why a stream must end: a defined condition of RFC 6120 §4.9.3 (the element name, such as {@code
 * "policy-violation"}) and a text for humans (or null). {@link #toElement()} is the {@code
 * <stream:error/>} to send before closing.
 */
public record StreamError(String condition, String text) {

  /** The namespace of the conditions. */
  public static final String NAMESPACE = "urn:ietf:params:xml:ns:xmpp-streams";

  public static final String BAD_FORMAT = "bad-format";
  public static final String BAD_NAMESPACE_PREFIX = "bad-namespace-prefix";
  public static final String CONFLICT = "conflict";
  public static final String CONNECTION_TIMEOUT = "connection-timeout";
  public static final String HOST_GONE = "host-gone";
  public static final String HOST_UNKNOWN = "host-unknown";
  public static final String IMPROPER_ADDRESSING = "improper-addressing";
  public static final String INTERNAL_SERVER_ERROR = "internal-server-error";
  public static final String INVALID_FROM = "invalid-from";
  public static final String INVALID_NAMESPACE = "invalid-namespace";
  public static final String INVALID_XML = "invalid-xml";
  public static final String NOT_AUTHORIZED = "not-authorized";
  public static final String NOT_WELL_FORMED = "not-well-formed";
  public static final String POLICY_VIOLATION = "policy-violation";
  public static final String REMOTE_CONNECTION_FAILED = "remote-connection-failed";
  public static final String RESET = "reset";
  public static final String RESOURCE_CONSTRAINT = "resource-constraint";
  public static final String RESTRICTED_XML = "restricted-xml";
  public static final String SEE_OTHER_HOST = "see-other-host";
  public static final String SYSTEM_SHUTDOWN = "system-shutdown";
  public static final String UNDEFINED_CONDITION = "undefined-condition";
  public static final String UNSUPPORTED_ENCODING = "unsupported-encoding";
  public static final String UNSUPPORTED_FEATURE = "unsupported-feature";
  public static final String UNSUPPORTED_STANZA_TYPE = "unsupported-stanza-type";
  public static final String UNSUPPORTED_VERSION = "unsupported-version";

  public StreamError {
    XmlChars.checkName(Objects.requireNonNull(condition, "condition"), "condition");
  }

  /**
   * {@code <stream:error><condition xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text ...>}, the
   * text in English when there is one.
   */
  public XmlElement toElement() {
    XmlElement.Builder error =
        XmlElement.builder("error", XmppStreamParser.STREAMS)
            .child(XmlElement.builder(condition, NAMESPACE).build());
    if (text != null) {
      error.child(XmlElement.builder("text", NAMESPACE).attr("xml:lang", "en").text(text).build());
    }
    return error.build();
  }
}
