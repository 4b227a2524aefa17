package dev.kith.chat.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Building and writing XML elements (XmlElement)")
class XmlElementTest {

  private static final String CLIENT = "jabber:client";

  private static XmlElement message() {
    return XmlElement.builder("message", CLIENT)
        .attr("to", "romeo@example.net")
        .attr("type", "chat")
        .attr("id", null)
        .child(XmlElement.builder("body", CLIENT).text("hi").build())
        .child(XmlElement.builder("active", "http://jabber.org/protocol/chatstates").build())
        .build();
  }

  /** Parsing {@code e} written for a jabber:client stream gives back {@code e}. */
  private static XmlElement roundTrip(XmlElement e) {
    XmlElement back = XmlElement.parse(e.toXml(CLIENT), CLIENT);
    assertThat(back).isEqualTo(e).hasSameHashCodeAs(e);
    return back;
  }

  @Test
  @DisplayName("An element answers its name, namespace, attributes, children and text")
  void accessors() {
    XmlElement m = message();

    assertThat(m.name()).isEqualTo("message");
    assertThat(m.namespace()).isEqualTo(CLIENT);
    assertThat(m.attr("to")).isEqualTo("romeo@example.net");
    assertThat(m.attr("id")).isNull();
    assertThat(m.attrs()).containsExactly(entry("to", "romeo@example.net"), entry("type", "chat"));
    assertThat(m.children()).extracting(XmlElement::name).containsExactly("body", "active");
    assertThat(m.child("body", CLIENT).text()).isEqualTo("hi");
    assertThat(m.child("body", "urn:other")).isNull();
    assertThat(m.childText("body", CLIENT)).isEqualTo("hi");
    assertThat(m.childText("subject", CLIENT)).isNull();
    assertThat(m.children("body", CLIENT)).hasSize(1);
    assertThat(m.text()).isEmpty();
  }

  @Test
  @DisplayName("text() joins the element's own text, not its children's, in order")
  void mixedContent() {
    XmlElement p =
        XmlElement.builder("p", "urn:x")
            .text("one ")
            .child(XmlElement.builder("b", "urn:x").text("two").build())
            .text("three")
            .text(" four")
            .build();

    assertThat(p.text()).isEqualTo("one three four");
    assertThat(p.nodes())
        .containsExactly(
            new XmlText("one "),
            XmlElement.builder("b", "urn:x").text("two").build(),
            new XmlText("three four"));
    assertThat(p.toXml()).isEqualTo("<p xmlns=\"urn:x\">one <b>two</b>three four</p>");
    roundTrip(p);
  }

  @Test
  @DisplayName("toBuilder() copies; a null attribute removes it; a set one keeps its place")
  void toBuilder() {
    XmlElement m = message();

    XmlElement routed =
        m.toBuilder().attr("from", "juliet@example.com/balcony").attr("to", "romeo@x").build();
    XmlElement stripped = m.toBuilder().attr("to", null).build();

    assertThat(routed.attrs().keySet()).containsExactly("to", "type", "from");
    assertThat(routed.attr("to")).isEqualTo("romeo@x");
    assertThat(routed.children()).isEqualTo(m.children());
    assertThat(stripped.attrs()).containsOnlyKeys("type");
    assertThat(m.attr("to")).isEqualTo("romeo@example.net");
  }

  @Test
  @DisplayName("A stanza in the stream's namespace is written without xmlns; others carry theirs")
  void defaultNamespaceNotRepeated() {
    assertThat(message().toXml(CLIENT))
        .isEqualTo(
            "<message to=\"romeo@example.net\" type=\"chat\"><body>hi</body>"
                + "<active xmlns=\"http://jabber.org/protocol/chatstates\"/></message>");
    assertThat(message().toXml())
        .startsWith("<message xmlns=\"jabber:client\" to=")
        .contains("<body>hi</body>");
    roundTrip(message());
  }

  @Test
  @DisplayName("Carbons round trip: the forwarded message keeps jabber:client and declares it")
  void carbons() {
    XmlElement inner =
        XmlElement.builder("message", CLIENT)
            .attr("from", "juliet@capulet.example/balcony")
            .child(XmlElement.builder("body", CLIENT).text("What man art thou?").build())
            .build();
    XmlElement carbon =
        XmlElement.builder("message", CLIENT)
            .attr("to", "romeo@montague.example/home")
            .child(
                XmlElement.builder("received", "urn:xmpp:carbons:2")
                    .child(
                        XmlElement.builder("forwarded", "urn:xmpp:forward:0").child(inner).build())
                    .build())
            .build();

    assertThat(carbon.toXml(CLIENT))
        .isEqualTo(
            "<message to=\"romeo@montague.example/home\">"
                + "<received xmlns=\"urn:xmpp:carbons:2\"><forwarded xmlns=\"urn:xmpp:forward:0\">"
                + "<message xmlns=\"jabber:client\" from=\"juliet@capulet.example/balcony\">"
                + "<body>What man art thou?</body></message></forwarded></received></message>");
    XmlElement back = roundTrip(carbon);
    assertThat(
            back.child("received", "urn:xmpp:carbons:2")
                .child("forwarded", "urn:xmpp:forward:0")
                .child("message", CLIENT))
        .isEqualTo(inner);
  }

  @Test
  @DisplayName("An element in no namespace inside a default one is written with xmlns=\"\"")
  void emptyNamespace() {
    XmlElement x =
        XmlElement.builder("x", "urn:x").child(XmlElement.builder("y", "").build()).build();

    assertThat(x.toXml()).isEqualTo("<x xmlns=\"urn:x\"><y xmlns=\"\"/></x>");
    assertThat(XmlElement.builder("y", "").build().toXml()).isEqualTo("<y/>");
    assertThat(XmlElement.parse(x.toXml(), CLIENT)).isEqualTo(x);
  }

  @Test
  @DisplayName("Stream elements are written as stream: with its declaration, and read back")
  void streamPrefix() {
    XmlElement features =
        XmlElement.builder("features", XmppStreamParser.STREAMS)
            .child(
                XmlElement.builder("starttls", "urn:ietf:params:xml:ns:xmpp-tls")
                    .child(
                        XmlElement.builder("required", "urn:ietf:params:xml:ns:xmpp-tls").build())
                    .build())
            .child(XmlElement.builder("sm", "urn:xmpp:sm:3").build())
            .build();

    assertThat(features.toXml(CLIENT))
        .isEqualTo(
            "<stream:features xmlns:stream=\"http://etherx.jabber.org/streams\">"
                + "<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"><required/></starttls>"
                + "<sm xmlns=\"urn:xmpp:sm:3\"/></stream:features>");
    roundTrip(features);
  }

  @Test
  @DisplayName("A stream error is <stream:error> with its condition and text")
  void streamError() {
    StreamError error = new StreamError("policy-violation", "stanza larger than 262144 bytes");

    assertThat(error.toElement().toXml(CLIENT))
        .isEqualTo(
            "<stream:error xmlns:stream=\"http://etherx.jabber.org/streams\">"
                + "<policy-violation xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>"
                + "<text xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\" xml:lang=\"en\">"
                + "stanza larger than 262144 bytes</text></stream:error>");
    assertThat(new StreamError("conflict", null).toElement().children()).hasSize(1);
  }

  @Test
  @DisplayName("Text escapes &, < and > (so ]]> cannot close anything) and keeps quotes")
  void textEscaping() {
    String text = "a & b < c > d ]]> \"q\" 'a' &amp; \r\n\tend";
    XmlElement body = XmlElement.builder("body", CLIENT).text(text).build();

    assertThat(body.toXml(CLIENT))
        .isEqualTo("<body>a &amp; b &lt; c &gt; d ]]&gt; \"q\" 'a' &amp;amp; &#13;\n\tend</body>");
    assertThat(roundTrip(body).text()).isEqualTo(text);
  }

  @Test
  @DisplayName("Attribute values escape quotes, <, &, > and whitespace that parsers would change")
  void attributeEscaping() {
    String value = "say \"hi\" & <bye> 'now'\ttab\nline\rreturn";
    XmlElement e = XmlElement.builder("x", CLIENT).attr("v", value).build();

    assertThat(e.toXml(CLIENT))
        .isEqualTo(
            "<x v=\"say &quot;hi&quot; &amp; &lt;bye&gt; 'now'&#9;tab&#10;line&#13;return\"/>");
    assertThat(roundTrip(e).attr("v")).isEqualTo(value);
  }

  @Test
  @DisplayName("Characters outside the BMP (emoji) and the highest allowed ones round trip")
  void nonBmp() {
    String text = "\uD83D\uDE00 \uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08 \uDBFF\uDFFF \uFFFD \u00e9";
    XmlElement e =
        XmlElement.builder("body", CLIENT)
            .attr("alt", text)
            .text(text)
            .attr("xml:lang", "fr")
            .build();

    XmlElement back = roundTrip(e);
    assertThat(back.text()).isEqualTo(text);
    assertThat(back.attr("alt")).isEqualTo(text);
    assertThat(back.attr("xml:lang")).isEqualTo("fr");
  }

  @ParameterizedTest(name = "U+{0}")
  @ValueSource(strings = {"0000", "0001", "0008", "000B", "001F", "FFFE", "FFFF", "D800", "DC00"})
  @DisplayName("Text or attribute values with a character XML 1.0 forbids are refused")
  void forbiddenCharacters(String hex) {
    String bad = "a" + (char) Integer.parseInt(hex, 16) + "b";
    XmlElement.Builder builder = XmlElement.builder("body", CLIENT);

    assertThatThrownBy(() -> builder.text(bad)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.attr("v", bad)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new XmlText(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("A surrogate pair cut in half is refused at either end")
  void halfSurrogatePair() {
    assertThatThrownBy(() -> new XmlText("x\uD83D")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new XmlText("\uDE00x")).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "1a", "a b", "a:b", "a>", "-a", "a\"", "xmlns:x"})
  @DisplayName("Element names that are not XML names without a prefix are refused")
  void badElementNames(String name) {
    assertThatThrownBy(() -> XmlElement.builder(name, CLIENT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "xmlns", "xmlns:x", "foo:bar", "a b", "a=b", "xml:"})
  @DisplayName("Attribute names other than XML names and xml: ones are refused")
  void badAttributeNames(String name) {
    assertThatThrownBy(() -> XmlElement.builder("x", CLIENT).attr(name, "v"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("Elements are equal when name, namespace, attributes and content are")
  void equality() {
    XmlElement a = XmlElement.builder("x", "urn:a").attr("k", "v").text("t").build();

    assertThat(a).isEqualTo(XmlElement.builder("x", "urn:a").attr("k", "v").text("t").build());
    assertThat(
            List.of(
                XmlElement.builder("x", "urn:b").attr("k", "v").text("t").build(),
                XmlElement.builder("y", "urn:a").attr("k", "v").text("t").build(),
                XmlElement.builder("x", "urn:a").attr("k", "w").text("t").build(),
                XmlElement.builder("x", "urn:a").attr("k", "v").text("u").build(),
                XmlElement.builder("x", "urn:a").attr("k", "v").build()))
        .allSatisfy(other -> assertThat(other).isNotEqualTo(a));
  }

  private static java.util.Map.Entry<String, String> entry(String key, String value) {
    return java.util.Map.entry(key, value);
  }
}
