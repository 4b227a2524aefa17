package dev.kith.health;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.kith.health.controller.InstanceDirectory;
import dev.kith.health.controller.PlacementAgent;
import dev.kith.health.controller.PlacementController;
import dev.kith.health.controller.PlacementMetrics;
import dev.kith.health.controller.PlacementRoutes;
import dev.kith.health.controller.PlacementStore;
import dev.kith.health.gossip.DeviceMetrics;
import dev.kith.health.gossip.DeviceStatus;
import dev.kith.health.gossip.GossipVerticle;
import dev.kith.health.gossip.Liveness;
import dev.kith.health.gossip.Membership;
import dev.kith.health.gossip.MeshView;
import dev.kith.health.placement.Candidate;
import dev.kith.health.power.PowerSource;
import dev.kith.health.power.PowerSources;
import dev.kith.health.power.PowerStatus;
import dev.kith.health.power.SwitchablePower;
import dev.kith.health.sampling.LoadSampler;
import dev.kith.mesh.registry.RegistryReader;
import dev.kith.mesh.spi.MeshContext;
import dev.kith.mesh.spi.MeshExtension;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.config.ConfigException;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
  private RegistryReader registry;
  private PlacementStore store;
  private PlacementAgent agent;
  private PlacementController controller;
  private volatile InstanceDirectory directory;
  private volatile DevicesApi devicesApi;
  private final Map<String, Long> aliveSinceMillis = new ConcurrentHashMap<>();
  private final Map<String, Long> changedAtMillis = new ConcurrentHashMap<>();

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
      configured = PowerSources.fromConfig(context.config().section(HealthConfig.class).power());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new ConfigException(e.getMessage()));
    }
    log.info("{} reads its power from {}", device, describe(configured));
    view = new MeshView(device, context.config().section(HealthConfig.class), context.metrics());
    new DeviceMetrics(context.metrics(), view);
    HazelcastInstance hazelcast = context.hazelcast();
    gossip =
        new GossipVerticle(
            device,
            context.config().owner(),
            nextIncarnation(),
            context.config().section(HealthConfig.class),
            new HazelcastMembership(hazelcast),
            new SwitchablePower(configured),
            new LoadSampler(context.config().home()),
            view,
            context.tempo(),
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
        .compose(listening -> startPlacement(context));
  }

  /**
   * Starts the placement agent (every device) and the controller (active on the oldest member), fed
   * by this device's view: every change the view reports asks for a reconcile.
   */
  private Future<Void> startPlacement(MeshContext context) {
    store = new PlacementStore(context.vertx(), context.hazelcast());
    registry = new RegistryReader(context.vertx(), context.registry()::list);
    Timer failoverSeconds =
        Timer.builder("kith.failover")
            .description("From detecting a fault or condition to the moved instance being ready")
            .publishPercentileHistogram()
            .register(context.metrics());
    PlacementMetrics placementMetrics = new PlacementMetrics(context.metrics());
    directory = new InstanceDirectory(context.services(), this::reachable);
    agent =
        new PlacementAgent(
            context.serviceContext(),
            store,
            context.services(),
            records -> {
              directory.update(records);
              placementMetrics.update(records);
            },
            event -> {
              store
                  .addEvent(event)
                  .onFailure(e -> log.warn("could not record a move: {}", e.toString()));
              if (!"new".equals(event.getString("reason"))) {
                failoverSeconds.record(
                    Duration.ofMillis(
                        Math.max(0, event.getLong("readyAt") - event.getLong("detectedAt"))));
              }
            },
            context.tempo());
    controller =
        new PlacementController(
            context.vertx(),
            context.hazelcast(),
            context.config(),
            store,
            context.services(),
            this::candidates,
            device -> changedAtMillis.getOrDefault(device, System.currentTimeMillis()),
            () -> context.serviceContext().owners().names(),
            context.metrics());
    MemberEviction eviction =
        new MemberEviction(
            context.vertx(), context.hazelcast(), context.device(), view::aliveOthers);
    view.onChange(
        change -> {
          changedAtMillis.put(change.device(), change.atMillis());
          if (change.to() == Liveness.ALIVE
              && (change.from() != Liveness.ALIVE || change.firstSeen())) {
            aliveSinceMillis.put(change.device(), change.atMillis());
          }
          if (change.to() == Liveness.DEAD) {
            view.observed(change.device())
                .map(MeshView.Observed::status)
                .ifPresent(
                    status ->
                        eviction.evict(
                            change.device(),
                            status.memberId(),
                            change.silenceMillis(),
                            "silent for " + change.silenceMillis() + " ms"));
          }
          if (change.to() == Liveness.DEAD || change.to() == Liveness.LEFT) {
            // Requests waiting on an instance there will get no answer: fail them now.
            context
                .vertx()
                .eventBus()
                .publish(
                    ServiceContext.DEVICE_LOST_ADDRESS,
                    change.device(),
                    new DeliveryOptions().setLocalOnly(true));
          }
          controller.reconcileSoon();
        });
    return context
        .vertx()
        .executeBlocking(
            () -> {
              store.startMirror();
              return null;
            })
        .compose(mirroring -> store.publishFailover(context.config().failover()))
        .onSuccess(
            published -> {
              controller.start();
              // Instances need the vault and the accounts: this device runs none before they do.
              context.vaultOpen().onSuccess(open -> agent.start());
            });
  }

  @Override
  public String route(String address) {
    InstanceDirectory current = directory;
    return current == null ? null : current.route(address);
  }

  /**
   * Vault replicas go to devices on mains first, then charging, then on battery by level; within a
   * power band, the device with more free disk comes first. Devices not yet heard of come last.
   */
  @Override
  public List<String> rankForStorage(List<String> devices) {
    MeshView current = view;
    if (current == null) {
      return null;
    }
    java.util.function.ToDoubleFunction<String> power =
        d -> current.observed(d).map(o -> powerBand(o.status().power())).orElse(-1.0);
    java.util.function.ToLongFunction<String> freeDisk =
        d -> current.observed(d).map(o -> o.status().load().freeDiskBytes()).orElse(-1L);
    List<String> ranked = new java.util.ArrayList<>(devices);
    ranked.sort(
        java.util.Comparator.comparingDouble(power)
            .reversed()
            .thenComparing(java.util.Comparator.comparingLong(freeDisk).reversed())
            .thenComparing(d -> d));
    return ranked;
  }

  /** Power in coarse bands, so that a few percent of battery never reorders replicas. */
  private static double powerBand(dev.kith.health.power.PowerStatus power) {
    return Math.floor(power.rank() * 4) / 4;
  }

  /** Whether a device may take requests: this one, or one alive, suspect or not yet heard of. */
  private boolean reachable(String device) {
    return device.equals(mesh.device())
        || view.observed(device)
            .map(o -> o.state() == Liveness.ALIVE || o.state() == Liveness.SUSPECT)
            .orElse(true);
  }

  /** Every device the registry knows, as the placement controller sees it. */
  private Future<List<Candidate>> candidates() {
    return Future.all(registry.list(), store.drained())
        .map(
            all -> {
              List<JsonObject> devices = all.resultAt(0);
              Set<String> drained = all.resultAt(1);
              List<Candidate> out = new ArrayList<>();
              for (JsonObject d : devices) {
                String name = d.getString("name");
                Optional<MeshView.Observed> seen = view.observed(name);
                boolean alive =
                    name.equals(mesh.device())
                        || seen.map(
                                o -> o.state() == Liveness.ALIVE || o.state() == Liveness.SUSPECT)
                            .orElse("alive".equals(d.getString("state")));
                DeviceStatus status = seen.map(MeshView.Observed::status).orElse(null);
                PowerStatus power = status == null ? PowerStatus.MAINS : status.power();
                double cpu = status == null ? Double.NaN : status.load().cpuLoad();
                long disk = status == null ? -1L : status.load().freeDiskBytes();
                long since =
                    aliveSinceMillis.getOrDefault(name, startedAtMillis(d.getString("startedAt")));
                out.add(
                    new Candidate(
                        name,
                        d.getString("owner"),
                        alive,
                        drained.contains(name),
                        power,
                        cpu,
                        disk,
                        since));
              }
              return out;
            });
  }

  private static long startedAtMillis(String iso) {
    try {
      return Instant.parse(iso).toEpochMilli();
    } catch (RuntimeException e) {
      return System.currentTimeMillis();
    }
  }

  @Override
  public void routes(Router router) {
    devicesApi().mount(router);
    new PlacementRoutes(store, registry::list, controller::reconcileSoon).mount(router);
  }

  @Override
  public JsonObject describeDevice(JsonObject entry) {
    return devicesApi().withHealth(entry);
  }

  @Override
  public Future<Map<String, List<String>>> failoverOrders() {
    if (store == null) {
      return null;
    }
    return store
        .failoverOrders()
        .map(
            published -> {
              Map<String, List<String>> orders = new HashMap<>(published);
              mesh.config().failover().forEach(orders::putIfAbsent);
              return orders;
            });
  }

  @Override
  public Future<List<JsonObject>> placedInstances() {
    return store == null ? null : PlacementRoutes.instances(store);
  }

  private DevicesApi devicesApi() {
    DevicesApi api = devicesApi;
    if (api == null) {
      api =
          new DevicesApi(
              mesh.vertx(),
              mesh.device(),
              mesh.registry(),
              view,
              gossip,
              agent::running,
              () -> directory.records());
      devicesApi = api;
    }
    return api;
  }

  @Override
  public Future<Void> stop() {
    if (mesh == null) {
      return Future.succeededFuture();
    }
    if (controller != null) {
      controller.stop();
    }
    if (agent != null) {
      agent.stop();
    }
    if (store != null) {
      store.stopMirror();
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
