package dev.kith.chat.server;

import dev.kith.chat.ChatConfig;
import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.xml.StreamError;
import dev.kith.chat.xml.XmlElement;
import dev.kith.chat.xml.XmlLimits;
import dev.kith.chat.xml.XmppStreamParser;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection (RFC 6120): the stream, STARTTLS, SASL ({@link SaslExchange}), and once
 * authenticated, binding and the stanzas ({@link BoundSession}). TLS comes first, always: a device
 * without a configured certificate uses a self-signed one, so passwords never cross in the clear.
 * Every limit ends the stream with its RFC 6120 condition: a stanza over {@code
 * xmpp-max-stanza-bytes} with {@code policy-violation}, silence over {@code xmpp-idle-seconds} with
 * {@code connection-timeout}, an unknown domain with {@code host-unknown}.
 */
final class XmppSession {

  private static final Logger log = LoggerFactory.getLogger(XmppSession.class);

  /** Most bytes the client may send before it is authenticated. */
  static final int MAX_PREAUTH_STANZA_BYTES = 16 * 1024;

  private final XmppServer server;
  private final Transport transport;

  /** The context the connection's events come on; everything of the session runs there. */
  private final io.vertx.core.Context context;

  private final String id;
  private final String address;
  private boolean headerSent;
  private boolean closed;
  private String streamId;
  private long lastHeard = System.currentTimeMillis();
  private long idleTimer = -1;
  private SaslExchange sasl;
  private String owner;
  private boolean counted;
  private BoundSession bound;

  XmppSession(XmppServer server, Transport transport, String id) {
    this.context = io.vertx.core.Vertx.currentContext();
    this.server = server;
    this.transport = transport;
    this.id = id;
    this.address = transport.remoteAddress();
  }

  void start() {
    transport.start(listener(), this::connectionLost, () -> lastHeard = System.currentTimeMillis());
    long idleMillis = server.config().idleSeconds() * 1000L;
    // Checked ten times per idle period (at most every 30 s): a session ends within a tenth of
    // xmpp-idle-seconds after it, not up to a whole period late.
    idleTimer =
        server
            .context()
            .vertx()
            .setPeriodic(
                Math.min(idleMillis / 10, 30_000),
                t -> {
                  if (System.currentTimeMillis() - lastHeard > idleMillis) {
                    fail(
                        "connection-timeout", "Silent for " + server.config().idleSeconds() + " s");
                  }
                });
  }

  /** Answers a connection the device will not serve: a stream header, then the error. */
  void refuse(String condition, String text) {
    transport.pause();
    fail(condition, text);
  }

  private XmppStreamParser.Listener listener() {
    return new XmppStreamParser.Listener() {
      @Override
      public void streamOpened(XmlElement header, String defaultNamespace) {
        opened(header, defaultNamespace);
      }

      @Override
      public void stanza(XmlElement stanza) {
        if (!closed) {
          XmppSession.this.stanza(stanza);
        }
      }

      @Override
      public void streamClosed() {
        closedByClient();
      }

      @Override
      public void failed(StreamError error) {
        fail(error.condition(), error.text());
      }
    };
  }

  private void opened(XmlElement header, String defaultNamespace) {
    streamId = UUID.randomUUID().toString();
    String to = header.attr("to");
    if (!Ns.CLIENT.equals(defaultNamespace)) {
      fail("invalid-namespace", "The stream's default namespace must be jabber:client");
      return;
    }
    if (to == null || !server.config().local(to)) {
      fail("host-unknown", "This server serves " + String.join(", ", server.config().domains()));
      return;
    }
    String version = header.attr("version");
    if (version == null || !version.startsWith("1.")) {
      fail("unsupported-version", "XMPP 1.0 streams only");
      return;
    }
    sendHeader();
    StringBuilder features = new StringBuilder();
    features().forEach(f -> features.append(f.toXml(Ns.CLIENT)));
    transport.features(features.toString());
  }

  private void sendHeader() {
    headerSent = true;
    transport.open(
        streamId == null ? UUID.randomUUID().toString() : streamId, server.config().domain());
  }

  private java.util.List<XmlElement> features() {
    if (transport.canStartTls()) {
      return java.util.List.of(
          XmlElement.builder("starttls", Ns.TLS)
              .child(XmlElement.builder("required", Ns.TLS).build())
              .build());
    }
    if (owner == null) {
      return java.util.List.of(SaslExchange.mechanisms(plainAllowed()));
    }
    return java.util.List.of(
        XmlElement.builder("bind", Ns.BIND).build(),
        XmlElement.builder("session", Ns.SESSION)
            .child(XmlElement.builder("optional", Ns.SESSION).build())
            .build(),
        XmlElement.builder("sm", Ns.SM).build(),
        XmlElement.builder("csi", Ns.CSI).build(),
        XmlElement.builder("ver", Ns.ROSTER_VER).build());
  }

  private void stanza(XmlElement el) {
    server.metrics().stanza("in", el.name());
    if (bound != null) {
      bound.fromClient(el);
    } else if (transport.canStartTls()) {
      startTls(el);
    } else if (owner == null) {
      if (sasl == null) {
        sasl = new SaslExchange(this);
      }
      sasl.handle(el);
    } else {
      if (bound == null) {
        bound = new BoundSession(this);
      }
      bound.fromClient(el);
    }
  }

  private void startTls(XmlElement el) {
    if (!el.name().equals("starttls") || !Ns.TLS.equals(el.namespace())) {
      fail("policy-violation", "STARTTLS is required first");
      return;
    }
    transport.restart(new XmlLimits(MAX_PREAUTH_STANZA_BYTES, 32, 64, 65_536));
    transport
        .startTls(TcpTransport.proceed())
        .onFailure(
            e -> {
              server.metrics().event("tls-failed");
              log.info("{}: XMPP TLS from {} failed: {}", server.device(), address, e.getMessage());
              close();
            });
  }

  /** SASL succeeded for {@code owner}, whom the server admitted: a new stream begins (§6.4.6). */
  void authenticated(String owner) {
    this.owner = owner;
    counted = true;
    transport.restart(new XmlLimits(server.config().maxStanzaBytes(), 32, 64, 65_536));
  }

  private void closedByClient() {
    if (bound != null) {
      bound.ended(false);
    }
    transport.closeStream();
    close();
  }

  private void connectionLost() {
    if (bound != null && !closed) {
      bound.ended(true);
    }
    closed = true;
    finish();
  }

  /** Ends the stream with a stream error (RFC 6120 §4.9). */
  void fail(String condition, String text) {
    if (closed) {
      return;
    }
    server.metrics().streamError(condition);
    if (!headerSent) {
      sendHeader();
    }
    transport.error(
        XmlElement.builder(condition, Ns.STREAM_ERRORS).build().toXml(Ns.CLIENT)
            + XmlElement.builder("text", Ns.STREAM_ERRORS)
                .attr("xml:lang", "en")
                .text(text == null ? condition : text)
                .build()
                .toXml(Ns.CLIENT));
    log.info(
        "{}: XMPP stream of {} from {} ended: {} ({})",
        server.device(),
        owner == null ? "nobody yet" : owner,
        address,
        condition,
        text);
    if (bound != null) {
      bound.ended(false);
    }
    close();
  }

  /** Closes the connection (after what was written). */
  void close() {
    if (!closed) {
      closed = true;
      transport.end();
    }
    finish();
  }

  /** Closes the connection without a word: another session took it over. */
  void drop() {
    closed = true;
    transport.close();
    finish();
  }

  private void finish() {
    if (idleTimer >= 0) {
      server.context().vertx().cancelTimer(idleTimer);
      idleTimer = -1;
    }
    server.closed(this);
  }

  void write(String xml) {
    if (!closed) {
      transport.write(xml);
    }
  }

  // For the instance and other sessions

  void fromInstance(String xml, String archiveId) {
    if (bound != null) {
      bound.fromInstance(xml, archiveId);
    }
  }

  /** Whether a resource is bound (the session is attached to the owner's instance). */
  boolean isBound() {
    return bound != null && bound.resource() != null && !bound.isEnded();
  }

  void attachAgain() {
    if (bound != null) {
      bound.attachAgain();
    }
  }

  /** This session's state for its resumption elsewhere, or null when {@code secret} is wrong. */
  io.vertx.core.json.JsonObject handOver(String secret) {
    return bound == null ? null : bound.handOver(secret);
  }

  XmppServer server() {
    return server;
  }

  ChatConfig config() {
    return server.config();
  }

  /** Runs {@code action} on the session's context (at once when already there). */
  void onContext(Runnable action) {
    if (context == null || io.vertx.core.Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  /** Stops reading the client while something it needs is looked up. */
  void pause() {
    transport.pause();
  }

  void resume() {
    transport.resume();
  }

  /**
   * Whether SASL PLAIN may be offered: over TLS, or from this machine (a WebSocket on a plain
   * edge). SCRAM never shows the password and is offered always.
   */
  boolean plainAllowed() {
    return transport.secure() || address.equals("127.0.0.1") || address.equals("0:0:0:0:0:0:0:1");
  }

  String id() {
    return id;
  }

  String owner() {
    return owner;
  }

  boolean counted() {
    return counted;
  }

  String address() {
    return address;
  }

  boolean isClosed() {
    return closed;
  }

  Jid bare() {
    return Jid.bare(owner, server.config().domain());
  }
}
