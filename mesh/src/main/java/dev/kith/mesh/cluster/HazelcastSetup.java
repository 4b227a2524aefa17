package dev.kith.mesh.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.RingbufferConfig;
import dev.kith.mesh.config.DeviceConfig;
import java.util.List;

/**
 * The Hazelcast configuration of a device, built in code from its {@link DeviceConfig}.
 *
 * <p>Nothing leaves the mesh unless asked: phone-home, auto-detection and multicast are off, and a
 * device joins only the addresses it is given: {@code join} and the peers it knows ({@link
 * KnownPeers}). TCP-IP join is on even with no address to join, because Hazelcast refuses a join
 * request whose joiner differs from its own ({@code Incompatible joiners}): a device started alone
 * must still take in a device that enrolls later. The cluster port listens only on the {@link
 * ClusterBinding}'s address unless that is every interface. Failure detection is tuned from
 * Hazelcast's defaults (5 s heartbeats, 60 s timeout, 5 s wait before joining) to 1 s, 5 s and 0 s,
 * so a fresh device joins in about 2 s and a silent one is dropped in seconds. Split-brain merging
 * runs every 10 s instead of every 2 minutes. The structures Vert.x's own cluster file declares are
 * declared here with the same settings.
 */
public final class HazelcastSetup {

  /** Hazelcast map holding one entry per device name; see {@code DeviceRegistry}. */
  public static final String DEVICES_MAP = "kith.devices";

  private HazelcastSetup() {}

  /**
   * @param clusterName the mesh name and its id ({@code MeshTrust#clusterName}): devices of
   *     different meshes never form one cluster, even under the same mesh name
   */
  public static Config build(DeviceConfig device, String clusterName) {
    return build(device, clusterName, device.join(), ClusterBinding.choose(device, device.join()));
  }

  /**
   * @param members the {@code HOST:PORT} addresses to join: the configured ones and known peers
   * @param binding the address the cluster port listens on
   */
  public static Config build(
      DeviceConfig device, String clusterName, List<String> members, ClusterBinding binding) {
    // Hazelcast reads these before any Config exists; set them for the whole process too.
    System.setProperty("hazelcast.phone.home.enabled", "false");
    System.setProperty("hazelcast.logging.type", "slf4j");

    Config config = new Config();
    config.setClusterName(clusterName);
    config.setInstanceName(device.name());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "" + device.heartbeatSeconds());
    config.setProperty(
        "hazelcast.max.no.heartbeat.seconds", "" + device.noHeartbeatTimeoutSeconds());
    config.setProperty("hazelcast.wait.seconds.before.join", "" + device.waitBeforeJoinSeconds());
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    config.setProperty("hazelcast.graceful.shutdown.max.wait", "3");
    config.setProperty("hazelcast.jmx", "false");
    // Two event threads are plenty for a handful of devices (the default, five, is for server
    // clusters). The I/O threads stay at Hazelcast's three each way: with one, the output thread
    // spun on the full socket of a hung device (SIGSTOP, docker pause) and sent no heartbeats to
    // the healthy ones, which then dropped each other (GossipMeshTest, FailoverBenchmarkIT).
    // 23 partitions instead of 271: a mesh has a handful of devices and small maps, and every
    // join, death and merge moves every partition. Three devices forming a mesh took 17 % less
    // CPU and 1.5 s less (docs/benchmarks.md). Every device of a mesh must use the same count.
    config.setProperty("hazelcast.partition.count", "23");
    config.setProperty("hazelcast.event.thread.count", "2");
    // Hazelcast's own metrics feed only its management tools, which a mesh does not run; their
    // collection walks every partition and, while the partition table is repaired after a member
    // left, waits and warns for each replica without an owner (hundreds of lines a minute).
    config.getMetricsConfig().setEnabled(false);
    // Two threads that wake every second on every idle device to watch for slow operations and
    // low memory, for logs that a mesh does not need (the device's own metrics say more).
    config.setProperty("hazelcast.slow.operation.detector.enabled", "false");
    config.setProperty("hazelcast.health.monitoring.level", "OFF");
    // A mesh keeps no CRDT counters, whose replication otherwise runs every second.
    config.getCRDTReplicationConfig().setReplicationPeriodMillis(60_000);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(device.clusterPort());
    network.setPortAutoIncrement(false);
    if (device.publicHost() != null) {
      network.setPublicAddress(device.publicHost() + ":" + device.clusterPort());
    }
    if (binding.specific()) {
      // Listen on that one address only, not on every interface (Hazelcast's default). The
      // property, unlike interface matching, takes any local address (127.0.0.2 too).
      config.setProperty("hazelcast.socket.bind.any", "false");
      config.setProperty("hazelcast.local.localAddress", binding.host());
    }
    JoinConfig join = network.getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(device.multicast());
    // Hazelcast allows one joiner: with multicast asked for, TCP-IP stays off.
    join.getTcpIpConfig().setEnabled(!device.multicast());
    join.getTcpIpConfig().setConnectionTimeoutSeconds(2);
    members.forEach(join.getTcpIpConfig()::addMember);

    // The same structures as Vert.x's default-cluster.xml.
    config.addMultiMapConfig(
        new MultiMapConfig("__vertx.subs")
            .setBackupCount(1)
            .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));

    // Kith's own coordination structures (the registry, placements, drains, failover orders, the
    // move events) are tiny and every device needs them: keep three backups, so that on a mesh of
    // up to four devices every device holds all of them, and devices failing one after another
    // before the cluster has re-replicated lose nothing.
    config.addMapConfig(new MapConfig("kith.*").setBackupCount(3));
    config.addRingBufferConfig(new RingbufferConfig("kith.*").setBackupCount(3));
    return config;
  }
}
