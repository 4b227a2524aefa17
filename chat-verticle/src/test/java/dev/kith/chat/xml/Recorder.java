package dev.kith.chat.xml;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A listener that writes down what the parser said, in order, and feeds it text. */
class Recorder implements XmppStreamParser.Listener {

  /** The events as text: "open NS", "stanza XML", "closed", "failed CONDITION: TEXT". */
  final List<String> events = new ArrayList<>();

  final List<XmlElement> stanzas = new ArrayList<>();
  XmlElement header;
  StreamError error;
  final XmppStreamParser parser;

  Recorder() {
    this(XmlLimits.DEFAULTS);
  }

  Recorder(XmlLimits limits) {
    parser = new XmppStreamParser(limits, this);
  }

  Recorder feed(String... chunks) {
    for (String chunk : chunks) {
      parser.feed(Buffer.buffer(chunk));
    }
    return this;
  }

  Recorder feedBytes(byte[] bytes) {
    parser.feed(bytes, 0, bytes.length);
    return this;
  }

  Recorder feedOneByteAtATime(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      parser.feed(bytes, i, 1);
    }
    return this;
  }

  @Override
  public void streamOpened(XmlElement header, String defaultNamespace) {
    this.header = header;
    events.add("open " + defaultNamespace);
  }

  @Override
  public void stanza(XmlElement stanza) {
    stanzas.add(stanza);
    events.add("stanza " + stanza.toXml("jabber:client"));
  }

  @Override
  public void streamClosed() {
    events.add("closed");
  }

  @Override
  public void failed(StreamError error) {
    this.error = error;
    events.add("failed " + error.condition() + ": " + error.text());
  }
}
