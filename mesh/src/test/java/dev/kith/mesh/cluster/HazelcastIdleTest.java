package dev.kith.mesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.kith.mesh.testing.FreePorts;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 100 ms future check of Hazelcast is found, stopped, and the member keeps working. */
class HazelcastIdleTest {

  private HazelcastInstance hazelcast;

  @BeforeEach
  void start() {
    Config config = new Config().setClusterName("idle-" + UUID.randomUUID());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    config.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(false);
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(false);
    hazelcast = Hazelcast.newHazelcastInstance(config);
  }

  @AfterEach
  void stop() {
    hazelcast.shutdown();
  }

  @Test
  void theFutureCheckIsStoppedAndTheMemberStillServes() throws Exception {
    // This Hazelcast schedules the check: if an upgrade drops it, this says so.
    assertThat(HazelcastIdle.futureChecks(hazelcast)).isEqualTo(1);

    assertThat(HazelcastIdle.stopFutureCheck(hazelcast, "test")).isEqualTo(1);

    assertThat(HazelcastIdle.futureChecks(hazelcast)).isZero();
    assertThat(HazelcastIdle.stopFutureCheck(hazelcast, "test")).isZero();
    IMap<String, String> map = hazelcast.getMap("idle");
    map.put("k", "v");
    assertThat(map.getAsync("k").toCompletableFuture().get()).isEqualTo("v");
  }
}
