package dev.kith.chat.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Reading one complete element: WebSocket frames and stanzas off the bus (parse)")
class XmlElementParseTest {

  private static final String CLIENT = "jabber:client";
  private static final String FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

  /** The stream error that parsing {@code xml} fails with. */
  private static StreamError refusal(String xml, XmlLimits limits) {
    StreamErrorException e =
        catchThrowableOfType(
            () -> XmlElement.parse(xml, CLIENT, limits), StreamErrorException.class);
    assertThat(e).as("refused: %s", xml).isNotNull();
    return e.error();
  }

  @Test
  @DisplayName("An RFC 7395 <open/> frame is an element of the framing namespace")
  void openFrame() {
    XmlElement open =
        XmlElement.parse(
            "<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"example.com\""
                + " version=\"1.0\" />",
            CLIENT);

    assertThat(open.is("open", FRAMING)).isTrue();
    assertThat(open.attrs()).containsOnlyKeys("to", "version");
  }

  @Test
  @DisplayName("An unprefixed stanza without xmlns takes the default namespace given")
  void defaultNamespace() {
    XmlElement m = XmlElement.parse("<message to='a@b'><body>x</body></message>", CLIENT);

    assertThat(m.namespace()).isEqualTo(CLIENT);
    assertThat(m.child("body", CLIENT)).isNotNull();
    assertThat(XmlElement.parse("<presence/>", "jabber:server").namespace())
        .isEqualTo("jabber:server");
  }

  @Test
  @DisplayName("A frame may start with an XML declaration and end with whitespace")
  void declarationAndWhitespace() {
    assertThat(XmlElement.parse("<?xml version='1.0'?>\n<presence/>\r\n ", CLIENT))
        .isEqualTo(XmlElement.builder("presence", CLIENT).build());
  }

  @Test
  @DisplayName("Prefixed elements resolve; xml:lang is kept; other prefixed attributes are dropped")
  void prefixes() {
    XmlElement f =
        XmlElement.parse(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'"
                + " xmlns:x='urn:x' x:hidden='1' xml:lang='de' plain='2'>"
                + "<x:thing/></stream:features>",
            CLIENT);

    assertThat(f.is("features", XmppStreamParser.STREAMS)).isTrue();
    assertThat(f.attrs()).containsOnlyKeys("xml:lang", "plain");
    assertThat(f.child("thing", "urn:x")).isNotNull();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "<message><!-- c --></message>|restricted-xml",
        "<message/><!-- trailing -->|restricted-xml",
        "<message><?pi x?></message>|restricted-xml",
        "<message/><?pi x?>|restricted-xml",
        "<!DOCTYPE message [<!ENTITY x 'y'>]><message>&x;</message>|restricted-xml",
        "<message>&x;</message>|restricted-xml",
        "<message a='&x;'/>|restricted-xml",
        "<message>|not-well-formed",
        "<message/><message/>|not-well-formed",
        "<message/>trailing|not-well-formed",
        "<message></presence>|not-well-formed",
        "<message>&#0;</message>|not-well-formed",
        "''|not-well-formed",
        "<?xml version='1.0' encoding='UTF-16'?><message/>|unsupported-encoding",
      })
  @DisplayName("Refused elements give the stream error condition a stream would")
  void refused(String xml, String condition) {
    assertThat(refusal(xml, XmlLimits.DEFAULTS).condition()).isEqualTo(condition);
  }

  @Test
  @DisplayName("The limits apply: size of the whole text, depth and attributes")
  void limits() {
    XmlLimits limits = new XmlLimits(100, 3, 2, 100);
    String hundred = "<m>" + "x".repeat(100 - 7) + "</m>";

    assertThat(XmlElement.parse(hundred, CLIENT, limits).text()).hasSize(93);
    assertThat(refusal(hundred + " ", limits))
        .isEqualTo(new StreamError("policy-violation", "stanza larger than 100 bytes"));
    assertThat(refusal("<a><b><c><d/></c></b></a>", limits))
        .isEqualTo(new StreamError("policy-violation", "elements nested deeper than 3 levels"));
    assertThat(refusal("<a x='1' y='2' z='3'/>", limits))
        .isEqualTo(new StreamError("policy-violation", "element with more than 2 attributes"));
  }

  @Test
  @DisplayName("A stanza written for the stream parses back equal, as it crosses the bus")
  void busRoundTrip() {
    Recorder r =
        new Recorder()
            .feed(
                "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                    + "<iq type='result' id='x'><query xmlns='jabber:iq:roster' ver='v1'>"
                    + "<item jid='a@b' name='A &amp; B' subscription='both'><group>Friends</group>"
                    + "</item></query></iq>");
    XmlElement iq = r.stanzas.get(0);

    assertThat(XmlElement.parse(iq.toXml(CLIENT), CLIENT)).isEqualTo(iq);
    assertThat(XmlElement.parse(iq.toXml(), "urn:anything")).isEqualTo(iq);
  }
}
