package dev.kith.mesh.trust;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.lang.reflect.Field;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the event bus's open connections to and from devices whose certificates were revoked.
 *
 * <p>Why. {@link RevocationTrust} refuses revoked certificates in new handshakes, but the clustered
 * event bus keeps its TCP connections open for as long as both ends live: a removed device could go
 * on sending and receiving over a connection made before its removal. Vert.x offers no call to
 * close them, so this reads two private fields of Vert.x 5.0's clustered event bus: the server's
 * Netty channel group (inbound connections) and the map of outbound connections. Each connection's
 * TLS session names the peer's certificate; those with a revoked serial are closed. If a later
 * Vert.x renames the fields, {@link #cut} logs an error once and closes nothing, and the test of
 * device removal fails.
 */
public final class BusGuard {

  private static final Logger log = LoggerFactory.getLogger(BusGuard.class);

  private final Vertx vertx;
  private final String device;
  private volatile boolean broken;

  public BusGuard(Vertx vertx, String device) {
    this.vertx = vertx;
    this.device = device;
  }

  /**
   * Closes every connection whose peer presented a certificate with a serial in {@code revoked}.
   */
  public int cut(Set<String> revoked) {
    if (broken || revoked.isEmpty()) {
      return 0;
    }
    int closed = 0;
    try {
      Object bus = vertx.eventBus();
      Object server = field(bus, "server");
      if (server != null) {
        Object group = field(server, "channelGroup");
        if (group instanceof Iterable<?> channels) {
          List<Channel> all = new ArrayList<>();
          channels.forEach(c -> all.add((Channel) c));
          for (Channel channel : all) {
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl != null && revoked(peer(ssl), revoked)) {
              channel.close();
              closed++;
            }
          }
        }
      }
      Object outbound = field(bus, "outboundConnections");
      if (outbound instanceof Map<?, ?> connections) {
        for (Object connection : List.copyOf(connections.values())) {
          Object socket = field(connection, "socket");
          if (socket instanceof NetSocket netSocket && netSocket.isSsl()) {
            Certificate[] peer;
            try {
              peer = netSocket.peerCertificates().toArray(Certificate[]::new);
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
              continue;
            }
            if (revoked(peer, revoked)) {
              netSocket.close();
              closed++;
            }
          }
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      broken = true;
      log.error(
          "{} cannot reach the event bus's connections to close those of removed devices; they"
              + " stay open until they break: {}",
          device,
          e.toString());
    }
    if (closed > 0) {
      log.info("{} closed {} event-bus connection(s) of removed devices", device, closed);
    }
    return closed;
  }

  private static Certificate[] peer(SslHandler ssl) {
    try {
      return ssl.engine().getSession().getPeerCertificates();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return new Certificate[0];
    }
  }

  private static boolean revoked(Certificate[] chain, Set<String> revoked) {
    for (Certificate c : chain) {
      if (c instanceof X509Certificate x && revoked.contains(Certificates.serialHex(x))) {
        return true;
      }
    }
    return false;
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    Class<?> type = target.getClass();
    while (type != null) {
      try {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
      } catch (NoSuchFieldException e) {
        type = type.getSuperclass();
      }
    }
    throw new NoSuchFieldException(name + " in " + target.getClass().getName());
  }
}
