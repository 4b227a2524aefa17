package dev.kith.mesh.cluster;

import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.config.ConfigException;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The address the cluster (Hazelcast) and event-bus ports listen on. Hazelcast's open-source
 * edition has no authentication, so its port must be reachable only where other devices are: the
 * address they use for this one, never every interface by default.
 *
 * <p>In order: {@code bind-host} if set; else the {@code public-host} when it is an address of this
 * machine (behind NAT it is not, and then every interface, with a warning); else loopback when the
 * device has nobody to join (a mesh of one); else the local address this machine uses to reach the
 * first device it joins (loopback for a device on the same machine).
 *
 * @param host the IP address to bind, or {@code null} for every interface
 * @param reason why, for the start-up log line
 * @param warning a warning to log, or {@code null}
 */
public record ClusterBinding(String host, String reason, String warning) {

  /** Every interface: {@code 0.0.0.0} or {@code ::}. */
  static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
  }

  /** Whether the cluster and bus ports listen on one address rather than on every interface. */
  public boolean specific() {
    return host != null;
  }

  /** The address as a log line shows it. */
  public String shown() {
    return host == null ? "every interface" : host;
  }

  /**
   * Chooses the address for {@code config}, whose device will join {@code members}.
   *
   * @throws ConfigException when {@code bind-host} is not an address of this machine
   */
  public static ClusterBinding choose(DeviceConfig config, List<String> members) {
    String bindHost = config.bind().host();
    if (bindHost != null) {
      if (isWildcard(bindHost)) {
        return new ClusterBinding(null, "bind-host " + bindHost, null);
      }
      InetAddress address = localAddress(bindHost);
      if (address == null) {
        throw new ConfigException(
            DeviceConfig.Key.BIND_HOST.key,
            bindHost + " is not an address of this machine; give one of its own addresses");
      }
      return new ClusterBinding(address.getHostAddress(), "bind-host", null);
    }
    String publicHost = config.publicHost();
    if (publicHost != null) {
      InetAddress address = localAddress(publicHost);
      if (address != null) {
        return new ClusterBinding(address.getHostAddress(), "public-host", null);
      }
      return new ClusterBinding(
          null,
          "public-host " + publicHost + " is not an address of this machine",
          "public-host "
              + publicHost
              + " is not an address of this machine (NAT?), so the cluster and event-bus ports"
              + " listen on every interface; set --bind-host to the local address the other"
              + " devices reach");
    }
    if (members.isEmpty()) {
      return new ClusterBinding(
          InetAddress.getLoopbackAddress().getHostAddress(),
          "a mesh of one without public-host: loopback only",
          null);
    }
    for (String member : members) {
      InetAddress route = routeTo(member);
      if (route != null) {
        return new ClusterBinding(
            route.getHostAddress(), "the address that reaches " + member, null);
      }
    }
    return new ClusterBinding(
        null,
        "none of " + members + " resolves",
        "none of the devices to join ("
            + members
            + ") resolves to an address, so the cluster and"
            + " event-bus ports listen on every interface; set --public-host or --bind-host");
  }

  /** {@code host} resolved, if it is an address of one of this machine's interfaces. */
  static InetAddress localAddress(String host) {
    try {
      for (InetAddress address : InetAddress.getAllByName(unbracket(host))) {
        if (address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null) {
          return address;
        }
      }
      return null;
    } catch (UnknownHostException | SocketException e) {
      return null;
    }
  }

  /** The local address that packets to {@code member} ({@code HOST:PORT}) leave from. */
  static InetAddress routeTo(String member) {
    int colon = member.lastIndexOf(':');
    try (DatagramSocket socket = new DatagramSocket()) {
      // Connecting a datagram socket sends nothing: it only asks the kernel for the route.
      socket.connect(
          InetAddress.getByName(unbracket(member.substring(0, colon))),
          Integer.parseInt(member.substring(colon + 1)));
      InetAddress local = socket.getLocalAddress();
      return local == null || local.isAnyLocalAddress() ? null : local;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String unbracket(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
