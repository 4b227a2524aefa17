package dev.kith.chat.server;

import dev.kith.chat.Ns;
import dev.kith.chat.xml.XmlLimits;
import dev.kith.chat.xml.XmppStreamParser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.ServerSSLOptions;

/** An XMPP stream over TCP (RFC 6120), with STARTTLS or direct TLS (XEP-0368). */
final class TcpTransport implements Transport {

  private final NetSocket socket;
  private final ServerSSLOptions tls;
  private boolean secure;
  private XmppStreamParser parser;
  private XmppStreamParser.Listener listener;

  TcpTransport(NetSocket socket, ServerSSLOptions tls, boolean directTls) {
    this.socket = socket;
    this.tls = tls;
    this.secure = directTls;
  }

  @Override
  public void start(XmppStreamParser.Listener listener, Runnable lost, Runnable heard) {
    this.listener = listener;
    restart(new XmlLimits(XmppSession.MAX_PREAUTH_STANZA_BYTES, 32, 64, 65_536));
    socket.handler(
        bytes -> {
          heard.run();
          parser.feed(bytes);
        });
    socket.closeHandler(v -> lost.run());
    socket.exceptionHandler(e -> {});
  }

  @Override
  public void restart(XmlLimits limits) {
    if (parser != null) {
      parser.stop();
    }
    parser = new XmppStreamParser(limits, listener);
  }

  @Override
  public void write(String xml) {
    socket.write(xml);
  }

  @Override
  public void open(String id, String domain) {
    write(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client'"
            + " xmlns:stream='http://etherx.jabber.org/streams' id='"
            + id
            + "' from='"
            + domain
            + "' version='1.0' xml:lang='en'>");
  }

  @Override
  public void features(String children) {
    write("<stream:features>" + children + "</stream:features>");
  }

  @Override
  public void error(String conditionAndText) {
    write("<stream:error>" + conditionAndText + "</stream:error></stream:stream>");
  }

  @Override
  public void closeStream() {
    write("</stream:stream>");
  }

  @Override
  public Future<Void> startTls(String proceed) {
    // The proceed goes out through the upgrade, which puts TLS in place as soon as it is written:
    // written before, the client's first TLS bytes could arrive ahead of TLS and be read as XML.
    secure = true;
    return socket.upgradeToSsl(tls, Buffer.buffer(proceed));
  }

  @Override
  public boolean secure() {
    return secure;
  }

  @Override
  public boolean canStartTls() {
    return !secure;
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
    socket.end();
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public String remoteAddress() {
    return socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().hostAddress();
  }

  static String proceed() {
    return "<proceed xmlns='" + Ns.TLS + "'/>";
  }
}
