package dev.kith.health;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.kith.health.gossip.DeviceMetrics;
import dev.kith.health.gossip.GossipVerticle;
import dev.kith.health.gossip.Membership;
import dev.kith.health.gossip.MeshView;
import dev.kith.health.power.PowerSource;
import dev.kith.health.power.PowerSources;
import dev.kith.health.power.SwitchablePower;
import dev.kith.health.sampling.LoadSampler;
import dev.kith.mesh.config.ConfigException;
import dev.kith.mesh.spi.MeshContext;
import dev.kith.mesh.spi.MeshExtension;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health part of every device: it gossips this device's liveness, power and load, keeps a
 * {@link MeshView} of every device, publishes their gauges, and answers {@code GET
 * /api/mesh/devices} with each device's state, power and load, and {@code PUT
 * /api/mesh/devices/{name}/power}. See {@link MeshView} for how failures are detected.
 */
public final class HealthExtension implements MeshExtension {

  private static final Logger log = LoggerFactory.getLogger(HealthExtension.class);

  /** The last incarnation handed out in this JVM, so that two devices in one JVM differ. */
  private static final AtomicLong LAST_INCARNATION = new AtomicLong();

  private MeshContext mesh;
  private MeshView view;
  private GossipVerticle gossip;
  private String deploymentId;
  private UUID membershipListener;

  @Override
  public String name() {
    return "health";
  }

  /** This device's view of the mesh, once started; the placement controller reads it. */
  public MeshView view() {
    return view;
  }

  @Override
  public Future<Void> start(MeshContext context) {
    this.mesh = context;
    String device = context.device();
    PowerSource configured;
    try {
      configured = PowerSources.fromConfig(context.config().health().power());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new ConfigException(e.getMessage()));
    }
    log.info("{} reads its power from {}", device, describe(configured));
    view = new MeshView(device, context.config().health(), context.metrics());
    new DeviceMetrics(context.metrics(), view);
    HazelcastInstance hazelcast = context.hazelcast();
    gossip =
        new GossipVerticle(
            device,
            context.config().owner(),
            nextIncarnation(),
            context.config().health(),
            new HazelcastMembership(hazelcast),
            new SwitchablePower(configured),
            new LoadSampler(context.config().home()),
            view,
            context.metrics());
    return context
        .vertx()
        .deployVerticle(gossip)
        .compose(
            id -> {
              deploymentId = id;
              // Registering a listener is a cluster-service call; keep it off the event loop.
              return context
                  .vertx()
                  .executeBlocking(
                      () -> hazelcast.getCluster().addMembershipListener(new Forwarder()));
            })
        .onSuccess(id -> membershipListener = id)
        .mapEmpty();
  }

  @Override
  public void routes(Router router) {
    new DevicesApi(mesh.vertx(), mesh.device(), mesh.registry(), view, gossip).mount(router);
  }

  @Override
  public Future<Void> stop() {
    if (mesh == null) {
      return Future.succeededFuture();
    }
    UUID listener = membershipListener;
    Future<Void> unsubscribed =
        listener == null
            ? Future.succeededFuture()
            : mesh.vertx()
                .executeBlocking(
                    () -> mesh.hazelcast().getCluster().removeMembershipListener(listener))
                .mapEmpty();
    // Undeploying the gossip verticle publishes the goodbye.
    return unsubscribed
        .eventually(
            () ->
                deploymentId == null
                    ? Future.succeededFuture()
                    : mesh.vertx().undeploy(deploymentId))
        .mapEmpty();
  }

  /**
   * This process's incarnation: the JVM's start time in epoch milliseconds, so that a restarted
   * device is a new incarnation, and later than any incarnation already handed out in this JVM.
   */
  static long nextIncarnation() {
    long started = ManagementFactory.getRuntimeMXBean().getStartTime();
    return LAST_INCARNATION.updateAndGet(last -> Math.max(started, last + 1));
  }

  private static String describe(PowerSource source) {
    return source instanceof dev.kith.health.power.LinuxPowerSupply linux
        ? linux.directory().toString()
        : source.toString();
  }

  /** Hands Hazelcast's membership events to the gossip verticle's context. */
  private final class Forwarder implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {
      gossip.memberAdded(event.getMember().getUuid().toString());
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      gossip.memberRemoved(event.getMember().getUuid().toString());
    }
  }

  /** The member list, read from Hazelcast's local copy; neither call blocks. */
  private record HazelcastMembership(HazelcastInstance hazelcast) implements Membership {
    @Override
    public String localMemberId() {
      return hazelcast.getCluster().getLocalMember().getUuid().toString();
    }

    @Override
    public Set<String> memberIds() {
      return hazelcast.getCluster().getMembers().stream()
          .map(Member::getUuid)
          .map(UUID::toString)
          .collect(Collectors.toSet());
    }
  }
}
