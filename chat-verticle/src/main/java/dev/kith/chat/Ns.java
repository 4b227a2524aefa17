package dev.kith.chat;

/** The XML namespaces chat speaks. */
public final class Ns {
  public static final String CLIENT = "jabber:client";
  public static final String STREAMS = "http://etherx.jabber.org/streams";
  public static final String STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams";
  public static final String STANZA_ERRORS = "urn:ietf:params:xml:ns:xmpp-stanzas";
  public static final String TLS = "urn:ietf:params:xml:ns:xmpp-tls";
  public static final String SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
  public static final String BIND = "urn:ietf:params:xml:ns:xmpp-bind";
  public static final String SESSION = "urn:ietf:params:xml:ns:xmpp-session";
  public static final String ROSTER = "jabber:iq:roster";
  public static final String ROSTER_VER = "urn:xmpp:features:rosterver";
  public static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
  public static final String DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
  public static final String CAPS = "http://jabber.org/protocol/caps";
  public static final String PING = "urn:xmpp:ping";
  public static final String VCARD = "vcard-temp";
  public static final String BLOCKING = "urn:xmpp:blocking";
  public static final String CARBONS = "urn:xmpp:carbons:2";
  public static final String FORWARD = "urn:xmpp:forward:0";
  public static final String MAM = "urn:xmpp:mam:2";
  public static final String RSM = "http://jabber.org/protocol/rsm";
  public static final String DATA_FORMS = "jabber:x:data";
  public static final String STANZA_ID = "urn:xmpp:sid:0";
  public static final String DELAY = "urn:xmpp:delay";
  public static final String SM = "urn:xmpp:sm:3";
  public static final String CSI = "urn:xmpp:csi:0";
  public static final String PUBSUB = "http://jabber.org/protocol/pubsub";
  public static final String PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
  public static final String PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner";
  public static final String HINTS = "urn:xmpp:hints";
  public static final String FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

  private Ns() {}
}
