package dev.kith.chat.server;

import dev.kith.chat.Ns;
import dev.kith.chat.xml.StreamErrorException;
import dev.kith.chat.xml.XmlElement;
import dev.kith.chat.xml.XmlLimits;
import dev.kith.chat.xml.XmppStreamParser;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;

/**
 * XMPP over WebSocket (RFC 7395): each message is one complete element; the stream opens with
 * {@code <open/>} and closes with {@code <close/>} of the framing namespace, and every top-level
 * element declares its namespace. TLS is the HTTPS connection's (or none, on a plain edge: then the
 * session offers no PLAIN).
 */
final class WebSocketTransport implements Transport {

  static final String PROTOCOL = "xmpp";

  private final ServerWebSocket socket;
  private final boolean secure;
  private XmlLimits limits = new XmlLimits(XmppSession.MAX_PREAUTH_STANZA_BYTES, 32, 64, 65_536);
  private XmppStreamParser.Listener listener;
  private boolean stopped;

  WebSocketTransport(ServerWebSocket socket) {
    this.socket = socket;
    this.secure = socket.isSsl();
  }

  @Override
  public void start(XmppStreamParser.Listener listener, Runnable lost, Runnable heard) {
    this.listener = listener;
    socket.textMessageHandler(
        text -> {
          heard.run();
          if (!stopped) {
            frame(text);
          }
        });
    socket.binaryMessageHandler(
        b -> listener.failed(new dev.kith.chat.xml.StreamError("bad-format", "Text frames only")));
    socket.closeHandler(v -> lost.run());
    socket.exceptionHandler(e -> {});
  }

  private void frame(String text) {
    if (text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > limits.maxStanzaBytes()) {
      stopped = true;
      listener.failed(
          new dev.kith.chat.xml.StreamError(
              "policy-violation", "stanza larger than " + limits.maxStanzaBytes() + " bytes"));
      return;
    }
    XmlElement el;
    try {
      el = XmlElement.parse(text, Ns.CLIENT, limits);
    } catch (StreamErrorException e) {
      stopped = true;
      listener.failed(e.error());
      return;
    }
    if (Ns.FRAMING.equals(el.namespace()) && el.name().equals("open")) {
      listener.streamOpened(el, Ns.CLIENT);
    } else if (Ns.FRAMING.equals(el.namespace()) && el.name().equals("close")) {
      listener.streamClosed();
    } else {
      listener.stanza(el);
    }
  }

  @Override
  public void restart(XmlLimits limits) {
    this.limits = limits;
  }

  @Override
  public void write(String xml) {
    if (!socket.isClosed()) {
      socket.writeTextMessage(declared(xml));
    }
  }

  /** A stanza written for a stream whose default namespace is jabber:client, made standalone. */
  private static String declared(String xml) {
    if (xml.startsWith("<message") || xml.startsWith("<presence") || xml.startsWith("<iq")) {
      int end = 1;
      while (end < xml.length() && Character.isLetter(xml.charAt(end))) {
        end++;
      }
      String head = xml.substring(0, Math.min(xml.length(), xml.indexOf('>') + 1));
      if (!head.contains("xmlns=")) {
        return xml.substring(0, end) + " xmlns='jabber:client'" + xml.substring(end);
      }
    }
    return xml;
  }

  @Override
  public void open(String id, String domain) {
    write(
        "<open xmlns='"
            + Ns.FRAMING
            + "' id='"
            + id
            + "' from='"
            + domain
            + "' version='1.0' xml:lang='en'/>");
  }

  @Override
  public void features(String children) {
    write("<stream:features xmlns:stream='" + Ns.STREAMS + "'>" + children + "</stream:features>");
  }

  @Override
  public void error(String conditionAndText) {
    write(
        "<stream:error xmlns:stream='" + Ns.STREAMS + "'>" + conditionAndText + "</stream:error>");
    closeStream();
  }

  @Override
  public void closeStream() {
    write("<close xmlns='" + Ns.FRAMING + "'/>");
  }

  @Override
  public Future<Void> startTls(String proceed) {
    return Future.failedFuture(new IllegalStateException("no STARTTLS over WebSocket"));
  }

  @Override
  public boolean secure() {
    return secure;
  }

  @Override
  public boolean canStartTls() {
    return false;
  }

  @Override
  public void pause() {
    socket.pause();
  }

  @Override
  public void resume() {
    socket.resume();
  }

  @Override
  public void end() {
    if (!socket.isClosed()) {
      socket.close();
    }
  }

  @Override
  public void close() {
    end();
  }

  @Override
  public String remoteAddress() {
    return socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().hostAddress();
  }
}
