package dev.kith.chat.xml;

import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLStreamReader;

/**
 * Builds the {@link XmlElement} trees of first-level elements from the parser's events, enforcing
 * the depth and attribute limits as each element starts. It resolves unprefixed elements itself
 * from the default namespace in scope, starting from the stream's, so that a standalone element (an
 * RFC 7395 frame) resolves as it would inside the stream.
 *
 * <p>The reader has checked the XML already; what XML allows but an {@link XmlElement} does not
 * hold (such as a character of XML 1.1) is refused as {@code not-well-formed}.
 */
final class TreeBuilder {

  private final XmlLimits limits;
  private final String streamNamespace;
  private final List<XmlElement.Builder> open = new ArrayList<>();
  private final List<String> defaults = new ArrayList<>();

  TreeBuilder(XmlLimits limits, String streamNamespace) {
    this.limits = limits;
    this.streamNamespace = streamNamespace;
  }

  /** How many elements are open: 0 between stanzas. */
  int depth() {
    return open.size();
  }

  void start(XMLStreamReader reader) {
    if (open.size() >= limits.maxDepth()) {
      throw XmppStreamParser.policyViolation(
          "elements nested deeper than " + limits.maxDepth() + " levels");
    }
    String inherited = open.isEmpty() ? streamNamespace : defaults.get(defaults.size() - 1);
    String inScope = declaredDefault(reader, inherited);
    String prefix = reader.getPrefix();
    String namespace =
        prefix == null || prefix.isEmpty() ? inScope : nullToEmpty(reader.getNamespaceURI());
    try {
      XmlElement.Builder element = XmlElement.builder(reader.getLocalName(), namespace);
      copyAttributes(reader, element, limits);
      open.add(element);
      defaults.add(inScope);
    } catch (IllegalArgumentException e) {
      throw notWellFormed(e);
    }
  }

  void text(XMLStreamReader reader) {
    open.get(open.size() - 1)
        .text(reader.getTextCharacters(), reader.getTextStart(), reader.getTextLength());
  }

  /** Closes the innermost open element; returns it if it was first-level, else null. */
  XmlElement end() {
    XmlElement element;
    try {
      element = open.remove(open.size() - 1).build();
    } catch (IllegalArgumentException e) {
      throw notWellFormed(e);
    }
    defaults.remove(defaults.size() - 1);
    if (open.isEmpty()) {
      return element;
    }
    open.get(open.size() - 1).child(element);
    return null;
  }

  /** The stream header: the element and its attributes, without children. */
  static XmlElement header(XMLStreamReader reader, XmlLimits limits) {
    try {
      XmlElement.Builder header = XmlElement.builder("stream", XmppStreamParser.STREAMS);
      copyAttributes(reader, header, limits);
      return header.build();
    } catch (IllegalArgumentException e) {
      throw notWellFormed(e);
    }
  }

  /** The default namespace the current start tag declares, or {@code inherited} if none. */
  static String declaredDefault(XMLStreamReader reader, String inherited) {
    for (int i = 0; i < reader.getNamespaceCount(); i++) {
      String prefix = reader.getNamespacePrefix(i);
      if (prefix == null || prefix.isEmpty()) {
        return nullToEmpty(reader.getNamespaceURI(i));
      }
    }
    return inherited;
  }

  private static void copyAttributes(
      XMLStreamReader reader, XmlElement.Builder element, XmlLimits limits) {
    int count = reader.getAttributeCount();
    if (count + reader.getNamespaceCount() > limits.maxAttributes()) {
      throw XmppStreamParser.policyViolation(
          "element with more than " + limits.maxAttributes() + " attributes");
    }
    for (int i = 0; i < count; i++) {
      String prefix = reader.getAttributePrefix(i);
      if (prefix == null || prefix.isEmpty()) {
        element.attr(reader.getAttributeLocalName(i), reader.getAttributeValue(i));
      } else if (prefix.equals("xml")) {
        element.attr("xml:" + reader.getAttributeLocalName(i), reader.getAttributeValue(i));
      }
    }
  }

  private static XmppStreamParser.Refusal notWellFormed(IllegalArgumentException e) {
    return new XmppStreamParser.Refusal(StreamError.NOT_WELL_FORMED, e.getMessage());
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
