package dev.kith.mesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.kith.mesh.testing.LoneHazelcast;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 100 ms future check of Hazelcast is found, stopped, and the member keeps working. */
class HazelcastIdleTest {

  private HazelcastInstance hazelcast;

  @BeforeEach
  void start() {
    hazelcast = LoneHazelcast.start("idle");
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
