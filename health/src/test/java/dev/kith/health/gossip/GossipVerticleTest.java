package dev.kith.health.gossip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.health.HealthConfig;
import dev.kith.health.power.PowerSource;
import dev.kith.health.power.PowerStatus;
import dev.kith.health.power.SimulatedPower;
import dev.kith.health.power.SwitchablePower;
import dev.kith.health.sampling.LoadSampler;
import dev.kith.health.sampling.LoadStatus;
import dev.kith.mesh.Tempo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The gossip verticle on a local event bus, with fast periods and a fake cluster. */
@ExtendWith(VertxExtension.class)
@DisplayName("The gossip verticle")
class GossipVerticleTest {

  private static final HealthConfig FAST =
      new HealthConfig("mains", 100, 150, 400, 800, 0.2, Set.of());
  private static final String MEMBER = "00000000-0000-0000-0000-00000000000a";
  private static final Membership ALONE =
      new Membership() {
        @Override
        public String localMemberId() {
          return MEMBER;
        }

        @Override
        public Set<String> memberIds() {
          return Set.of(MEMBER);
        }
      };

  @TempDir Path home;

  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private final List<DeviceStatus> heard = new CopyOnWriteArrayList<>();
  private final Tempo tempo = new Tempo("laptop.alice");

  private GossipVerticle verticle(PowerSource power, MeshView view) {
    return new GossipVerticle(
        "laptop.alice",
        "alice",
        1234,
        FAST,
        ALONE,
        new SwitchablePower(power),
        new LoadSampler(home),
        view,
        tempo,
        metrics);
  }

  private MeshView view() {
    return new MeshView("laptop.alice", FAST, metrics);
  }

  /** Records every status published, as another device would hear it. */
  private void listen(Vertx vertx, Runnable onEach) {
    vertx
        .eventBus()
        .<String>consumer(
            GossipVerticle.ADDRESS,
            message -> {
              heard.add(DeviceStatus.parse(message.body()));
              onEach.run();
            });
  }

  @Test
  @DisplayName("publishes a status every period with a rising sequence, and counts the bytes")
  void publishesEveryPeriod(Vertx vertx, VertxTestContext test) {
    MeshView view = view();
    listen(
        vertx,
        () -> {
          if (heard.size() == 5) {
            test.verify(
                () -> {
                  assertThat(heard)
                      .extracting(DeviceStatus::sequence)
                      .startsWith(0L, 1L, 2L, 3L, 4L);
                  DeviceStatus first = heard.get(0);
                  assertThat(first.device()).isEqualTo("laptop.alice");
                  assertThat(first.incarnation()).isEqualTo(1234);
                  assertThat(first.memberId()).isEqualTo(MEMBER);
                  assertThat(first.periodMillis()).isEqualTo(100);
                  assertThat(first.power()).isEqualTo(PowerStatus.MAINS);
                  assertThat(tempo.saving()).isFalse();
                  assertThat(first.load().heapMaxBytes()).isPositive();
                  // Every status heard was counted when it was sent (ASCII: a char is a byte).
                  assertThat(metrics.get("kith.gossip.sent.bytes").counter().count())
                      .isGreaterThanOrEqualTo(
                          heard.stream().mapToInt(status -> status.encode().length()).sum());
                  assertThat(view.observed("laptop.alice").orElseThrow().state())
                      .isEqualTo(Liveness.ALIVE);
                });
            test.completeNow();
          }
        });

    vertx
        .deployVerticle(verticle(SimulatedPower.parse("mains"), view))
        .onComplete(test.succeeding(id -> {}));
  }

  @Test
  @DisplayName(
      "gossips on the longer battery period while on battery, and slows the device's rounds")
  void batteryPeriod(Vertx vertx, VertxTestContext test) {
    listen(
        vertx,
        () -> {
          if (heard.size() == 2) {
            test.verify(
                () -> {
                  assertThat(heard.get(1).periodMillis()).isEqualTo(150);
                  assertThat(heard.get(1).power()).isEqualTo(PowerStatus.battery(0.5, false));
                  assertThat(tempo.saving()).isTrue();
                  assertThat(tempo.period(500)).isEqualTo(500L * Tempo.SAVING_FACTOR);
                });
            test.completeNow();
          }
        });

    vertx
        .deployVerticle(verticle(SimulatedPower.parse("battery:0.5:discharging"), view()))
        .onComplete(test.succeeding(id -> {}));
  }

  @Test
  @DisplayName("applies a power request from the event bus, answers it, and gossips it at once")
  void powerRequest(Vertx vertx, VertxTestContext test) {
    Checkpoint gossiped = test.checkpoint();
    listen(
        vertx,
        () -> {
          if (heard.get(heard.size() - 1).power().batteryLevel() == 0.2) {
            test.verify(() -> assertThat(tempo.saving()).isTrue());
            gossiped.flag();
          }
        });
    Checkpoint answered = test.checkpoint();
    Checkpoint refused = test.checkpoint();

    vertx
        .deployVerticle(verticle(SimulatedPower.parse("mains"), view()))
        .compose(
            id ->
                vertx
                    .eventBus()
                    .<JsonObject>request(
                        GossipVerticle.powerAddress("laptop.alice"),
                        new JsonObject().put("level", 0.2).put("charging", false)))
        .onComplete(
            test.succeeding(
                reply -> {
                  test.verify(
                      () ->
                          assertThat(reply.body().getJsonObject("power"))
                              .isEqualTo(PowerStatus.battery(0.2, false).toJson()));
                  answered.flag();
                  vertx
                      .eventBus()
                      .request(
                          GossipVerticle.powerAddress("laptop.alice"),
                          new JsonObject().put("level", 7))
                      .onComplete(
                          test.failing(
                              e -> {
                                test.verify(
                                    () -> {
                                      assertThat(e).isInstanceOf(ReplyException.class);
                                      assertThat(((ReplyException) e).failureCode()).isEqualTo(400);
                                      assertThat(e).hasMessageContaining("level");
                                    });
                                refused.flag();
                              }));
                }));
  }

  @Test
  @DisplayName("announces that it is leaving when it is undeployed")
  void leavingOnStop(Vertx vertx, VertxTestContext test) {
    Checkpoint goodbye = test.checkpoint();
    Checkpoint undeployed = test.checkpoint();
    listen(
        vertx,
        () -> {
          if (heard.get(heard.size() - 1).leaving()) {
            goodbye.flag();
          }
        });

    vertx
        .deployVerticle(verticle(SimulatedPower.parse("mains"), view()))
        .compose(vertx::undeploy)
        .onComplete(test.succeeding(done -> undeployed.flag()));
  }

  @Test
  @DisplayName("ignores bad gossip and still takes in good gossip from other devices")
  void badGossip(Vertx vertx, VertxTestContext test) {
    MeshView view = view();
    DeviceStatus peer =
        new DeviceStatus(
            "pi.alice",
            "alice",
            "00000000-0000-0000-0000-00000000000b",
            99,
            0,
            100,
            PowerStatus.MAINS,
            LoadStatus.UNKNOWN,
            false,
            0);

    vertx
        .deployVerticle(verticle(SimulatedPower.parse("mains"), view))
        .onComplete(
            test.succeeding(
                id -> {
                  vertx.eventBus().publish(GossipVerticle.ADDRESS, "garbage");
                  vertx.eventBus().publish(GossipVerticle.ADDRESS, 42);
                  vertx.eventBus().publish(GossipVerticle.ADDRESS, "x".repeat(10_000));
                  vertx.eventBus().publish(GossipVerticle.ADDRESS, peer.encode());
                  vertx.setPeriodic(
                      20,
                      t -> {
                        if (view.observed("pi.alice").isPresent()) {
                          vertx.cancelTimer(t);
                          test.completeNow();
                        }
                      });
                }));
  }

  @Test
  @DisplayName("keeps gossiping the last sample while a power reading hangs")
  void hangingSample(Vertx vertx, VertxTestContext test) {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    PowerSource stalls =
        () -> {
          if (reads.incrementAndGet() > 1) {
            try {
              // A battery file on a stalled firmware call.
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return PowerStatus.MAINS;
        };
    listen(
        vertx,
        () -> {
          if (heard.size() == 6) {
            // Six statuses while the second reading never returned.
            test.verify(() -> assertThat(reads.get()).isEqualTo(2));
            release.countDown();
            test.completeNow();
          }
        });

    vertx.deployVerticle(verticle(stalls, view())).onComplete(test.succeeding(id -> {}));
  }
}
