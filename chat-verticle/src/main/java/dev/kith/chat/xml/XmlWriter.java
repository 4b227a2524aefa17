package dev.kith.chat.xml;

import java.util.Map;

/** Writes {@link XmlElement}s as XML text, escaping so that the parser reads back the same. */
final class XmlWriter {

  private XmlWriter() {}

  static String write(XmlElement element, String parentNamespace) {
    StringBuilder out = new StringBuilder(128);
    element(element, parentNamespace, out);
    return out.toString();
  }

  private static void element(XmlElement element, String inScope, StringBuilder out) {
    out.append('<');
    boolean prefixed = element.namespace().equals(XmppStreamParser.STREAMS);
    String childScope;
    if (prefixed) {
      // Clients match <stream:features> and <stream:error> by their prefix, and declaring it here
      // keeps the element standalone (as RFC 7395 frames must be); the default namespace in scope
      // is unchanged for the children.
      out.append("stream:").append(element.name());
      out.append(" xmlns:stream=\"").append(XmppStreamParser.STREAMS).append('"');
      childScope = inScope;
    } else {
      out.append(element.name());
      if (!element.namespace().equals(inScope)) {
        out.append(" xmlns=\"");
        escape(element.namespace(), true, out);
        out.append('"');
      }
      childScope = element.namespace();
    }
    for (Map.Entry<String, String> attr : element.attrs().entrySet()) {
      out.append(' ').append(attr.getKey()).append("=\"");
      escape(attr.getValue(), true, out);
      out.append('"');
    }
    if (element.nodes().isEmpty()) {
      out.append("/>");
      return;
    }
    out.append('>');
    for (XmlNode node : element.nodes()) {
      if (node instanceof XmlElement child) {
        element(child, childScope, out);
      } else {
        escape(((XmlText) node).text(), false, out);
      }
    }
    out.append("</");
    if (prefixed) {
      out.append("stream:");
    }
    out.append(element.name()).append('>');
  }

  /**
   * Appends {@code text} escaped. {@code >} is always escaped, so {@code ]]>} cannot appear; a
   * carriage return becomes a character reference, since a parser turns a raw one into a line feed;
   * in attribute values tabs and line feeds do too, since a parser turns them into spaces.
   */
  private static void escape(String text, boolean attribute, StringBuilder out) {
    int length = text.length();
    int run = 0;
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c > '>') {
        continue; // every character that needs escaping sorts before '>'
      }
      String replacement = replacement(c, attribute);
      if (replacement != null) {
        out.append(text, run, i).append(replacement);
        run = i + 1;
      }
    }
    out.append(text, run, length);
  }

  private static String replacement(char c, boolean attribute) {
    switch (c) {
      case '&':
        return "&amp;";
      case '<':
        return "&lt;";
      case '>':
        return "&gt;";
      case '\r':
        return "&#13;";
      case '"':
        return attribute ? "&quot;" : null;
      case '\n':
        return attribute ? "&#10;" : null;
      case '\t':
        return attribute ? "&#9;" : null;
      default:
        return null;
    }
  }
}
