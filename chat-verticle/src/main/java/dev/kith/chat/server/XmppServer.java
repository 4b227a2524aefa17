package dev.kith.chat.server;

import dev.kith.chat.ChatConfig;
import dev.kith.chat.api.ChatBox;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The XMPP client server of one device (RFC 6120): its two ports (STARTTLS and direct TLS,
 * XEP-0368), its sessions, and the one event-bus consumer through which owners' chat instances
 * reach them ({@link ChatBox#sessionsOf}). A session keeps no state that must outlive it: what it
 * hands on is acknowledged (XEP-0198) only once the owner's instance made it durable.
 */
public final class XmppServer {

  private static final Logger log = LoggerFactory.getLogger(XmppServer.class);

  /** How often the device asks each owner's instance whether it knows the owner's sessions here. */
  static final long CHECK_MILLIS = 5_000;

  private final ServiceContext context;
  private final ChatConfig config;
  private final ServerSSLOptions tls;
  private final ChatMetrics metrics;
  // WebSocket sessions run on the edge's context, TCP ones on this server's: shared maps.
  private final Map<String, XmppSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, XmppSession> waitingForResume = new ConcurrentHashMap<>();
  private final Map<String, Integer> perOwner = new ConcurrentHashMap<>();
  private final List<NetServer> servers = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private long checkTimer = -1;
  private final AtomicInteger open = new AtomicInteger();

  public XmppServer(ServiceContext context, ServerSSLOptions tls, ChatMetrics metrics) {
    this.context = context;
    this.config = context.config(ChatConfig.class);
    this.tls = tls;
    this.metrics = metrics;
  }

  public Future<Void> start() {
    Vertx vertx = context.vertx();
    consumers.add(
        vertx.eventBus().<String>consumer(ChatBox.sessionsOf(context.device()), this::toSession));
    consumers.add(
        vertx.eventBus().<String>consumer(ChatBox.STARTED_ADDRESS, this::instanceStarted));
    metrics.sessions(open::get);
    checkTimer = vertx.setPeriodic(CHECK_MILLIS, t -> checkAttached());
    List<Future<?>> listening = new ArrayList<>();
    if (config.port() != 0) {
      listening.add(listen(config.port(), false));
    }
    if (config.tlsPort() != 0) {
      listening.add(listen(config.tlsPort(), true));
    }
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> Future.all(listening))
        .mapEmpty();
  }

  private Future<NetServer> listen(int port, boolean directTls) {
    NetServerOptions options =
        new NetServerOptions()
            .setHost(config.bindHost())
            .setPort(port)
            .setTcpNoDelay(true)
            .setIdleTimeout(0);
    if (directTls) {
      options.setSsl(true).setKeyCertOptions(tls.getKeyCertOptions());
    }
    NetServer server = context.vertx().createNetServer(options);
    server.connectHandler(socket -> accept(new TcpTransport(socket, tls, directTls)));
    return server
        .listen()
        .onSuccess(
            s -> {
              servers.add(s);
              log.info(
                  "{} serves XMPP on {}:{} ({}; domains {})",
                  context.device(),
                  config.bindHost(),
                  s.actualPort(),
                  directTls ? "direct TLS" : "STARTTLS",
                  config.domains());
            })
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalStateException(
                        "port " + port + " on " + config.bindHost() + ": " + e.getMessage(), e)));
  }

  public Future<Void> stop() {
    context.vertx().cancelTimer(checkTimer);
    List<Future<?>> closing = new ArrayList<>();
    servers.forEach(s -> closing.add(s.close()));
    List.copyOf(sessions.values())
        .forEach(
            s ->
                s.onContext(
                    () ->
                        s.fail("system-shutdown", "This device is stopping; connect to another")));
    consumers.forEach(c -> closing.add(c.unregister()));
    return Future.join(closing).mapEmpty();
  }

  /** A WebSocket that asked for the {@code xmpp} subprotocol (RFC 7395), from the edge. */
  public void acceptWebSocket(io.vertx.core.http.ServerWebSocket socket) {
    accept(new WebSocketTransport(socket));
  }

  private void accept(Transport transport) {
    String id =
        Long.toString(ids.incrementAndGet(), 36) + "-" + Long.toHexString(System.nanoTime());
    XmppSession session = new XmppSession(this, transport, id);
    if (open.get() >= config.maxConnections()) {
      metrics.event("refused-connection");
      log.warn(
          "{} refused an XMPP connection from {}: {} connections already (xmpp-max-connections)",
          context.device(),
          transport.remoteAddress(),
          open.get());
      session.refuse("resource-constraint", "Too many connections on this device; try another");
      return;
    }
    open.incrementAndGet();
    sessions.put(id, session);
    session.start();
  }

  /** A session ended: it no longer counts. */
  void closed(XmppSession session) {
    if (sessions.remove(session.id()) != null) {
      open.decrementAndGet();
      String owner = session.owner();
      if (owner != null && session.counted()) {
        perOwner.computeIfPresent(owner, (o, n) -> n <= 1 ? null : n - 1);
      }
    }
  }

  /**
   * Counts a logged-in session of {@code owner}; false at {@code xmpp-max-connections-per-owner}.
   */
  boolean admit(String owner) {
    boolean[] admitted = {false};
    perOwner.compute(
        owner,
        (o, n) -> {
          int count = n == null ? 0 : n;
          if (count >= config.maxConnectionsPerOwner()) {
            return n;
          }
          admitted[0] = true;
          return count + 1;
        });
    return admitted[0];
  }

  private void toSession(Message<String> msg) {
    XmppSession session = session(msg.headers().get(ChatBox.SESSION_HEADER));
    if (session == null) {
      if (msg.replyAddress() != null) {
        msg.reply(null);
      }
      metrics.event("stanza-for-gone-session");
      return;
    }
    if (msg.headers().contains("kith-end")) {
      JsonObject end = new JsonObject(msg.body());
      session.onContext(() -> session.fail(end.getString("end"), end.getString("text")));
    } else if (msg.headers().contains("kith-takeover")) {
      String secret = msg.headers().get("kith-takeover");
      session.onContext(() -> msg.reply(session.handOver(secret)));
    } else {
      String archiveId = msg.headers().get("kith-archive-id");
      session.onContext(() -> session.fromInstance(msg.body(), archiveId));
    }
  }

  private void instanceStarted(Message<String> msg) {
    String owner = msg.body();
    List<XmppSession> all = new ArrayList<>(sessions.values());
    all.addAll(waitingForResume.values());
    for (XmppSession s : all) {
      if (owner.equals(s.owner())) {
        s.onContext(s::attachAgain);
      }
    }
  }

  /** Sessions the owner's instance does not know (it moved, or this device was cut off) attach. */
  private void checkAttached() {
    Map<String, List<XmppSession>> byOwner = new HashMap<>();
    List<XmppSession> all = new ArrayList<>(sessions.values());
    all.addAll(waitingForResume.values());
    for (XmppSession s : all) {
      if (s.owner() != null && s.isBound()) {
        byOwner.computeIfAbsent(s.owner(), o -> new ArrayList<>()).add(s);
      }
    }
    byOwner.forEach(
        (owner, mine) ->
            context
                .proxy(ChatBox.class, ChatBox.address(owner))
                .unknown(context.device(), mine.stream().map(XmppSession::id).toList())
                .onSuccess(
                    answer ->
                        answer
                            .getJsonArray("unknown")
                            .forEach(
                                id -> {
                                  XmppSession s = session(String.valueOf(id));
                                  if (s != null) {
                                    metrics.event("attach-again");
                                    s.onContext(s::attachAgain);
                                  }
                                })));
  }

  /** The session with {@code id} on this device, connected or waiting to be resumed, or null. */
  XmppSession session(String id) {
    XmppSession s = id == null ? null : sessions.get(id);
    return s != null ? s : id == null ? null : waitingForResume.get(id);
  }

  /** A session whose connection broke waits for its client to resume it (XEP-0198). */
  void keepForResume(XmppSession session) {
    waitingForResume.put(session.id(), session);
  }

  /** A session that waited for resumption ended or was taken over. */
  void forget(XmppSession session) {
    waitingForResume.remove(session.id());
  }

  ServiceContext context() {
    return context;
  }

  ChatConfig config() {
    return config;
  }

  ServerSSLOptions tls() {
    return tls;
  }

  ChatMetrics metrics() {
    return metrics;
  }

  String device() {
    return context.device();
  }
}
