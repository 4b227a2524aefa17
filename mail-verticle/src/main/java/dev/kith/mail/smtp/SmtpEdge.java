package dev.kith.mail.smtp;

import dev.kith.mail.MailConfig;
import dev.kith.mail.mailbox.Delivery;
import dev.kith.mesh.spi.Owners;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.config.Settings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.server.SMTPServer;

/**
 * The SMTP server of one device (subethasmtp, blocking I/O on its own threads) and the resources it
 * may take, all bounded: at most {@code smtp-max-connections} sessions, each on a thread of a fixed
 * pool with a bounded queue; connections over the limit get {@code 421} in the accept loop; a
 * silent connection is closed after {@code smtp-idle-seconds}; a command line over 998 octets ends
 * the session; and the bytes of messages being received count against one memory budget, so many
 * large messages at once are deferred ({@code 452}) instead of exhausting the heap.
 *
 * <p>Failure model: the edge keeps no state of its own. A message is acknowledged only once the
 * vault holds it, so a crash of the device loses only unacknowledged transactions, which the sender
 * retries (to this device or another MX).
 */
final class SmtpEdge {

  private static final Logger log = LoggerFactory.getLogger(SmtpEdge.class);

  /** Sessions beyond the limit wait in the kernel's queue before they are refused. */
  private static final int BACKLOG = 256;

  private static final long RESERVE_WAIT_MILLIS = 2_000;

  private final ServiceContext context;
  private final MailConfig mail;
  private final String device;
  private final AtomicInteger open = new AtomicInteger();
  private final Semaphore memory;
  private final Map<String, Counter> received = new ConcurrentHashMap<>();
  private final List<Meter> meters = new ArrayList<>();
  private ThreadPoolExecutor sessions;
  private SMTPServer server;
  private SSLContext tls;

  SmtpEdge(ServiceContext context) {
    this.context = context;
    this.mail = context.config(MailConfig.class);
    this.device = context.device();
    this.memory = new Semaphore(memoryBudget(mail.maxMessageBytes()));
  }

  /**
   * The bytes of messages in flight that the edge may hold: a quarter of the heap, but at least
   * enough for one message of the largest size.
   */
  static int memoryBudget(long maxMessageBytes) {
    long quarterHeap = Runtime.getRuntime().maxMemory() / 4;
    return (int) Math.min(Integer.MAX_VALUE, Math.max(quarterHeap, 3 * maxMessageBytes + 65_536));
  }

  /** Starts listening; blocking, so it runs on a worker. Returns the port it listens on. */
  int start() throws Exception {
    if (mail.tlsCert() != null) {
      tls = sslContext();
    }
    meters.add(
        Gauge.builder("kith.smtp.sessions", open, AtomicInteger::get)
            .description("Open SMTP sessions on this device")
            .register(context.metrics()));
    int threads = mail.maxConnections();
    AtomicInteger threadNumber = new AtomicInteger();
    sessions =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(64),
            r -> {
              Thread t = new Thread(r, "kith-smtp-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    sessions.allowCoreThreadTimeOut(true);
    String hostName = mail.primaryDomain();
    SMTPServer.Builder builder =
        SMTPServer.port(mail.smtpPort())
            .bindAddress(java.net.InetAddress.getByName(mail.smtpBindHost()))
            .hostName(hostName)
            .softwareName("Kith")
            .backlog(BACKLOG)
            .serverThreadName("kith-smtp-accept")
            .executorService(sessions)
            .serverSocketFactory(() -> new SmtpSockets(device, mail.maxConnections(), open))
            .maxConnections(mail.maxConnections())
            .connectionTimeout(mail.idleSeconds(), TimeUnit.SECONDS)
            // The edge's own check (452 4.5.3) comes first; this one never fires.
            .maxRecipients(mail.maxRecipients() + 1)
            .maxMessageSize((int) Math.min(Integer.MAX_VALUE, mail.maxMessageBytes()))
            .insertReceivedHeaders(false)
            .authenticationHandlerFactory(new SmtpAuth(this::login))
            .messageHandlerFactory(session -> new SmtpTransaction(this, session))
            // The edge checks senders itself (501 5.1.7), after the authentication check.
            .fromAddressValidator(address -> true)
            .enableTLS(tls != null);
    if (tls != null) {
      builder.startTlsSocketFactory(this::startTls);
    }
    server = builder.build();
    SmtpCommands.install(server.getCommandHandler(), hostName, mail.maxMessageBytes(), tls != null);
    server.start();
    int port = server.getPortAllocated();
    log.info(
        "{} takes SMTP on {}:{} (at most {} connections, {} bytes per message, STARTTLS {})",
        device,
        mail.smtpBindHost(),
        port,
        mail.maxConnections(),
        mail.maxMessageBytes(),
        tls != null ? "on" : "off");
    return port;
  }

  /** Stops listening and ends every session; blocking. */
  void stop() {
    if (server != null && server.isRunning()) {
      server.stop();
    }
    if (sessions != null) {
      sessions.shutdownNow();
    }
    meters.forEach(context.metrics()::remove);
    received.values().forEach(context.metrics()::remove);
    log.info("{} stopped taking SMTP", device);
  }

  ServiceContext context() {
    return context;
  }

  String device() {
    return device;
  }

  /**
   * Counts what became of a message: accepted, duplicate, deferred or rejected (a refused recipient
   * counts as one rejection).
   */
  void count(String result) {
    received
        .computeIfAbsent(
            result,
            r ->
                Counter.builder("kith.mail.received")
                    .description("Messages the SMTP edge received, by result")
                    .tag("result", r)
                    .register(context.metrics()))
        .increment();
  }

  /** Takes {@code bytes} of the memory budget, waiting briefly; false when none is left. */
  boolean reserve(int bytes) {
    try {
      return memory.tryAcquire(bytes, RESERVE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void release(int bytes) {
    memory.release(bytes);
  }

  /** The owner an AUTH identity names ({@code alice} or {@code alice@domain}), or null. */
  String ownerOf(Object identity) {
    if (identity == null) {
      return null;
    }
    String name = identity.toString().trim();
    String owner =
        name.contains("@") ? Delivery.localOwner(mail, name) : name.toLowerCase(Locale.ROOT);
    return owner != null && Settings.LABEL.matcher(owner).matches() ? owner : null;
  }

  /**
   * Checks an owner's password through the mesh's shared check, with its lockout; runs on a session
   * thread.
   */
  private Owners.Login login(String user, String password, MessageContext session)
      throws Exception {
    String owner = ownerOf(user);
    String from = address(session);
    Owners.Login verdict;
    try {
      verdict = wait(context.owners().checkPassword("SMTP", from, owner, password));
    } catch (Exception e) {
      log.warn("{} cannot check SMTP credentials now: {}", device, e.toString());
      throw e;
    }
    if (verdict.accepted()) {
      log.info("{} authenticated {} for SMTP submission from {}", device, owner, from);
    }
    return verdict;
  }

  private static String address(MessageContext session) {
    return session.getRemoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress()
        : String.valueOf(session.getRemoteAddress());
  }

  private static <T> T wait(io.vertx.core.Future<T> future) throws Exception {
    return future
        .toCompletionStage()
        .toCompletableFuture()
        .get(SmtpTransaction.DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private SSLContext sslContext() throws Exception {
    KeyManagerFactory keys =
        new PemKeyCertOptions()
            .setCertPath(mail.tlsCert().toString())
            .setKeyPath(mail.tlsKey().toString())
            .getKeyManagerFactory(context.vertx());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(keys.getKeyManagers(), null, null);
    return ssl;
  }

  /**
   * TLS over a session's connection, after STARTTLS: the rewriter below TLS steps aside (it would
   * see ciphertext) and a new one above TLS takes over.
   */
  private SSLSocket startTls(Socket socket) throws IOException {
    if (socket instanceof SmtpSockets.Connection connection) {
      connection.startTls();
    }
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    SSLSocket ssl =
        (SSLSocket)
            tls.getSocketFactory()
                .createSocket(socket, remote.getHostString(), socket.getPort(), true);
    ssl.setUseClientMode(false);
    return new SmtpTlsSocket(ssl);
  }
}
