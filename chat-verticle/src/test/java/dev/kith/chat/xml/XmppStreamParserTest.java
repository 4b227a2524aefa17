package dev.kith.chat.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading an XMPP stream as its bytes arrive (XmppStreamParser)")
class XmppStreamParserTest {

  /** The opening Gajim (nbxmpp) sends, declaration included. */
  private static final String GAJIM_OPEN =
      "<?xml version='1.0'?><stream:stream xmlns=\"jabber:client\" version=\"1.0\""
          + " xmlns:stream=\"http://etherx.jabber.org/streams\" to=\"example.org\""
          + " xml:lang=\"en\">";

  /** The opening slixmpp sends. */
  private static final String SLIXMPP_OPEN =
      "<?xml version='1.0'?><stream:stream to='example.org'"
          + " xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'"
          + " xml:lang='en' version='1.0'>";

  /** A client's stream after SASL: bind, presence, a message, a keepalive and the close. */
  private static final String SESSION =
      SLIXMPP_OPEN
          + "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
          + "<resource>gajim.X1</resource></bind></iq>"
          + "<presence><show>away</show><c xmlns='http://jabber.org/protocol/caps'"
          + " hash='sha-1' node='https://gajim.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/></presence>"
          + "\n"
          + "<message to='juliet@example.com' type='chat' id='m1'>"
          + "<body>Hi &amp; bye &#x1F600; \uD83C\uDF89</body></message>"
          + " \n\t "
          + "</stream:stream>";

  private static final List<String> SESSION_EVENTS =
      List.of(
          "open jabber:client",
          "stanza <iq type=\"set\" id=\"bind_1\"><bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\">"
              + "<resource>gajim.X1</resource></bind></iq>",
          "stanza <presence><show>away</show><c xmlns=\"http://jabber.org/protocol/caps\""
              + " hash=\"sha-1\" node=\"https://gajim.org\" ver=\"q07IKJEyjvHSyhy//CH0CxmKi8w=\"/>"
              + "</presence>",
          "stanza <message to=\"juliet@example.com\" type=\"chat\" id=\"m1\">"
              + "<body>Hi &amp; bye \uD83D\uDE00 \uD83C\uDF89</body></message>",
          "closed");

  @Test
  @DisplayName("Gajim's opening gives the header, its attributes and jabber:client")
  void gajimOpening() {
    Recorder r = new Recorder().feed(GAJIM_OPEN);

    assertThat(r.events).containsExactly("open jabber:client");
    assertThat(r.header.name()).isEqualTo("stream");
    assertThat(r.header.namespace()).isEqualTo(XmppStreamParser.STREAMS);
    assertThat(r.header.attrs())
        .containsExactly(
            entry("version", "1.0"), entry("to", "example.org"), entry("xml:lang", "en"));
  }

  @Test
  @DisplayName("slixmpp's opening followed by STARTTLS gives the header then <starttls/>")
  void slixmppStartTls() {
    Recorder r =
        new Recorder().feed(SLIXMPP_OPEN, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");

    assertThat(r.events)
        .containsExactly(
            "open jabber:client", "stanza <starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>");
    assertThat(r.stanzas.get(0).is("starttls", "urn:ietf:params:xml:ns:xmpp-tls")).isTrue();
  }

  @Test
  @DisplayName("A whole session in one buffer gives each stanza in order and the close")
  void wholeSession() {
    assertThat(new Recorder().feed(SESSION).events).isEqualTo(SESSION_EVENTS);
  }

  @Test
  @DisplayName("A session fed one byte at a time gives the same events, emoji included")
  void oneByteAtATime() {
    Recorder r = new Recorder().feedOneByteAtATime(SESSION);

    assertThat(r.events).isEqualTo(SESSION_EVENTS);
    assertThat(r.stanzas.get(2).childText("body", "jabber:client"))
        .isEqualTo("Hi & bye \uD83D\uDE00 \uD83C\uDF89");
  }

  @Test
  @DisplayName("A session split in two at any byte gives the same events")
  void anySplit() {
    byte[] bytes = SESSION.getBytes(StandardCharsets.UTF_8);
    for (int at = 0; at <= bytes.length; at++) {
      Recorder r = new Recorder();
      r.parser.feed(bytes, 0, at);
      r.parser.feed(bytes, at, bytes.length - at);
      assertThat(r.events).as("split at %d", at).isEqualTo(SESSION_EVENTS);
    }
  }

  @Test
  @DisplayName("Bytes fed from the middle of a larger array are read from there")
  void offsetInArray() {
    byte[] session = SESSION.getBytes(StandardCharsets.UTF_8);
    byte[] padded = new byte[session.length + 20];
    System.arraycopy(session, 0, padded, 10, session.length);
    Arrays.fill(padded, 0, 10, (byte) 'x');
    Arrays.fill(padded, 10 + session.length, padded.length, (byte) 'y');
    Recorder r = new Recorder();

    for (int i = 0; i < session.length; i += 7) {
      r.parser.feed(padded, 10 + i, Math.min(7, session.length - i));
    }

    assertThat(r.events).isEqualTo(SESSION_EVENTS);
  }

  @Test
  @DisplayName("Two stanzas in one buffer are two stanzas")
  void twoStanzasInOneBuffer() {
    Recorder r = new Recorder().feed(SLIXMPP_OPEN, "<presence/><iq type='get' id='1'/>");

    assertThat(r.events)
        .containsExactly(
            "open jabber:client", "stanza <presence/>", "stanza <iq type=\"get\" id=\"1\"/>");
  }

  @Test
  @DisplayName("Whitespace keepalives between stanzas give no events and no error")
  void keepalives() {
    Recorder r = new Recorder().feed(SLIXMPP_OPEN, " ", "<presence/>", "\n", " ", "\r\n\t");
    for (int i = 0; i < 1000; i++) {
      r.feed(" ");
    }
    r.feed("<r xmlns='urn:xmpp:sm:3'/>");

    assertThat(r.events)
        .containsExactly(
            "open jabber:client", "stanza <presence/>", "stanza <r xmlns=\"urn:xmpp:sm:3\"/>");
  }

  @Test
  @DisplayName("Prefixed stream elements resolve to the streams namespace, their children too")
  void prefixedFeatures() {
    Recorder r =
        new Recorder()
            .feed(
                "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'"
                    + " xmlns:db='jabber:server:dialback' from='a.example' version='1.0'>",
                "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
                    + "</starttls><db:dialback/></stream:features>");

    assertThat(r.events).first().isEqualTo("open jabber:server");
    XmlElement features = r.stanzas.get(0);
    assertThat(features.is("features", XmppStreamParser.STREAMS)).isTrue();
    XmlElement starttls = features.child("starttls", "urn:ietf:params:xml:ns:xmpp-tls");
    assertThat(starttls.child("required", "urn:ietf:params:xml:ns:xmpp-tls")).isNotNull();
    assertThat(features.child("dialback", "jabber:server:dialback")).isNotNull();
  }

  @Test
  @DisplayName("Carbons keep each element's namespace, the forwarded message's jabber:client too")
  void carbons() {
    Recorder r =
        new Recorder()
            .feed(
                SLIXMPP_OPEN,
                "<message from='romeo@montague.example' to='romeo@montague.example/home'"
                    + " type='chat'><received xmlns='urn:xmpp:carbons:2'>"
                    + "<forwarded xmlns='urn:xmpp:forward:0'>"
                    + "<message xmlns='jabber:client' from='juliet@capulet.example/balcony'"
                    + " to='romeo@montague.example/garden' type='chat'>"
                    + "<body>What man art thou?</body><thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>"
                    + "</message></forwarded></received></message>");

    XmlElement inner =
        r.stanzas
            .get(0)
            .child("received", "urn:xmpp:carbons:2")
            .child("forwarded", "urn:xmpp:forward:0")
            .child("message", "jabber:client");
    assertThat(inner.attr("from")).isEqualTo("juliet@capulet.example/balcony");
    assertThat(inner.childText("body", "jabber:client")).isEqualTo("What man art thou?");
  }

  @Test
  @DisplayName("Input after </stream:stream> is ignored")
  void afterClose() {
    Recorder r = new Recorder().feed(SLIXMPP_OPEN, "</stream:stream><presence/>", "garbage<<");

    assertThat(r.events).containsExactly("open jabber:client", "closed");
  }

  @Test
  @DisplayName("After a failure, the listener hears nothing more")
  void failsOnce() {
    Recorder r = new Recorder().feed(SLIXMPP_OPEN, "<presence></message>", "<presence/>", "<<");

    assertThat(r.events).hasSize(2);
    assertThat(r.events.get(1)).startsWith("failed not-well-formed: ");
  }

  @Test
  @DisplayName("stop() drops the rest of the chunk being read and all later input")
  void stop() {
    Recorder r =
        new Recorder() {
          @Override
          public void stanza(XmlElement stanza) {
            super.stanza(stanza);
            parser.stop(); // as a session does on <starttls/>: TLS bytes follow
          }
        };

    r.feed(SLIXMPP_OPEN + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\u0016\u0003\u0001");
    r.feed("<presence/>");

    assertThat(r.events)
        .containsExactly(
            "open jabber:client", "stanza <starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>");
  }

  @Test
  @DisplayName("A listener that throws stops the parser and the exception reaches the caller")
  void listenerThrows() {
    Recorder r =
        new Recorder() {
          @Override
          public void stanza(XmlElement stanza) {
            throw new IllegalStateException("boom");
          }
        };
    r.feed(SLIXMPP_OPEN);

    assertThatThrownBy(() -> r.feed("<presence/><presence/>"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("boom");
    r.feed("<presence/>"); // ignored: no second exception
    assertThat(r.events).containsExactly("open jabber:client");
  }

  private static Map.Entry<String, String> entry(String key, String value) {
    return Map.entry(key, value);
  }
}
