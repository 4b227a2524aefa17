package dev.kith.chat;

import dev.kith.chat.xml.XmlElement;

/** Replies every part of chat builds: stanza errors (RFC 6120 §8.3) and IQ results. */
public final class Stanzas {

  private Stanzas() {}

  /**
   * The error reply to {@code stanza}: its {@code to} and {@code from} swapped, its {@code id}
   * kept, {@code type="error"} and an {@code <error>} with the condition and, if given, a text.
   *
   * @param type the error type: cancel, continue, modify, auth or wait
   * @param condition a defined condition of RFC 6120 §8.3.3, such as {@code service-unavailable}
   */
  public static XmlElement error(XmlElement stanza, String type, String condition, String text) {
    XmlElement.Builder error =
        XmlElement.builder("error", Ns.CLIENT)
            .attr("type", type)
            .child(XmlElement.builder(condition, Ns.STANZA_ERRORS).build());
    if (text != null) {
      error.child(
          XmlElement.builder("text", Ns.STANZA_ERRORS).attr("xml:lang", "en").text(text).build());
    }
    XmlElement.Builder reply =
        XmlElement.builder(stanza.name(), Ns.CLIENT)
            .attr("type", "error")
            .attr("id", stanza.attr("id"))
            .attr("from", stanza.attr("to"))
            .attr("to", stanza.attr("from"));
    if (!"iq".equals(stanza.name())) {
      stanza.children().stream().filter(c -> c.name().equals("body")).forEach(reply::child);
    }
    return reply.child(error.build()).build();
  }

  /** An empty {@code type="result"} answer to {@code iq}. */
  public static XmlElement result(XmlElement iq) {
    return result(iq, null);
  }

  /** A {@code type="result"} answer to {@code iq} carrying {@code payload} (or none). */
  public static XmlElement result(XmlElement iq, XmlElement payload) {
    XmlElement.Builder reply =
        XmlElement.builder("iq", Ns.CLIENT)
            .attr("type", "result")
            .attr("id", iq.attr("id"))
            .attr("from", iq.attr("to"))
            .attr("to", iq.attr("from"));
    if (payload != null) {
      reply.child(payload);
    }
    return reply.build();
  }

  /** Whether {@code stanza} is an error or a result, which must never be answered with an error. */
  public static boolean isAnswer(XmlElement stanza) {
    String type = stanza.attr("type");
    return "error".equals(type) || ("iq".equals(stanza.name()) && "result".equals(type));
  }

  /** The first child element of {@code iq}: the payload whose namespace says what it asks. */
  public static XmlElement payload(XmlElement iq) {
    return iq.children().isEmpty() ? null : iq.children().get(0);
  }
}
