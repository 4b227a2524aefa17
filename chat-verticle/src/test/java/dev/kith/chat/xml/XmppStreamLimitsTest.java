package dev.kith.chat.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The limits of a stream: what a peer can make the server hold")
class XmppStreamLimitsTest {

  private static final String OPEN =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
          + " to='example.org' version='1.0'>";

  private static final XmlLimits LIMITS = new XmlLimits(1000, 5, 8, 2000);

  /** A message of exactly {@code bytes} bytes. */
  private static String messageOf(int bytes) {
    String head = "<message><body>";
    String tail = "</body></message>";
    return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
  }

  @Test
  @DisplayName("A stanza of exactly the limit is read, whole or one byte at a time")
  void stanzaAtTheLimit() {
    String stanza = messageOf(1000);

    assertThat(new Recorder(LIMITS).feed(OPEN + stanza).stanzas).hasSize(1);
    assertThat(new Recorder(LIMITS).feedOneByteAtATime(OPEN + stanza).stanzas).hasSize(1);
    assertThat(new Recorder(LIMITS).feed(OPEN, "  \n", stanza, " ", stanza).stanzas).hasSize(2);
  }

  @Test
  @DisplayName("A stanza one byte over the limit is a policy-violation, whole or byte by byte")
  void stanzaOverTheLimit() {
    String stanza = messageOf(1001);

    for (Recorder r :
        new Recorder[] {
          new Recorder(LIMITS).feed(OPEN + stanza),
          new Recorder(LIMITS).feedOneByteAtATime(OPEN + stanza),
          new Recorder(LIMITS).feed(OPEN + "<presence/>" + stanza + "<presence/>"),
          new Recorder(LIMITS).feed(OPEN, "  ", stanza.substring(0, 500), stanza.substring(500))
        }) {
      assertThat(r.events)
          .contains("failed policy-violation: stanza larger than 1000 bytes")
          .noneMatch(e -> e.startsWith("stanza <message"));
    }
  }

  @Test
  @DisplayName("Stanzas are measured exactly when chunks come from the middle of larger arrays")
  void limitsWithArrayOffsets() {
    assertThat(feedFromOffsets(OPEN + messageOf(1000) + "\n" + messageOf(1000)).events)
        .hasSize(3)
        .allMatch(e -> !e.startsWith("failed"));
    assertThat(feedFromOffsets(OPEN + messageOf(1000) + "\n" + messageOf(1001)).events)
        .hasSize(3)
        .last()
        .isEqualTo("failed policy-violation: stanza larger than 1000 bytes");
  }

  /** Feeds {@code text} in chunks of 7 bytes, each at offset 3 of its own 20-byte array. */
  private static Recorder feedFromOffsets(String text) {
    Recorder r = new Recorder(LIMITS);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += 7) {
      byte[] chunk = new byte[20];
      int n = Math.min(7, bytes.length - i);
      System.arraycopy(bytes, i, chunk, 3, n);
      r.parser.feed(chunk, 3, n);
    }
    return r;
  }

  @Test
  @DisplayName("A never-ending stanza is refused once the limit is reached, before its end")
  void neverEndingStanza() {
    Recorder r = new Recorder(LIMITS).feed(OPEN, "<message><body>");
    int fed = "<message><body>".length();
    while (r.error == null && fed < 100_000) {
      r.feed("y".repeat(100));
      fed += 100;
    }

    assertThat(r.events)
        .containsExactly(
            "open jabber:client", "failed policy-violation: stanza larger than 1000 bytes");
    assertThat(fed).isLessThanOrEqualTo(1000 + 100);
  }

  @Test
  @DisplayName("A never-ending start tag counts as a stanza, not as bytes between stanzas")
  void neverEndingStartTag() {
    XmlLimits limits = new XmlLimits(5000, 5, 8, 200);
    String tag = "<message to='" + "a".repeat(4000) + "'/>";

    assertThat(new Recorder(limits).feed(OPEN, tag.substring(0, 2000), tag.substring(2000)).stanzas)
        .hasSize(1);
    Recorder endless = new Recorder(limits).feed(OPEN, "<message to='");
    for (int i = 0; i < 100 && endless.error == null; i++) {
      endless.feed("a".repeat(100));
    }
    assertThat(endless.error)
        .isEqualTo(new StreamError("policy-violation", "stanza larger than 5000 bytes"));
  }

  @Test
  @DisplayName("Elements nested to the depth limit are read; one level deeper is refused")
  void depth() {
    String five = "<a><b><c><d><e/></d></c></b></a>";
    String six = "<a><b><c><d><e><f/></e></d></c></b></a>";

    assertThat(new Recorder(LIMITS).feed(OPEN, five).stanzas).hasSize(1);
    assertThat(new Recorder(LIMITS).feed(OPEN, six).error)
        .isEqualTo(new StreamError("policy-violation", "elements nested deeper than 5 levels"));
  }

  @Test
  @DisplayName("An element with the most attributes allowed is read; one more is refused")
  void attributes() {
    String eight = "<iq a='1' b='2' c='3' d='4' e='5' f='6' g='7' h='8'/>";
    String nine = "<iq a='1' b='2' c='3' d='4' e='5' f='6' g='7' h='8' i='9'/>";
    String eightWithDeclaration = "<iq xmlns:x='urn:x' a='1' b='2' c='3' d='4' e='5' f='6' g='7'/>";
    String nineWithDeclaration =
        "<iq><q xmlns='urn:q' a='1' b='2' c='3' d='4' e='5' f='6' g='7'" + " h='8'/></iq>";

    assertThat(new Recorder(LIMITS).feed(OPEN, eight, eightWithDeclaration).stanzas).hasSize(2);
    for (String refused : new String[] {nine, nineWithDeclaration}) {
      assertThat(new Recorder(LIMITS).feed(OPEN, refused).error)
          .isEqualTo(new StreamError("policy-violation", "element with more than 8 attributes"));
    }
  }

  @Test
  @DisplayName("The stream header counts against the limit on bytes before the first stanza")
  void headerLimit() {
    String header = OPEN.replace("version='1.0'", "version='1.0' id='" + "i".repeat(1500) + "'");

    assertThat(new Recorder(LIMITS).feed(header).events).containsExactly("open jabber:client");
    Recorder endless = new Recorder(LIMITS).feed("<stream:stream id='");
    for (int i = 0; i < 100 && endless.error == null; i++) {
      endless.feed("i".repeat(100));
    }
    assertThat(endless.error)
        .isEqualTo(new StreamError("policy-violation", "stream header larger than 2000 bytes"));
  }

  @Test
  @DisplayName("A header over the limit is refused even when it arrives in one buffer")
  void headerOverLimitInOneBuffer() {
    String header = OPEN.replace("version='1.0'", "version='1.0' id='" + "i".repeat(2000) + "'");

    assertThat(new Recorder(LIMITS).feed(header + "<presence/>").events)
        .containsExactly("failed policy-violation: stream header larger than 2000 bytes");
  }

  @Test
  @DisplayName("Whitespace up to the limit between stanzas is fine; a flood past it is refused")
  void whitespaceFlood() {
    assertThat(new Recorder(LIMITS).feed(OPEN, " ".repeat(2000), "<presence/>").events)
        .containsExactly("open jabber:client", "stanza <presence/>");
    assertThat(
            new Recorder(LIMITS)
                .feed(OPEN, "<presence/>", " ".repeat(1500), "<presence/>", " ".repeat(1500))
                .error)
        .isNull();

    Recorder flood = new Recorder(LIMITS).feed(OPEN, "<presence/>");
    for (int i = 0; i < 2001 && flood.error == null; i++) {
      flood.feed("\n");
    }
    assertThat(flood.events)
        .containsExactly(
            "open jabber:client",
            "stanza <presence/>",
            "failed policy-violation: more than 2000 bytes between stanzas");
  }

  @Test
  @DisplayName("Multi-byte characters are counted in bytes, not characters")
  void countsBytes() {
    String body = "\uD83D\uDE00".repeat(250); // 1000 bytes, 500 chars
    String stanza = "<message><body>" + body + "</body></message>";

    assertThat(stanza.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(1000);
    assertThat(new Recorder(LIMITS).feedOneByteAtATime(OPEN + stanza).error)
        .isEqualTo(new StreamError("policy-violation", "stanza larger than 1000 bytes"));
  }

  @Test
  @DisplayName("The limits must be positive")
  void limitsArePositive() {
    assertThatThrownBy(() -> new XmlLimits(0, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxStanzaBytes");
  }
}
