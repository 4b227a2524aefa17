package dev.kith.mesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the cluster and bus ports listen, and which peers a device joins, without a device. */
@DisplayName("Cluster binding and known peers")
class ClusterBindingTest {

  @TempDir Path tmp;

  private DeviceConfig config(String... args) {
    List<String> all = new ArrayList<>(List.of("--home", tmp.resolve("home").toString()));
    all.addAll(List.of(args));
    return DeviceConfig.load(all, Map.of(), unknown -> {}, List.of());
  }

  @Test
  @DisplayName("bind-host wins; a host that is not this machine's is a configuration error")
  void bindHost() {
    assertThat(ClusterBinding.choose(config("--bind-host", "127.0.0.2"), List.of()).host())
        .isEqualTo("127.0.0.2");
    assertThat(ClusterBinding.choose(config("--bind-host", "0.0.0.0"), List.of()).specific())
        .isFalse();
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    assertThatThrownBy(() -> ClusterBinding.choose(config("--bind-host", "192.0.2.77"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bind-host")
        .hasMessageContaining("not an address of this machine");
    assertThatThrownBy(() -> config("--bind-host", "no spaces allowed"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bind-host");
    assertThatThrownBy(() -> config("--http-bind-host", "a/b"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http-bind-host");
  }

  @Test
  @DisplayName(
      "without bind-host: the public host if local, every interface with a warning behind NAT,"
          + " loopback for a mesh of one, else the address that reaches the first peer")
  void defaults() {
    ClusterBinding publicHost =
        ClusterBinding.choose(config("--public-host", "127.0.0.1"), List.of("10.0.0.9:5701"));
    assertThat(publicHost.host()).isEqualTo("127.0.0.1");
    assertThat(publicHost.warning()).isNull();

    ClusterBinding nat = ClusterBinding.choose(config("--public-host", "192.0.2.77"), List.of());
    assertThat(nat.specific()).isFalse();
    assertThat(nat.warning()).contains("NAT", "--bind-host");

    ClusterBinding alone = ClusterBinding.choose(config(), List.of());
    assertThat(alone.host()).isEqualTo("127.0.0.1");
    assertThat(alone.reason()).contains("a mesh of one");

    assertThat(ClusterBinding.choose(config(), List.of("127.0.0.1:5801")).host())
        .isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("HTTP listens on http-bind-host, else bind-host, else every interface")
  void httpHost() {
    assertThat(config().bind().httpHostOrAll()).isEqualTo("0.0.0.0");
    assertThat(config("--bind-host", "127.0.0.2").bind().httpHostOrAll()).isEqualTo("127.0.0.2");
    assertThat(
            config("--bind-host", "127.0.0.2", "--http-bind-host", "0.0.0.0")
                .bind()
                .httpHostOrAll())
        .isEqualTo("0.0.0.0");
    assertThatThrownBy(() -> JoinPlan.of(config("--http-bind-host", "192.0.2.77")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http-bind-host");
  }

  @Test
  @DisplayName(
      "TCP-IP join is on even with nobody to join, so that a device started alone takes in an"
          + " enrolled one; with multicast it is off")
  void tcpIpAlwaysOn() {
    Config alone = HazelcastSetup.build(config(), "kith-0");
    assertThat(alone.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isTrue();
    assertThat(alone.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(alone.getProperty("hazelcast.local.localAddress")).isEqualTo("127.0.0.1");
    Config multicast = HazelcastSetup.build(config("--multicast"), "kith-0");
    assertThat(multicast.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isFalse();
    assertThat(multicast.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isTrue();
  }

  @Test
  @DisplayName(
      "known peers are kept in the home (0600), merged with newer addresses, joined after the"
          + " configured ones; a damaged file is refused, not half read")
  void knownPeers() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("peers-home"));
    assertThat(KnownPeers.load(home)).isEmpty();
    assertThat(KnownPeers.remember(home, Map.of("pi.alice", "10.0.0.2:5701"))).isTrue();
    assertThat(KnownPeers.remember(home, Map.of("pi.alice", "10.0.0.2:5701"))).isFalse();
    KnownPeers.remember(home, Map.of("pi.alice", "10.0.0.3:5701", "tv.alice", "10.0.0.4:5701"));
    assertThat(KnownPeers.load(home))
        .containsEntry("pi.alice", "10.0.0.3:5701")
        .containsEntry("tv.alice", "10.0.0.4:5701");
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(KnownPeers.file(home))))
        .isEqualTo("rw-------");
    assertThat(KnownPeers.joinList(List.of("10.0.0.4:5701", "h:1"), KnownPeers.load(home)))
        .containsExactly("10.0.0.4:5701", "h:1", "10.0.0.3:5701");

    Files.writeString(KnownPeers.file(home), "not json");
    assertThatThrownBy(() -> KnownPeers.load(home)).hasMessageContaining("peers.json");
  }
}
