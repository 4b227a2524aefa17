package dev.kith.mesh.testing;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.util.UUID;

/** A Hazelcast member alone on loopback, for tests of code that uses the cluster's maps. */
public final class LoneHazelcast {

  private LoneHazelcast() {}

  /** Starts a member of a new cluster named {@code prefix} and a random suffix; shut it down. */
  public static HazelcastInstance start(String prefix) {
    Config config = new Config().setClusterName(prefix + "-" + UUID.randomUUID());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    // A free port, not Hazelcast's 5701: device processes of other tests may be using that one.
    config.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(false);
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(false);
    return Hazelcast.newHazelcastInstance(config);
  }
}
