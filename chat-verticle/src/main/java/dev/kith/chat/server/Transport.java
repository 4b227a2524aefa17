package dev.kith.chat.server;

import dev.kith.chat.xml.XmlLimits;
import dev.kith.chat.xml.XmppStreamParser;
import io.vertx.core.Future;

/**
 * How one XMPP session's XML travels: a TCP stream (RFC 6120, {@link TcpTransport}) or WebSocket
 * messages, one element each (RFC 7395, {@link WebSocketTransport}). The transport reads and
 * frames; the session decides. What differs between the two is here: how a stream opens and closes,
 * and how features and stream errors are framed.
 */
interface Transport {

  /** Starts reading: elements go to {@code listener}, the end of the connection to {@code lost}. */
  void start(XmppStreamParser.Listener listener, Runnable lost, Runnable heard);

  /** A new stream begins (after TLS or SASL): reading starts afresh with these limits. */
  void restart(XmlLimits limits);

  /** Sends one complete piece of the stream. */
  void write(String xml);

  /** Opens the server's side of the stream. */
  void open(String id, String domain);

  /** The stream features (RFC 6120 §4.3.2), children already serialized. */
  void features(String children);

  /** Sends a stream error and closes the server's side of the stream. */
  void error(String conditionAndText);

  /** Closes the server's side of the stream (the answer to the client's close). */
  void closeStream();

  /** STARTTLS: writes {@code proceed} and puts TLS in place; TCP only. */
  Future<Void> startTls(String proceed);

  /** Whether the connection is encrypted (TLS, or HTTPS under the WebSocket). */
  boolean secure();

  /** Whether STARTTLS is possible on it. */
  boolean canStartTls();

  void pause();

  void resume();

  /** Ends the connection after what was written. */
  void end();

  /** Ends the connection at once. */
  void close();

  /** The client's address, for the lockout and the log. */
  String remoteAddress();
}
