package dev.kith.mesh.cluster;

import dev.kith.mesh.config.DeviceConfig;
import io.vertx.core.eventbus.EventBusOptions;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a device joins its mesh: the addresses it asks ({@code join}, then the peers its home knows)
 * and the address its cluster and event-bus ports listen on.
 *
 * @param members the {@code HOST:PORT} addresses Hazelcast joins, configured ones first
 * @param binding where the cluster and event-bus ports listen
 */
public record JoinPlan(List<String> members, ClusterBinding binding) {

  private static final Logger log = LoggerFactory.getLogger(JoinPlan.class);

  public JoinPlan {
    members = List.copyOf(members);
  }

  /**
   * The plan for {@code config}, once its home holds its trust files (and, after an enrollment, the
   * peers the mesh named).
   *
   * @throws dev.kith.mesh.spi.config.ConfigException when {@code bind-host} or {@code
   *     http-bind-host} is not an address of this machine
   */
  public static JoinPlan of(DeviceConfig config) {
    Map<String, String> known;
    try {
      known = KnownPeers.load(config.home());
    } catch (IOException e) {
      log.warn(
          "{}: ignoring {}: {}; it is written again from the mesh once joined",
          config.name(),
          KnownPeers.file(config.home()),
          e.getMessage());
      known = Map.of();
    }
    known.remove(config.name());
    String httpHost = config.bind().httpHost();
    if (httpHost != null
        && !ClusterBinding.isWildcard(httpHost)
        && ClusterBinding.localAddress(httpHost) == null) {
      throw new dev.kith.mesh.spi.config.ConfigException(
          DeviceConfig.Key.HTTP_BIND_HOST.key,
          httpHost + " is not an address of this machine; give one of its own addresses");
    }
    List<String> members = KnownPeers.joinList(config.join(), known);
    return new JoinPlan(members, ClusterBinding.choose(config, members));
  }

  /** Makes the event bus listen where the cluster port does, and say where others reach it. */
  public void configure(EventBusOptions bus, DeviceConfig config) {
    if (binding.specific()) {
      bus.setHost(binding.host());
      if (config.publicHost() != null) {
        bus.setClusterPublicHost(config.publicHost());
      }
    } else if (config.publicHost() != null) {
      bus.setHost("0.0.0.0").setClusterPublicHost(config.publicHost());
    }
  }

  /**
   * Whether the device was told of any device but itself: then being alone after the join means
   * that none of them answered.
   */
  public boolean expectsPeers(DeviceConfig config) {
    int port = config.clusterPort();
    Set<String> self =
        new java.util.HashSet<>(List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port));
    if (config.publicHost() != null) {
      self.add(config.publicHost() + ":" + port);
    }
    if (binding.specific()) {
      self.add(binding.host() + ":" + port);
    }
    return members.stream().anyMatch(m -> !self.contains(m));
  }

  /** Where the device joins and listens, for the start-up log. */
  public String describe(DeviceConfig config) {
    String joining =
        members.isEmpty() ? "nobody (a mesh of one, until a device enrolls)" : members.toString();
    return "joining "
        + joining
        + "; cluster port "
        + binding.shown()
        + ":"
        + config.clusterPort()
        + " and event bus "
        + binding.shown()
        + ":"
        + (config.busPort() == 0 ? "(a free port)" : config.busPort())
        + " ("
        + binding.reason()
        + "), HTTP "
        + config.bind().httpHostOrAll()
        + ":"
        + config.httpPort();
  }
}
