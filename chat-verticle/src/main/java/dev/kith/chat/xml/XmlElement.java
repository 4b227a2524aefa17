package dev.kith.chat.xml;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable XML element as XMPP sees it: a local name in a resolved namespace (possibly ""), its
 * attributes in order, and its child elements and text in order. Prefixes are not kept: an element
 * is its namespace, so {@code <stream:features>} and {@code <features
 * xmlns='http://etherx.jabber.org/streams'>} are the same element. Attributes are the unprefixed
 * ones and {@code xml:lang} (as {@code "xml:lang"}); XMPP gives other namespaced attributes no
 * meaning, and the parser drops them.
 *
 * <p>Everything an element holds is checked when it is built: names must be XML names and text and
 * attribute values may hold only characters XML 1.0 allows, so that {@code parse(e.toXml(ns), ns)}
 * always gives back an element equal to {@code e}. That round trip is how stanzas cross the event
 * bus.
 */
public final class XmlElement implements XmlNode {

  private final String name;
  private final String namespace;
  private final Map<String, String> attrs;
  private final List<XmlNode> nodes;

  private XmlElement(Builder builder) {
    this.name = builder.name;
    this.namespace = builder.namespace;
    this.attrs =
        builder.attrs.isEmpty()
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(builder.attrs));
    this.nodes = List.copyOf(builder.nodes);
  }

  /** A builder of an element named {@code name} in {@code namespace} ("" for none). */
  public static Builder builder(String name, String namespace) {
    return new Builder(name, namespace);
  }

  /**
   * Reads one complete element, such as an XMPP-over-WebSocket frame (RFC 7395) or a stanza that
   * crossed the event bus as {@link #toXml(String)}, under the {@link XmlLimits#DEFAULTS}.
   *
   * @param defaultNamespace the namespace of unprefixed elements that declare none, as the stream's
   *     default namespace would be ({@code "jabber:client"})
   * @throws StreamErrorException with the stream error condition if the text is not one well-formed
   *     element within the limits and XMPP's restrictions on XML
   */
  public static XmlElement parse(String xml, String defaultNamespace) {
    return parse(xml, defaultNamespace, XmlLimits.DEFAULTS);
  }

  /** As {@link #parse(String, String)}, under {@code limits}. */
  public static XmlElement parse(String xml, String defaultNamespace, XmlLimits limits) {
    return XmppStreamParser.parseElement(xml, defaultNamespace, limits);
  }

  public String name() {
    return name;
  }

  public String namespace() {
    return namespace;
  }

  /** The value of attribute {@code name} (such as {@code "to"} or {@code "xml:lang"}), or null. */
  public String attr(String name) {
    return attrs.get(name);
  }

  /** The attributes, in document order. */
  public Map<String, String> attrs() {
    return attrs;
  }

  /** The child elements and text, in document order. */
  public List<XmlNode> nodes() {
    return nodes;
  }

  /** The child elements, in order. */
  public List<XmlElement> children() {
    List<XmlElement> children = new ArrayList<>(nodes.size());
    for (XmlNode node : nodes) {
      if (node instanceof XmlElement element) {
        children.add(element);
      }
    }
    return Collections.unmodifiableList(children);
  }

  /** The child elements named {@code name} in {@code namespace}, in order. */
  public List<XmlElement> children(String name, String namespace) {
    List<XmlElement> children = new ArrayList<>();
    for (XmlNode node : nodes) {
      if (node instanceof XmlElement element && element.is(name, namespace)) {
        children.add(element);
      }
    }
    return Collections.unmodifiableList(children);
  }

  /** The first child element named {@code name} in {@code namespace}, or null. */
  public XmlElement child(String name, String namespace) {
    for (XmlNode node : nodes) {
      if (node instanceof XmlElement element && element.is(name, namespace)) {
        return element;
      }
    }
    return null;
  }

  /** The text directly inside this element (not inside its children), or "" if there is none. */
  public String text() {
    String only = null;
    StringBuilder joined = null;
    for (XmlNode node : nodes) {
      if (node instanceof XmlText text) {
        if (only == null) {
          only = text.text();
        } else {
          joined = (joined == null ? new StringBuilder(only) : joined).append(text.text());
        }
      }
    }
    return joined != null ? joined.toString() : only != null ? only : "";
  }

  /** The {@link #text()} of the first child {@code name} in {@code namespace}, or null if none. */
  public String childText(String name, String namespace) {
    XmlElement child = child(name, namespace);
    return child == null ? null : child.text();
  }

  /** Whether this element is named {@code name} in {@code namespace}. */
  public boolean is(String name, String namespace) {
    return this.name.equals(name) && this.namespace.equals(namespace);
  }

  /** A builder that starts as a copy of this element, to change some attributes or children. */
  public Builder toBuilder() {
    Builder builder = new Builder(name, namespace);
    builder.attrs.putAll(attrs);
    builder.nodes.addAll(nodes);
    return builder;
  }

  /** This element as a standalone document: it declares its own namespace. */
  public String toXml() {
    return toXml("");
  }

  /**
   * This element as XML to write inside a parent whose default namespace is {@code
   * parentNamespace}: {@code xmlns} is written only where an element's namespace differs from the
   * one in scope, so a stanza in {@code "jabber:client"} written for a client stream carries none.
   * Elements of the streams namespace are written with the {@code stream:} prefix and its
   * declaration ({@code <stream:features xmlns:stream="...">}), as clients expect them.
   */
  public String toXml(String parentNamespace) {
    return XmlWriter.write(this, parentNamespace);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof XmlElement other
        && name.equals(other.name)
        && namespace.equals(other.namespace)
        && attrs.equals(other.attrs)
        && nodes.equals(other.nodes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, namespace, attrs, nodes);
  }

  @Override
  public String toString() {
    return toXml();
  }

  /**
   * Builds an {@link XmlElement}. Adjacent text is joined into one run, so an element built in
   * pieces equals the same element parsed. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private final String namespace;
    private final LinkedHashMap<String, String> attrs = new LinkedHashMap<>();
    private final List<XmlNode> nodes = new ArrayList<>();
    private StringBuilder pendingText;

    private Builder(String name, String namespace) {
      this.name = XmlChars.checkName(name, "element name");
      this.namespace =
          XmlChars.checkText(Objects.requireNonNull(namespace, "namespace"), "namespace");
    }

    /**
     * Sets attribute {@code name} to {@code value}; a null value removes it, so optional attributes
     * can be passed through as they are. A name already set keeps its place.
     *
     * @throws IllegalArgumentException if the name is not an XML name (or {@code xml:} and one) or
     *     the value has a character XML does not allow
     */
    public Builder attr(String name, String value) {
      XmlChars.checkAttributeName(name);
      if (value == null) {
        attrs.remove(name);
      } else {
        attrs.put(name, XmlChars.checkText(value, "attribute " + name));
      }
      return this;
    }

    /** Adds {@code child} after what the element already holds. */
    public Builder child(XmlElement child) {
      flushText();
      nodes.add(Objects.requireNonNull(child, "child"));
      return this;
    }

    /**
     * Adds text after what the element already holds; null or "" adds nothing.
     *
     * @throws IllegalArgumentException if the text has a character XML does not allow
     */
    public Builder text(String text) {
      if (text != null && !text.isEmpty()) {
        pendingText().append(XmlChars.checkText(text, "text"));
      }
      return this;
    }

    /** Text as the parser reads it, checked when the element is built. */
    Builder text(char[] chars, int start, int length) {
      pendingText().append(chars, start, length);
      return this;
    }

    /**
     * The element.
     *
     * @throws IllegalArgumentException if text added from the parser has a character XML does not
     *     allow
     */
    public XmlElement build() {
      flushText();
      return new XmlElement(this);
    }

    private StringBuilder pendingText() {
      if (pendingText == null) {
        pendingText = new StringBuilder();
      }
      return pendingText;
    }

    private void flushText() {
      if (pendingText == null || pendingText.isEmpty()) {
        return;
      }
      String text = pendingText.toString();
      pendingText.setLength(0);
      if (!nodes.isEmpty() && nodes.get(nodes.size() - 1) instanceof XmlText previous) {
        nodes.set(nodes.size() - 1, new XmlText(previous.text() + text));
      } else {
        nodes.add(new XmlText(text));
      }
    }
  }
}
