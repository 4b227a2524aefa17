package dev.kith.mesh;

import ch.qos.logback.classic.LoggerContext;
import com.hazelcast.core.HazelcastInstance;
import dev.kith.mesh.auth.Accounts;
import dev.kith.mesh.auth.AuthRoutes;
import dev.kith.mesh.auth.AuthService;
import dev.kith.mesh.auth.FirstOwnerHint;
import dev.kith.mesh.auth.LoginLimiter;
import dev.kith.mesh.auth.MeshOwners;
import dev.kith.mesh.auth.Passwords;
import dev.kith.mesh.auth.Tokens;
import dev.kith.mesh.cluster.HazelcastIdle;
import dev.kith.mesh.cluster.HazelcastSetup;
import dev.kith.mesh.cluster.JoinPlan;
import dev.kith.mesh.cluster.KnownPeers;
import dev.kith.mesh.cluster.PeerKeeper;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.config.HomeModes;
import dev.kith.mesh.edge.Edge;
import dev.kith.mesh.edge.FrontPage;
import dev.kith.mesh.metrics.MeshMetrics;
import dev.kith.mesh.registry.DeviceInfo;
import dev.kith.mesh.registry.DeviceRegistry;
import dev.kith.mesh.registry.DeviceRoutes;
import dev.kith.mesh.registry.RegistryReader;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.MeshContext;
import dev.kith.mesh.spi.MeshExtension;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.web.RouteModule;
import dev.kith.mesh.trust.BusGuard;
import dev.kith.mesh.trust.Certificates;
import dev.kith.mesh.trust.Enrollment;
import dev.kith.mesh.trust.EntrySeal;
import dev.kith.mesh.trust.MeshTrust;
import dev.kith.mesh.trust.RevocationTrust;
import dev.kith.mesh.trust.Revocations;
import dev.kith.mesh.trust.TrustService;
import dev.kith.mesh.vault.MeshVault;
import dev.kith.mesh.vault.VaultRoutes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running device: a clustered Vert.x instance, its entry in the device registry, its edge and
 * the services it runs.
 *
 * <p>Start-up order: check the ports, join the mesh, claim the device name (a name held by another
 * live device ends start-up with {@link DeviceRegistry.NameInUseException}), answer pings, start
 * the edge, deploy the services placed on every device, then report ready. {@link #stop()} is the
 * clean leave: the registry marks the device {@code left} before the cluster sees it go, so the
 * mesh can tell a goodbye from a crash.
 */
public final class Device {

  private static final Logger log = LoggerFactory.getLogger(Device.class);
  private static final Pattern SERVICE_NAME = Pattern.compile("[a-z][a-z0-9]{0,30}");

  /**
   * How often the device registry is read without being told of a change: entries and members that
   * change are read at once (listeners), and this catches an event a partition swallowed.
   */
  private static final long REGISTRY_REFRESH_MILLIS = 5000;

  private static final long GUARD_PERIOD_MILLIS = 1000;
  private static final long PING_TIMEOUT_MILLIS = 2000;
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  private final DeviceConfig config;
  private final Vertx vertx;
  private final DeviceRegistry registry;
  private final MeshMetrics meshMetrics;
  private final Tempo tempo;
  private final List<String> running = new CopyOnWriteArrayList<>();
  private final List<MeshExtension> extensions = loadExtensions();
  private final MeshTrust trust;
  private final java.security.KeyPair tokenKey;
  private final String operatorToken;
  private volatile AuthService auth;
  private volatile MeshOwners owners;
  private final Promise<Void> vaultOpen = Promise.promise();
  private volatile Revocations revocations;
  private volatile PeerKeeper peers;
  private volatile TrustService trustService;
  private volatile BusGuard busGuard;
  private final Promise<Void> removed = Promise.promise();

  /** Removed device names, with when this device learned it; cleared when the name re-enrolls. */
  private final java.util.Map<String, String> removedNames =
      new java.util.concurrent.ConcurrentHashMap<>();

  private Tempo.Round guardRound;
  private volatile MeshVault vault;
  private volatile DeviceInfo self;
  private volatile boolean ready;
  private volatile int httpPort;
  private Tempo.Round refreshRound;

  private Device(
      DeviceConfig config,
      Vertx vertx,
      DeviceRegistry registry,
      MeshMetrics meshMetrics,
      MeshTrust trust,
      java.security.KeyPair tokenKey,
      String operatorToken) {
    this.config = config;
    this.trust = trust;
    this.tokenKey = tokenKey;
    this.operatorToken = operatorToken;
    this.vertx = vertx;
    this.registry = registry;
    this.meshMetrics = meshMetrics;
    this.tempo = new Tempo(config.name());
  }

  /** The version of Kith, from the jar manifest. */
  public static String version() {
    String v = Device.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Starts a device; the future fails with a {@link ConfigException} for bad configuration. */
  public static Future<Device> start(DeviceConfig config) {
    nameLogLines(config.name());
    secureHome(config, true);
    try {
      checkPortFree("http-port", config.httpPort());
      checkPortFree("cluster-port", config.clusterPort());
      if (config.busPort() != 0) {
        checkPortFree("bus-port", config.busPort());
      }
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    MeshTrust trust;
    java.security.KeyPair tokenKey;
    String operatorToken;
    try {
      trust = trust(config);
      tokenKey = trust.tokenKey();
      operatorToken = trust.operatorToken();
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    } catch (java.io.IOException | RuntimeException e) {
      return Future.failedFuture(
          new ConfigException(
              "home",
              "the trust files in "
                  + MeshTrust.folder(config.home())
                  + " cannot be used: "
                  + e.getMessage()));
    }
    JoinPlan plan;
    try {
      plan = JoinPlan.of(config);
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    log.info(
        "starting device {} (Kith {}) in mesh '{}', home {}, {}",
        config.name(),
        version(),
        config.mesh(),
        config.home(),
        plan.describe(config));
    if (plan.binding().warning() != null) {
      log.warn("{}: {}", config.name(), plan.binding().warning());
    }

    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics.config().meterFilter(MeshMetrics.httpResponseTimeBuckets());
    HazelcastClusterManager clusterManager =
        new HazelcastClusterManager(
            HazelcastSetup.build(config, trust.clusterName(), plan.members(), plan.binding()));
    // TLS both ways, with the mesh CA as the only trust: a process without a device certificate of
    // this mesh can neither send nor receive. trustAll must be off explicitly (Vert.x 5 trusts
    // every server otherwise), and the key and trust options are PEM ones, which the event bus
    // keeps (it silently drops a generic KeyStoreOptions).
    EventBusOptions bus =
        new EventBusOptions()
            .setPort(config.busPort())
            .setSsl(true)
            .setClientAuth(ClientAuth.REQUIRED)
            .setTrustAll(false)
            .setKeyCertOptions(trust.keyCertOptions())
            .setTrustOptions(trust.trustOptions());
    plan.configure(bus, config);
    VertxOptions options =
        new VertxOptions()
            // One event loop per core (Vert.x's default is two): a phone or a Pi pays for every
            // thread, and the loops never block.
            .setEventLoopPoolSize(Math.max(2, CORES))
            // A loop blocked past the 2 s limit is logged with its stack, so the cause shows.
            .setWarningExceptionTime(2)
            .setWarningExceptionTimeUnit(java.util.concurrent.TimeUnit.SECONDS)
            .setEventBusOptions(bus)
            .setMetricsOptions(
                new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    long started = System.nanoTime();
    return Vertx.builder()
        .with(options)
        .withMetrics(new MicrometerMetricsFactory(metrics))
        .withClusterManager(clusterManager)
        .buildClustered()
        .recover(e -> Future.failedFuture(explainStartFailure(config, e)))
        .compose(
            vertx -> {
              HazelcastInstance hz = clusterManager.getHazelcastInstance();
              HazelcastIdle.stopFutureCheck(hz, config.name());
              int size = hz.getCluster().getMembers().size();
              log.info(
                  "joined mesh '{}' in {} ms with {} device(s)",
                  config.mesh(),
                  (System.nanoTime() - started) / 1_000_000,
                  size);
              if (size == 1 && plan.expectsPeers(config)) {
                log.warn(
                    "{} is alone: none of {} answered yet. It keeps looking every 10 s and"
                        + " joins them when they answer. If they run, check that their cluster"
                        + " port listens on an address this machine reaches (their --public-host"
                        + " or --bind-host; a device started with neither and nobody to join"
                        + " listens on loopback only)",
                    config.name(),
                    plan.members());
              }
              Device device =
                  new Device(
                      config,
                      vertx,
                      new DeviceRegistry(vertx, hz, new EntrySeal(trust)),
                      new MeshMetrics(metrics, config.name(), config.owner(), version()),
                      trust,
                      tokenKey,
                      operatorToken);
              // Completed off any Vert.x context: after a failure, vertx.close() stops the event
              // loop that a future composed on the start-up chain would complete on.
              Promise<Device> outcome = Promise.promise();
              device
                  .run(hz, metrics)
                  .onComplete(
                      result -> {
                        if (result.succeeded()) {
                          outcome.complete(device);
                        } else {
                          vertx.close().onComplete(closed -> outcome.fail(result.cause()));
                        }
                      });
              return outcome.future();
            });
  }

  private Future<Void> run(HazelcastInstance hz, PrometheusMeterRegistry metrics) {
    self =
        new DeviceInfo(
            config.name(),
            config.owner(),
            registry.localMemberId(),
            httpUrl(hz),
            clusterAddress(hz),
            version(),
            Instant.now(),
            capacity(),
            List.of(),
            false);
    long waitForSilentHolder = (config.noHeartbeatTimeoutSeconds() + 3) * 1000L;
    List<KithService> services = loadServices();
    RegistryReader devices = new RegistryReader(vertx, registry);
    AtomicReference<ServiceContext> built = new AtomicReference<>();
    DeviceDirectory directory =
        new DeviceDirectory(
            devices, this::describeDevice, this::failoverOrders, services, built::get);
    ServiceContext context =
        ServiceContext.builder(vertx, config.name())
            .directory(directory)
            .sections(config::section)
            .metrics(metrics)
            .router(this::route)
            .vault(
                () -> {
                  if (vault == null) {
                    throw new IllegalStateException("no vault runs on " + config.name() + " yet");
                  }
                  return vault;
                })
            .owners(() -> owners)
            .ping(this::startedAt)
            .build();
    built.set(context);
    MeshContext meshContext =
        new MeshContext(
            vertx, config, hz, registry, services, metrics, context, tempo, vaultOpen.future());
    revocations = new Revocations(vertx, hz, trust.folder(), config.name());
    peers = new PeerKeeper(vertx, config.home(), config.name());
    revocations.onRevoked(r -> deviceRemoved(hz, r));
    busGuard = new BusGuard(vertx, config.name());
    trustService =
        new TrustService(
            vertx,
            trust,
            config.name(),
            () -> self.httpUrl(),
            registry,
            revocations,
            name -> auth == null ? Future.succeededFuture() : auth.tokens().deleteKeysOf(name));
    return revocations
        .start()
        .compose(known -> registry.claim(self, waitForSilentHolder))
        .compose(
            claimed ->
                vertx
                    .eventBus()
                    .consumer(
                        DeviceRegistry.pingAddress(config.name()), msg -> msg.reply(self.toJson()))
                    .completion())
        .compose(registered -> context.start())
        .compose(registered -> trustService.start())
        .compose(registered -> startExtensions(meshContext))
        .compose(extended -> startVault(hz, metrics))
        .compose(vaultUp -> startAuth(hz))
        .onSuccess(authUp -> vaultOpen.tryComplete())
        .map(authUp -> edge(devices, services, context, metrics))
        .compose(edge -> vertx.deployVerticle(edge).map(edge))
        .compose(
            edge -> {
              httpPort = edge.actualPort();
              return deployEveryDeviceServices(services, context);
            })
        .compose(deployed -> registry.update(self.withServices(running)))
        .onSuccess(
            updated -> {
              self = self.withServices(List.copyOf(running));
              registry.onMembershipChange(this::refreshDevices);
              registry.onEntriesChanged(this::refreshDevices);
              registry.onMerged(() -> claimAgain(waitForSilentHolder));
              refreshRound = tempo.every(vertx, REGISTRY_REFRESH_MILLIS, this::refreshDevices);
              // Connections made just before a removal was known are closed on the next round.
              guardRound =
                  tempo.every(
                      vertx, GUARD_PERIOD_MILLIS, () -> busGuard.cut(RevocationTrust.revoked()));
              ready = true;
              // The first read, now that it counts: the next comes with a change or the timer.
              refreshDevices();
              log.info(
                  "device {} is ready: {} on port {}", config.name(), self.httpUrl(), httpPort);
              FirstOwnerHint.logIfNoOwner(auth, config.name(), config.home(), self.httpUrl());
            });
  }

  /** The edge, with the route modules of the device and of its extensions, in order. */
  private Edge edge(
      RegistryReader devices,
      List<KithService> services,
      ServiceContext context,
      PrometheusMeterRegistry metrics) {
    List<RouteModule> modules = new ArrayList<>();
    modules.add(new AuthRoutes(auth, config.name()));
    modules.add(trustService);
    modules.add(new DeviceRoutes(devices, this::describeDevice, () -> placedInstances()));
    modules.add(new FrontPage(config.name()));
    extensions.forEach(extension -> modules.add(extension::routes));
    return new Edge(
        config.httpPort(),
        config.maxBodyBytes(),
        List.of(new VaultRoutes(vault, config.vault().maxObjectBytes())),
        modules,
        services,
        context,
        metrics,
        () -> ready,
        auth::authenticate,
        edgeOptions());
  }

  /** A device's registry entry with what every extension adds. */
  private JsonObject describeDevice(JsonObject entry) {
    JsonObject described = entry;
    for (MeshExtension extension : extensions) {
      described = extension.describeDevice(described);
    }
    return described;
  }

  /** The instances the first extension that places services placed; none without one. */
  private Future<List<JsonObject>> placedInstances() {
    for (MeshExtension extension : extensions) {
      Future<List<JsonObject>> placed = extension.placedInstances();
      if (placed != null) {
        return placed;
      }
    }
    return Future.succeededFuture(List.of());
  }

  /** The failover orders the first extension that knows them gives, else the configured ones. */
  private Future<Map<String, List<String>>> failoverOrders() {
    for (MeshExtension extension : extensions) {
      Future<Map<String, List<String>>> orders = extension.failoverOrders();
      if (orders != null) {
        return orders;
      }
    }
    return Future.succeededFuture(config.failover());
  }

  /** When {@code device}'s process started, 0 if it does not say, -1 if it does not answer. */
  private Future<Long> startedAt(String device) {
    return vertx
        .eventBus()
        .<Object>request(
            DeviceRegistry.pingAddress(device),
            new JsonObject(),
            new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(PING_TIMEOUT_MILLIS))
        .map(
            reply -> {
              try {
                JsonObject info = (JsonObject) reply.body();
                return Instant.parse(info.getString("startedAt")).toEpochMilli();
              } catch (RuntimeException e) {
                return 0L;
              }
            })
        .recover(e -> Future.succeededFuture(-1L));
  }

  /**
   * After a split-brain merge this process is a new cluster member: claims the name again under the
   * new member UUID, so the mesh does not call this device dead.
   */
  private void claimAgain(long waitForSilentHolder) {
    DeviceInfo again = self.withMemberId(registry.localMemberId());
    self = again;
    registry
        .claim(again, waitForSilentHolder)
        .onSuccess(
            claimed ->
                log.info(
                    "device {} rejoined the mesh after a split and holds its name as member {}",
                    config.name(),
                    again.memberId()))
        .onFailure(
            e ->
                log.error(
                    "device {} rejoined the mesh after a split but could not claim its name"
                        + " again ({}); other devices may list it as dead. Restart this device.",
                    config.name(),
                    e.getMessage()));
  }

  private Future<Void> startAuth(HazelcastInstance hz) {
    DeviceConfig.Security security = config.security();
    Accounts accounts = new Accounts(vault);
    Tokens tokens =
        new Tokens(
            vertx,
            config.name(),
            trust.meshId(),
            tokenKey,
            security.accessTokenSeconds(),
            accounts,
            removedNames::containsKey);
    LoginLimiter limiter =
        new LoginLimiter(
            vertx, hz, security.loginMaxFailures(), security.loginLockoutSeconds() * 1000L);
    auth =
        new AuthService(
            vertx,
            config.name(),
            config.home(),
            accounts,
            new Passwords(vertx),
            tokens,
            limiter,
            operatorToken);
    // SMTP AUTH (and later IMAP and XMPP) get the same check, and so the same lockout, from here.
    owners = new MeshOwners(accounts, auth.passwordCheck());
    owners.start(vertx, config.name());
    return auth.start();
  }

  /**
   * A device was removed from the mesh: its certificate no longer opens a TLS handshake (see {@link
   * RevocationTrust}); its open event-bus connections close, its member leaves the cluster, its
   * entry is no longer listed and its access tokens are refused. When it is this device, it stops.
   */
  private void deviceRemoved(HazelcastInstance hz, JsonObject revocation) {
    String name = revocation.getString("device");
    if (revocation.getString("serial").equals(Certificates.serialHex(trust.certificate()))) {
      log.error(
          "{} was removed from the mesh by {}; it stops. Enroll it again with a new join token"
              + " and an empty home to bring it back.",
          config.name(),
          revocation.getString("by"));
      removed.tryComplete();
      return;
    }
    removedNames.put(name, revocation.getString("serial"));
    // Requests waiting on it fail now, and the vault stops counting it as a replica at once.
    vertx
        .eventBus()
        .publish(
            ServiceContext.DEVICE_LOST_ADDRESS,
            name,
            new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true));
    refreshDevices();
    if (auth != null) {
      auth.tokens().forgetDevice(name);
    }
    busGuard.cut(RevocationTrust.revoked());
    registry
        .storedEntry(name)
        .onSuccess(
            stored -> {
              if (stored == null) {
                return;
              }
              String memberId = new JsonObject(stored).getString("memberId");
              vertx
                  .executeBlocking(
                      () ->
                          dev.kith.mesh.cluster.Members.suspect(
                              hz, memberId, "kith: " + name + " was removed"))
                  .onSuccess(
                      dropped -> {
                        if (dropped) {
                          log.info(
                              "{} dropped the removed device {} from the cluster",
                              config.name(),
                              name);
                        }
                      });
            });
  }

  /** Completes when this device learns it was removed from the mesh. */
  public Future<Void> removed() {
    return removed.future();
  }

  /** HTTP, or HTTPS with the configured certificate or this device's mesh certificate. */
  private HttpServerOptions edgeOptions() {
    DeviceConfig.Security security = config.security();
    HttpServerOptions options = new HttpServerOptions().setHost(config.bind().httpHostOrAll());
    if (!security.https()) {
      return options;
    }
    options.setSsl(true);
    if (security.httpsCert() != null) {
      options.setKeyCertOptions(
          new io.vertx.core.net.PemKeyCertOptions()
              .setCertPath(security.httpsCert().toString())
              .setKeyPath(security.httpsKey().toString()));
    } else {
      options.setKeyCertOptions(trust.keyCertOptions());
    }
    return options;
  }

  /**
   * This device's trust material: loaded from its home; for a device that has none, enrolled with
   * its join token, or else a new mesh with this device as its first member and CA.
   */
  static MeshTrust trust(DeviceConfig config) throws java.io.IOException {
    List<String> hosts = config.publicHost() == null ? List.of() : List.of(config.publicHost());
    if (!MeshTrust.exists(config.home()) && config.security().joinToken() != null) {
      try {
        Enrollment.Enrolled enrolled =
            Enrollment.enroll(
                config.home(), config.name(), hosts, config.security().joinToken().value());
        KnownPeers.remember(config.home(), enrolled.peers());
        log.info(
            "{} enrolled in mesh '{}' (id {}); its devices listen at {}",
            config.name(),
            enrolled.trust().meshName(),
            enrolled.trust().meshId(),
            enrolled.peers());
        return checkNotRemoved(enrolled.trust());
      } catch (Enrollment.Refused e) {
        throw new ConfigException("token", e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConfigException("token", "interrupted while enrolling");
      } catch (java.io.IOException e) {
        throw new ConfigException("token", "cannot enroll: " + e.getMessage());
      }
    }
    if (MeshTrust.exists(config.home())) {
      if (config.security().joinToken() != null) {
        log.warn(
            "{} is already enrolled (its certificate is in {}); --token is ignored",
            config.name(),
            MeshTrust.folder(config.home()));
      }
      MeshTrust trust = MeshTrust.load(config.home());
      if (!config.name().equals(trust.deviceName())) {
        throw new ConfigException(
            "name",
            config.home()
                + " belongs to the device "
                + trust.deviceName()
                + "; run it under that name, or give "
                + config.name()
                + " its own --home");
      }
      return checkNotRemoved(trust);
    }
    MeshTrust created = MeshTrust.createMesh(config.home(), config.mesh(), config.name(), hosts);
    log.info(
        "{} started a new mesh '{}' (id {}); its CA is in {}",
        config.name(),
        created.meshName(),
        created.meshId(),
        created.folder());
    return created;
  }

  /** Refuses to start a device that knows it was removed; installs the revocation check. */
  private static MeshTrust checkNotRemoved(MeshTrust trust) throws java.io.IOException {
    RevocationTrust.install();
    String own = Certificates.serialHex(trust.certificate());
    for (JsonObject r : Revocations.readFile(trust.folder())) {
      RevocationTrust.revoked().add(r.getString("serial"));
      if (own.equals(r.getString("serial"))) {
        throw new ConfigException(
            "home",
            trust.deviceName()
                + " was removed from its mesh; enroll it again with a new join token (kith invite)"
                + " and an empty --home");
      }
    }
    return trust;
  }

  private Future<Void> startVault(HazelcastInstance hz, PrometheusMeterRegistry metrics) {
    return MeshVault.start(vertx, config, hz, metrics, tempo, this::rankForStorage)
        .compose(
            opened -> {
              vault = opened;
              return registry.list().onSuccess(opened::devicesSeen).mapEmpty();
            })
        // The vault's database files were made by SQLite with the umask's mode.
        .compose(open -> vertx.executeBlocking(() -> secureHome(config, false)))
        .mapEmpty();
  }

  /**
   * Makes the home the owner's alone (folders 0700, files 0600). What it finds at start is logged
   * as a warning, one line a path; what the vault's database just made with the umask's mode is the
   * expected case, logged as one line. A failure is logged and the device goes on. Blocking.
   */
  private static boolean secureHome(DeviceConfig config, boolean atStart) {
    try {
      // After the vault opens only its top needs a look: the database files and folders it made.
      List<HomeModes.Fixed> fixed =
          atStart ? HomeModes.secure(config.home()) : HomeModes.secure(config.home(), 2);
      if (atStart) {
        for (HomeModes.Fixed f : fixed.subList(0, Math.min(fixed.size(), 20))) {
          log.warn(
              "{}: {} was mode {}, open to other local users; set it to {}",
              config.name(),
              f.path(),
              f.was(),
              f.now());
        }
      }
      if (!fixed.isEmpty()) {
        String summary =
            "{}: set the modes of {} file(s) and folder(s) in {} to the owner's only (0600, 0700)";
        if (atStart) {
          log.warn(summary, config.name(), fixed.size(), config.home());
        } else {
          log.info(summary, config.name(), fixed.size(), config.home());
        }
      }
      return true;
    } catch (java.io.IOException | RuntimeException e) {
      log.error("{}: cannot set the modes of the files in {}", config.name(), config.home(), e);
      return false;
    }
  }

  private List<String> rankForStorage(List<String> devices) {
    for (MeshExtension extension : extensions) {
      List<String> ranked = extension.rankForStorage(devices);
      if (ranked != null) {
        return ranked;
      }
    }
    return null;
  }

  /** The first extension that places {@code address} decides where its requests go. */
  private String route(String address) {
    for (MeshExtension extension : extensions) {
      String target = extension.route(address);
      if (target != null) {
        return target;
      }
    }
    return address;
  }

  private Future<Void> startExtensions(MeshContext meshContext) {
    Future<Void> chain = Future.succeededFuture();
    for (MeshExtension extension : extensions) {
      chain =
          chain.compose(
              previous ->
                  extension
                      .start(meshContext)
                      .onSuccess(started -> log.info("extension {} started", extension.name()))
                      .onFailure(
                          e ->
                              log.error(
                                  "extension {} failed to start on {}",
                                  extension.name(),
                                  config.name(),
                                  e)));
    }
    return chain;
  }

  private Future<Void> deployEveryDeviceServices(
      List<KithService> services, ServiceContext context) {
    List<Future<?>> deployments = new ArrayList<>();
    for (KithService service : services) {
      if (service.placement() != Placement.EVERY_DEVICE) {
        log.info(
            "service {} ({}) waits for the placement controller",
            service.name(),
            service.placement().wireName());
        continue;
      }
      InstanceContext instance =
          new InstanceContext(service.name(), null, config.name(), 0, context);
      deployments.add(
          vertx
              .deployVerticle(service.newInstance(instance))
              .onSuccess(id -> running.add(service.name()))
              .onFailure(
                  e ->
                      log.error(
                          "service {} failed to start on {}", service.name(), config.name(), e)));
    }
    return Future.all(deployments).mapEmpty();
  }

  /** Every platform extension on the class path, in a stable order. */
  static List<MeshExtension> loadExtensions() {
    List<MeshExtension> found = new ArrayList<>();
    ServiceLoader.load(MeshExtension.class).forEach(found::add);
    found.sort(java.util.Comparator.comparing(MeshExtension::name));
    return List.copyOf(found);
  }

  /** Every service declared through the SPI, checked for valid and distinct names. */
  static List<KithService> loadServices() {
    List<KithService> services = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (KithService service : ServiceLoader.load(KithService.class)) {
      if (!SERVICE_NAME.matcher(service.name()).matches() || service.name().equals("mesh")) {
        throw new IllegalStateException(
            service.getClass().getName() + " declares an invalid service name: " + service.name());
      }
      if (!names.add(service.name())) {
        throw new IllegalStateException("two services declare the name " + service.name());
      }
      services.add(service);
    }
    return services;
  }

  private void refreshDevices() {
    if (!ready) {
      return;
    }
    registry
        .list()
        .onSuccess(meshMetrics::update)
        .onSuccess(devices -> vault.devicesSeen(devices))
        .onSuccess(this::restoreOwnEntry)
        .onSuccess(
            devices ->
                peers.seen(
                    devices, revocations.all().stream().map(r -> r.getString("device")).toList()))
        .onSuccess(
            devices ->
                devices.forEach(d -> removedNames.remove(String.valueOf(d.getString("name")))))
        .onFailure(e -> log.warn("cannot read the device registry: {}", e.toString()));
  }

  /**
   * Puts this device's entry back when the registry has lost it: in a partition, the side that
   * holds no copy of an entry's partition loses it, and the device would be unknown there.
   */
  private void restoreOwnEntry(List<JsonObject> devices) {
    if (!ready || devices.stream().anyMatch(d -> config.name().equals(d.getString("name")))) {
      return;
    }
    log.warn(
        "device {} is missing from the device registry (copies lost in a partition); writing it"
            + " again",
        config.name());
    registry
        .update(self.withMemberId(registry.localMemberId()))
        .onFailure(e -> log.warn("cannot restore this device's entry: {}", e.toString()));
  }

  /** The clean leave: tell the mesh, then close. */
  public Future<Void> stop() {
    ready = false;
    if (refreshRound != null) {
      refreshRound.cancel();
      guardRound.cancel();
    }
    log.info("device {} is leaving the mesh", config.name());
    // Completed off any Vert.x context: vertx.close() stops the event loop that a future
    // composed on the registry call would complete on, and that future would never complete.
    Promise<Void> stopped = Promise.promise();
    Future<Void> extensionsStopped = Future.succeededFuture();
    for (int i = extensions.size() - 1; i >= 0; i--) {
      MeshExtension extension = extensions.get(i);
      extensionsStopped =
          extensionsStopped.eventually(
              () ->
                  extension
                      .stop()
                      .onFailure(
                          e ->
                              log.warn(
                                  "extension {} did not stop: {}",
                                  extension.name(),
                                  e.toString())));
    }
    if (owners != null) {
      owners.stop();
    }
    if (auth != null) {
      auth.stop();
    }
    extensionsStopped
        .eventually(() -> vault == null ? Future.succeededFuture() : vault.stop())
        .eventually(() -> registry.update(self.asLeft()))
        .onFailure(e -> log.warn("could not mark {} as left: {}", config.name(), e.toString()))
        .onComplete(
            marked -> {
              vertx.close().onComplete(stopped);
            });
    return stopped.future();
  }

  public DeviceConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This device's vault, once the device is ready. */
  public MeshVault vault() {
    return vault;
  }

  public int httpPort() {
    return httpPort;
  }

  private String httpUrl(HazelcastInstance hz) {
    String host =
        config.publicHost() != null
            ? config.publicHost()
            : hz.getCluster().getLocalMember().getAddress().getHost();
    String scheme = config.security().https() ? "https://" : "http://";
    return scheme + (host.contains(":") ? "[" + host + "]" : host) + ":" + config.httpPort();
  }

  private static String clusterAddress(HazelcastInstance hz) {
    var address = hz.getCluster().getLocalMember().getAddress();
    return address.getHost() + ":" + address.getPort();
  }

  private JsonObject capacity() {
    return new JsonObject()
        .put("storageQuotaBytes", config.storageQuotaBytes())
        .put("freeDiskBytes", config.home().toFile().getUsableSpace())
        .put("cpus", Runtime.getRuntime().availableProcessors())
        .put("maxHeapBytes", Runtime.getRuntime().maxMemory());
  }

  /** Puts the device name on every log line, Hazelcast's and Vert.x's included. */
  static void nameLogLines(String name) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty("device", name);
    }
  }

  private static void checkPortFree(String key, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      throw new ConfigException(key, port + " is already in use; choose another with --" + key);
    }
  }

  private static Throwable explainStartFailure(DeviceConfig config, Throwable e) {
    String text = String.valueOf(e.getMessage());
    if (text.contains("Cannot assign requested address")) {
      return new ConfigException(
          "bind-host", "the cluster port cannot listen there (" + text + "); see --bind-host");
    }
    if (text.contains("bind") || text.contains("Address already in use")) {
      return new ConfigException(
          "cluster-port", config.clusterPort() + " could not be bound: " + text);
    }
    return e;
  }
}
