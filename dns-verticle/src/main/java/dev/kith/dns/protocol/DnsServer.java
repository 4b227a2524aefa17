package dev.kith.dns.protocol;

import dev.kith.dns.protocol.DnsAnswerer.Outcome;
import dev.kith.dns.protocol.DnsAnswerer.Response;
import dev.kith.dns.protocol.RateLimiter.Decision;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Serves DNS on one port over UDP and TCP (RFC 7766), answering from the latest {@link
 * ZoneSnapshot} with a {@link DnsAnswerer}. Answering is CPU-only and short, so everything runs on
 * the event loop. UDP replies pass the {@link RateLimiter}; TCP carries length-prefixed messages,
 * several per connection, answered in order, with an idle timeout and a cap on connections.
 *
 * <p>Bad input costs the sender, never the server: an odd-sized datagram is dropped, and a
 * malformed TCP frame closes its connection. Each such event, and each answer, is reported to the
 * {@link Listener}, which keeps the metrics and the logs.
 */
public final class DnsServer {

  /** The {@code transport} the listener is told: UDP or TCP. */
  public static final String UDP = "udp";

  public static final String TCP = "tcp";

  /** Reasons the listener is told for {@link Listener#dropped}. */
  public static final String DROP_SIZE = "size";

  public static final String DROP_MALFORMED = "malformed";
  public static final String DROP_CONNECTIONS = "connections";

  /**
   * The largest UDP query accepted: the EDNS size we advertise. Real queries are far smaller, and
   * this stays below the 2048 bytes into which Vert.x (Netty) reads a datagram, so a bigger one,
   * which arrives cut to 2048, is always recognised and dropped.
   */
  static final int MAX_UDP_QUERY_BYTES = DnsAnswerer.EDNS_PAYLOAD_BYTES;

  static final int HEADER_BYTES = 12;
  private static final int LENGTH_PREFIX_BYTES = 2;

  /** Port 0 picks a free UDP port, which TCP may find taken: try again this many times. */
  private static final int BIND_ATTEMPTS = 5;

  /** Receives what happened, for metrics and logs; called on the event loop, so be quick. */
  public interface Listener {

    /** A reply was sent; {@code qtype} and {@code outcome} come from {@link Response}. */
    void answered(String transport, String qtype, Outcome outcome);

    /**
     * A packet or connection was refused without a reply: {@link #DROP_SIZE}, {@link
     * #DROP_MALFORMED} or {@link #DROP_CONNECTIONS}.
     */
    void dropped(String transport, String reason);

    /** The rate limiter slipped or dropped a UDP reply. */
    void limited(Decision decision);

    /** Something failed that should not have: a bug or a broken socket. */
    void failed(String transport, Throwable cause);
  }

  /**
   * Limits on TCP clients.
   *
   * @param maxTcpConnections connections beyond this are closed at once
   * @param tcpIdleTimeout a connection that neither sends nor receives for this long is closed
   */
  public record Limits(int maxTcpConnections, Duration tcpIdleTimeout) {

    /** 200 connections, closed after 10 s idle (RFC 7766 suggests seconds, not minutes). */
    public static final Limits DEFAULT = new Limits(200, Duration.ofSeconds(10));

    public Limits {
      if (maxTcpConnections < 1) {
        throw new IllegalArgumentException("maxTcpConnections must be >= 1: " + maxTcpConnections);
      }
      if (tcpIdleTimeout.toMillis() < 1) {
        throw new IllegalArgumentException("tcpIdleTimeout must be >= 1 ms: " + tcpIdleTimeout);
      }
    }
  }

  private final Vertx vertx;
  private final Supplier<ZoneSnapshot> zones;
  private final RateLimiter limiter;
  private final Listener listener;
  private final Limits limits;
  private final DnsAnswerer answerer = new DnsAnswerer();
  private final AtomicInteger tcpConnections = new AtomicInteger();

  private volatile DatagramSocket udpSocket;
  private volatile NetServer tcpServer;
  private volatile int port = -1;

  /** A server with {@link Limits#DEFAULT}. */
  public DnsServer(
      Vertx vertx, Supplier<ZoneSnapshot> zones, RateLimiter limiter, Listener listener) {
    this(vertx, zones, limiter, listener, Limits.DEFAULT);
  }

  public DnsServer(
      Vertx vertx,
      Supplier<ZoneSnapshot> zones,
      RateLimiter limiter,
      Listener listener,
      Limits limits) {
    this.vertx = vertx;
    this.zones = zones;
    this.limiter = limiter;
    this.listener = listener;
    this.limits = limits;
  }

  /**
   * Binds UDP and TCP on {@code host} and the same {@code port}; port 0 picks a free one. Completes
   * when both listen, or fails with neither bound.
   */
  public Future<Void> listen(String host, int port) {
    return bind(host, port, port == 0 ? BIND_ATTEMPTS : 1);
  }

  /** The port both sockets listen on, or -1 before {@link #listen} completes. */
  public int port() {
    return port;
  }

  /** Closes both sockets; open TCP connections close with the server. */
  public Future<Void> close() {
    DatagramSocket udp = udpSocket;
    NetServer tcp = tcpServer;
    udpSocket = null;
    tcpServer = null;
    port = -1;
    return Future.join(
            udp == null ? Future.succeededFuture() : udp.close(),
            tcp == null ? Future.succeededFuture() : tcp.close())
        .mapEmpty();
  }

  private Future<Void> bind(String host, int requestedPort, int attemptsLeft) {
    // The kernel's default receive buffer: Vert.x would also read every datagram into a buffer of
    // the size given as receiveBufferSize.
    DatagramSocket udp =
        vertx.createDatagramSocket(new DatagramSocketOptions().setIpV6(host.contains(":")));
    udp.handler(packet -> onDatagram(udp, packet));
    return udp.listen(requestedPort, host)
        .compose(
            bound -> {
              int boundPort = bound.localAddress().port();
              NetServer tcp = vertx.createNetServer(tcpOptions()).connectHandler(this::onConnect);
              return tcp.listen(boundPort, host)
                  .<Void>map(
                      listening -> {
                        udpSocket = udp;
                        tcpServer = tcp;
                        port = boundPort;
                        return null;
                      })
                  .recover(
                      error -> {
                        tcp.close();
                        return udp.close()
                            .transform(
                                closed ->
                                    attemptsLeft > 1
                                        ? bind(host, requestedPort, attemptsLeft - 1)
                                        : Future.failedFuture(error));
                      });
            });
  }

  private NetServerOptions tcpOptions() {
    return new NetServerOptions()
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, limits.tcpIdleTimeout().toMillis()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  private void onDatagram(DatagramSocket socket, DatagramPacket packet) {
    try {
      Buffer data = packet.data();
      if (data.length() < HEADER_BYTES || data.length() > MAX_UDP_QUERY_BYTES) {
        listener.dropped(UDP, DROP_SIZE);
        return;
      }
      byte[] query = data.getBytes();
      Response response = answerer.answer(query, query.length, false, zones.get());
      if (response.wire() == null) {
        listener.dropped(UDP, DROP_MALFORMED);
        return;
      }
      SocketAddress sender = packet.sender();
      Decision decision =
          limiter.check(InetAddress.getByName(sender.hostAddress()), System.nanoTime());
      if (decision != Decision.ALLOW) {
        listener.limited(decision);
        if (decision == Decision.DROP) {
          return;
        }
        response = answerer.truncated(query, query.length);
      }
      socket
          .send(Buffer.buffer(response.wire()), sender.port(), sender.hostAddress())
          .onFailure(e -> listener.failed(UDP, e));
      listener.answered(UDP, response.qtype(), response.outcome());
    } catch (Exception e) {
      listener.failed(UDP, e);
    }
  }

  private void onConnect(NetSocket socket) {
    if (tcpConnections.incrementAndGet() > limits.maxTcpConnections()) {
      tcpConnections.decrementAndGet();
      listener.dropped(TCP, DROP_CONNECTIONS);
      socket.close();
      return;
    }
    socket.closeHandler(closed -> tcpConnections.decrementAndGet());
    new TcpConnection(socket).start();
  }

  /**
   * One TCP client: reads a 2-byte length, then that many bytes of query, answers, and repeats.
   * Answers go out in query order because each is written before the next frame is read; when the
   * client stops reading, the parser pauses until the socket drains.
   */
  private final class TcpConnection {
    private final NetSocket socket;
    private final RecordParser frames;
    private boolean awaitingLength = true;
    private int expectedBytes = LENGTH_PREFIX_BYTES;

    TcpConnection(NetSocket socket) {
      this.socket = socket;
      this.frames = RecordParser.newFixed(LENGTH_PREFIX_BYTES, socket);
    }

    void start() {
      frames.exceptionHandler(e -> listener.failed(TCP, e));
      frames.handler(this::onChunk);
    }

    private void onChunk(Buffer chunk) {
      try {
        // The parser hands over a short tail when the client closes mid-frame.
        if (chunk.length() != expectedBytes) {
          malformed();
        } else if (awaitingLength) {
          onLength(chunk.getUnsignedShort(0));
        } else {
          onMessage(chunk.getBytes());
        }
      } catch (Exception e) {
        listener.failed(TCP, e);
        socket.close();
      }
    }

    private void onLength(int length) {
      if (length < HEADER_BYTES) {
        malformed();
        return;
      }
      awaitingLength = false;
      expectedBytes = length;
      frames.fixedSizeMode(length);
    }

    private void onMessage(byte[] query) {
      Response response = answerer.answer(query, query.length, true, zones.get());
      if (response.wire() == null) {
        malformed();
        return;
      }
      byte[] wire = response.wire();
      Buffer framed = Buffer.buffer(LENGTH_PREFIX_BYTES + wire.length);
      framed.appendUnsignedShort(wire.length).appendBytes(wire);
      socket.write(framed);
      listener.answered(TCP, response.qtype(), response.outcome());
      if (socket.writeQueueFull()) {
        frames.pause();
        socket.drainHandler(drained -> frames.resume());
      }
      awaitingLength = true;
      expectedBytes = LENGTH_PREFIX_BYTES;
      frames.fixedSizeMode(LENGTH_PREFIX_BYTES);
    }

    private void malformed() {
      listener.dropped(TCP, DROP_MALFORMED);
      frames.pause();
      socket.close();
    }
  }
}
