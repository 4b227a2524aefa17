package dev.kith.health.controller;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.kith.health.placement.Candidate;
import dev.kith.health.power.PowerStatus;
import dev.kith.health.probe.BeaconService;
import dev.kith.health.probe.ProbeService;
import dev.kith.mesh.cluster.HazelcastSetup;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.testing.FreePorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real controller on a one-member cluster, fed a device list the test controls: it is the
 * controller, and it moves the beacon off a device the list reports dead at once, but not off a
 * device the list merely lacks (a registry read that missed entries) until that has lasted {@link
 * PlacementController#MISSING_GRACE_MILLIS}.
 */
class PlacementControllerTest {

  @TempDir Path home;

  private Vertx vertx;
  private HazelcastInstance hazelcast;
  private PlacementStore store;
  private PlacementController controller;
  private DeviceConfig config;
  private final List<Candidate> devices = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void start() throws Exception {
    DeviceConfig config =
        DeviceConfig.load(
            List.of(
                "--name",
                "a.alice",
                "--home",
                home.toString(),
                "--http-port",
                String.valueOf(FreePorts.next()),
                "--cluster-port",
                String.valueOf(FreePorts.next()),
                "--mesh",
                "test-" + UUID.randomUUID(),
                "--public-host",
                "127.0.0.1"),
            Map.of(),
            unknown -> {});
    vertx = Vertx.vertx();
    hazelcast = Hazelcast.newHazelcastInstance(HazelcastSetup.build(config, config.mesh()));
    store = new PlacementStore(vertx, hazelcast);
    store.startMirror();
    // The beacon runs on b.alice, placed by an earlier controller.
    long placedAt = System.currentTimeMillis();
    store
        .placementsMap()
        .set(
            "beacon",
            new PlacementRecord(
                    "beacon", null, "b.alice", 1001, null, "running", "new", placedAt, placedAt,
                    null)
                .toJson()
                .encode());
    devices.add(device("a.alice", true));
    this.config = config;
  }

  /** Starts the controller, which reads the accounts through {@code accounts}. */
  private void startController(Supplier<Future<Set<String>>> accounts) {
    controller =
        new PlacementController(
            vertx,
            hazelcast,
            config,
            store,
            List.of(new BeaconService(), new ProbeService()),
            () -> Future.succeededFuture(List.copyOf(devices)),
            device -> System.currentTimeMillis(),
            accounts,
            registry);
    vertx.runOnContext(v -> controller.start());
  }

  private void startController() {
    startController(() -> Future.succeededFuture(Set.of()));
  }

  @AfterEach
  void stop() throws Exception {
    if (controller != null) {
      vertx.runOnContext(v -> controller.stop());
    }
    if (hazelcast != null) {
      hazelcast.shutdown();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static Candidate device(String name, boolean alive) {
    return new Candidate(name, "alice", alive, false, PowerStatus.MAINS, 0.1, 1L << 30, 0L);
  }

  private String beaconDevice() {
    return deviceOf("beacon");
  }

  private String deviceOf(String mapKey) {
    return PlacementRecord.fromJson(new JsonObject(store.placementsMap().get(mapKey))).device();
  }

  @Test
  @DisplayName("moves the beacon off a device the device list reports dead, at once")
  void movesOffADeadDevice() {
    startController();
    devices.add(device("b.alice", false));

    Duration moved =
        eventually(
            Duration.ofSeconds(5),
            () -> {
              assertThat(beaconDevice()).isEqualTo("a.alice");
            });

    assertThat(moved).isLessThan(Duration.ofMillis(PlacementController.MISSING_GRACE_MILLIS));
    assertThat(controller.epoch()).isPositive();
  }

  @Test
  @DisplayName(
      "has a failover counter at 0 for every reason but new before any move, and the first move"
          + " counts 1 on it")
  void failoverCountersStartAtZero() {
    startController();
    for (String reason : List.of("failed", "low-battery", "drain", "takeover", "power")) {
      assertThat(
              registry.find("kith.failovers").tags("service", "beacon", "reason", reason).counter())
          .as("kith.failovers{service=beacon,reason=%s}", reason)
          .isNotNull();
    }
    assertThat(registry.find("kith.failovers").tags("reason", "new").counter()).isNull();

    devices.add(device("b.alice", false));

    eventually(
        Duration.ofSeconds(5),
        () ->
            assertThat(
                    registry
                        .get("kith.failovers")
                        .tags("service", "beacon", "reason", "failed")
                        .counter()
                        .count())
                .isEqualTo(1.0));
  }

  @Test
  @DisplayName(
      "keeps the beacon on a device the device list lacks for the grace period, then moves it")
  void waitsForADeviceMissingFromTheList() {
    startController();
    // b.alice runs the beacon but is not in the list at all: a read that missed its entry.
    eventually(
        Duration.ofSeconds(5),
        () -> {
          assertThat(controller.epoch()).isPositive();
        });
    allTheTime(
        Duration.ofMillis(PlacementController.MISSING_GRACE_MILLIS - 1000),
        () -> assertThat(beaconDevice()).isEqualTo("b.alice"));

    // A registry that really lost the entry: after the grace period the beacon moves.
    eventually(
        Duration.ofSeconds(5),
        () -> {
          assertThat(beaconDevice()).isEqualTo("a.alice");
        });
    assertThat(store.placementsMap().get("beacon")).contains("\"reason\":\"failed\"");
  }

  @Test
  @DisplayName(
      "a controller that cannot read the accounts still moves the instances of the owners the"
          + " placement map names")
  void movesOwnersItCannotReadTheAccountsOf() {
    // probe/alice runs on b.alice, which died; no replica of the accounts answers this side.
    long placedAt = System.currentTimeMillis();
    store
        .placementsMap()
        .set(
            "probe/alice",
            new PlacementRecord(
                    "probe", "alice", "b.alice", 1002, null, "running", "new", placedAt, placedAt,
                    null)
                .toJson()
                .encode());
    devices.add(device("b.alice", false));
    startController(
        () -> Future.failedFuture(new IllegalStateException("no replica of the accounts answers")));

    eventually(
        Duration.ofSeconds(5),
        () -> {
          assertThat(deviceOf("probe/alice")).isEqualTo("a.alice");
          assertThat(beaconDevice()).isEqualTo("a.alice");
        });
  }
}
