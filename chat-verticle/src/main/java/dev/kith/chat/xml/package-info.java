/**
 * The XML of XMPP: {@link dev.kith.chat.xml.XmlElement}, the immutable element that stanzas are
 * built, routed and sent as (crossing the event bus as its XML text), and {@link
 * dev.kith.chat.xml.XmppStreamParser}, which reads a peer's stream as its bytes arrive, within
 * {@link dev.kith.chat.xml.XmlLimits} and RFC 6120's restrictions on XML, and names the {@link
 * dev.kith.chat.xml.StreamError} that ends a stream that breaks them.
 */
package dev.kith.chat.xml;
