package dev.kith.mail.imap;

import dev.kith.mail.MailConfig;
import dev.kith.mail.api.Mailboxes;
import dev.kith.mesh.spi.ServiceContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IMAP server of one device: its ports, its sessions and what they share. Every session is
 * bounded: at most {@code imap-max-connections} on the device (one more is told {@code * BYE} at
 * once), at most {@code imap-max-connections-per-owner} logged in for one owner, silence ended
 * after {@code imap-idle-seconds}, and the parser's limits on lines and literals.
 *
 * <p>Failure model: the server keeps no state that outlives a session. Everything a session changes
 * is written by the owner's mailbox instance, acknowledged once the vault holds it; a device that
 * dies takes only its sessions with it, and their clients reconnect to another device and resume
 * (QRESYNC), since UIDs, UIDVALIDITY and modification sequences are the mailbox's, not the
 * session's.
 *
 * <p>Sessions of one owner on this device share one event-bus consumer of the owner's change events
 * ({@link Mailboxes#changesAddress}), registered while any of them is logged in: a consumer per
 * session would register and unregister cluster-wide on every connection.
 */
final class ImapServer {

  private static final Logger log = LoggerFactory.getLogger(ImapServer.class);

  /** The largest command line, literals aside (RFC 7162 asks for at least 8192 octets). */
  static final int MAX_LINE_BYTES = 65_536;

  private final ServiceContext context;
  private final ImapConfig config;
  private final MailConfig mail;
  private final String device;
  private final Vertx vertx;
  private final AtomicInteger open = new AtomicInteger();
  private final Set<ImapSession> sessions = new HashSet<>();
  private final Map<String, Set<ImapSession>> byOwner = new HashMap<>();
  private final Map<String, MessageConsumer<JsonObject>> watching = new HashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final List<Meter> meters = new ArrayList<>();
  private final List<NetServer> servers = new ArrayList<>();
  private ServerSSLOptions tls;

  ImapServer(ServiceContext context) {
    this.context = context;
    this.config = context.config(ImapConfig.class);
    this.mail = context.config(MailConfig.class);
    this.device = context.device();
    this.vertx = context.vertx();
  }

  Future<Void> start() {
    if (mail.tlsCert() != null) {
      tls =
          new ServerSSLOptions()
              .setKeyCertOptions(
                  new PemKeyCertOptions()
                      .setCertPath(mail.tlsCert().toString())
                      .setKeyPath(mail.tlsKey().toString()));
    }
    meters.add(
        Gauge.builder("kith.imap.sessions", open, AtomicInteger::get)
            .description("Open IMAP sessions on this device")
            .register(context.metrics()));
    List<Future<?>> listening = new ArrayList<>();
    if (config.port() != 0) {
      listening.add(listen(config.port(), false));
    }
    if (config.tlsPort() != 0) {
      if (tls == null) {
        log.info(
            "{} serves no IMAP with implicit TLS (imaps-port {}): no certificate (smtp-cert)",
            device,
            config.tlsPort());
      } else {
        listening.add(listen(config.tlsPort(), true));
      }
    }
    return Future.all(listening).mapEmpty();
  }

  private Future<NetServer> listen(int port, boolean implicitTls) {
    NetServerOptions options =
        new NetServerOptions().setHost(config.bindHost()).setPort(port).setTcpNoDelay(true);
    if (implicitTls) {
      options.setSsl(true).setKeyCertOptions(tls.getKeyCertOptions());
    }
    NetServer server = vertx.createNetServer(options);
    server.connectHandler(socket -> accept(socket, implicitTls));
    return server
        .listen()
        .onSuccess(
            s -> {
              servers.add(s);
              log.info(
                  "{} serves IMAP on {}:{} ({}; at most {} connections)",
                  device,
                  config.bindHost(),
                  s.actualPort(),
                  implicitTls ? "implicit TLS" : tls != null ? "STARTTLS" : "no TLS",
                  config.maxConnections());
            })
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalStateException(
                        "port " + port + " on " + config.bindHost() + ": " + e.getMessage(), e)));
  }

  Future<Void> stop() {
    List<Future<?>> closing = new ArrayList<>();
    servers.forEach(s -> closing.add(s.close()));
    List.copyOf(sessions).forEach(s -> s.bye("Server shutting down; reconnect to another device"));
    watching.values().forEach(c -> closing.add(c.unregister()));
    watching.clear();
    meters.forEach(context.metrics()::remove);
    counters.values().forEach(context.metrics()::remove);
    return Future.join(closing)
        .<Void>mapEmpty()
        .onComplete(v -> log.info("{} stopped IMAP", device));
  }

  private void accept(NetSocket socket, boolean implicitTls) {
    if (open.get() >= config.maxConnections()) {
      count("refused");
      log.warn(
          "{} refused an IMAP connection from {}: {} connections already (imap-max-connections)",
          device,
          socket.remoteAddress(),
          open.get());
      socket.end(
          io.vertx.core.buffer.Buffer.buffer(
              "* BYE [UNAVAILABLE] Too many connections on this device; try another device or"
                  + " later\r\n"));
      return;
    }
    open.incrementAndGet();
    ImapSession session = new ImapSession(this, socket, implicitTls);
    sessions.add(session);
    socket.closeHandler(v -> closed(session));
    session.start();
  }

  private void closed(ImapSession session) {
    if (sessions.remove(session)) {
      open.decrementAndGet();
      session.closed();
      leave(session);
    }
  }

  /**
   * Counts a logged-in session of {@code owner}; false when the owner has {@code
   * imap-max-connections-per-owner} on this device already.
   */
  boolean join(ImapSession session, String owner) {
    Set<ImapSession> mine = byOwner.computeIfAbsent(owner, o -> new HashSet<>());
    if (mine.size() >= config.maxConnectionsPerOwner()) {
      return false;
    }
    mine.add(session);
    watching.computeIfAbsent(
        owner,
        o ->
            vertx
                .eventBus()
                .<JsonObject>consumer(Mailboxes.changesAddress(o), m -> changed(o, m.body())));
    return true;
  }

  private void leave(ImapSession session) {
    String owner = session.owner();
    Set<ImapSession> mine = owner == null ? null : byOwner.get(owner);
    if (mine != null && mine.remove(session) && mine.isEmpty()) {
      byOwner.remove(owner);
      MessageConsumer<JsonObject> consumer = watching.remove(owner);
      if (consumer != null) {
        consumer.unregister();
      }
    }
  }

  private void changed(String owner, JsonObject event) {
    Set<ImapSession> mine = byOwner.get(owner);
    if (mine == null || event == null || event.getJsonArray("boxes") == null) {
      return;
    }
    Set<String> boxes = new HashSet<>();
    event.getJsonArray("boxes").forEach(b -> boxes.add(String.valueOf(b)));
    List.copyOf(mine).forEach(s -> s.mailboxesChanged(boxes));
  }

  /** Counts a command or event by result, for {@code kith_imap_commands_total}. */
  void count(String result) {
    counters
        .computeIfAbsent(
            result,
            r ->
                Counter.builder("kith.imap.commands")
                    .description("IMAP commands and refused connections, by result")
                    .tag("result", r)
                    .register(context.metrics()))
        .increment();
  }

  ServiceContext context() {
    return context;
  }

  ImapConfig config() {
    return config;
  }

  MailConfig mail() {
    return mail;
  }

  String device() {
    return device;
  }

  Vertx vertx() {
    return vertx;
  }

  /** TLS for STARTTLS, or null when the device has no certificate. */
  ServerSSLOptions tls() {
    return tls;
  }
}
