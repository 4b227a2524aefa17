package dev.kith.deploy.bench;

import ch.qos.logback.classic.LoggerContext;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark's baseline: one node of plain Vert.x HA, with Hazelcast at its default failure
 * detection (heartbeat every 5 s, a member dropped after 60 s without one). The only settings it
 * changes are the ones the workplace requires and the addressing a node needs: phone-home off,
 * multicast off, TCP-IP join to the listed members, the cluster port and the public host. The
 * cluster structures are those of Vert.x's own {@code default-cluster.xml}.
 *
 * <p>Failure model: this is what Vert.x HA offers out of the box. A node that Hazelcast drops (a
 * crash, a hang or a lost network, once the heartbeat timeout passes) has its HA deployments
 * redeployed by a surviving node of the same HA group; a clean close moves nothing. The successor
 * is whichever node Vert.x's HA manager picks (by hash), not a choice of ours.
 *
 * <p>The node accepts the flags the harness gives a Kith device ({@code run --name N --http-port P
 * --cluster-port C --join H:P,... --mesh M --public-host H}, others ignored; ports 8080 and 5701 by
 * default), so that {@code DeviceProcess} and {@code ContainerMesh} start it like a device. It
 * deploys one HA verticle that answers on {@link #ADDRESS} with its node's name, unless a node
 * already answers there, and serves HTTP: {@code GET /health}, {@code GET /api/probe/alice} (the
 * verticle's answer, or 503 with {@code Retry-After}) and {@code GET /api/baseline/status} ({@code
 * {"node","members","hosting"}}).
 */
public final class HaBaselineNode {

  /** The event-bus address of the one HA probe verticle. */
  public static final String ADDRESS = "probe.alice";

  /** How long the HTTP front waits for the verticle: the same as Kith's edge (5 s). */
  static final long REQUEST_TIMEOUT_MILLIS = 5_000;

  private static final Logger log = LoggerFactory.getLogger(HaBaselineNode.class);

  private HaBaselineNode() {}

  /** Starts one node; exits 2 on bad flags and 1 when the node cannot start. */
  public static void main(String[] args) {
    Map<String, String> flags;
    try {
      flags = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("HaBaselineNode: " + e.getMessage());
      System.exit(2);
      return;
    }
    String name = flags.get("name");
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty("device", name);
    }
    start(flags)
        .onSuccess(vertx -> log.info("baseline node {} ready", name))
        .onFailure(
            e -> {
              log.error("baseline node {} cannot start", name, e);
              System.exit(1);
            });
  }

  static Map<String, String> parse(String[] args) {
    List<String> list = Arrays.asList(args);
    int from = !list.isEmpty() && list.get(0).equals("run") ? 1 : 0;
    Map<String, String> flags = new HashMap<>();
    // A device's defaults, which the containers rely on.
    flags.put("http-port", "8080");
    flags.put("cluster-port", "5701");
    for (int i = from; i < list.size(); i++) {
      String key = list.get(i);
      if (!key.startsWith("--") || i + 1 >= list.size()) {
        throw new IllegalArgumentException("expected --key value pairs, got '" + key + "'");
      }
      flags.put(key.substring(2), list.get(++i));
    }
    for (String required : List.of("name", "join", "mesh")) {
      if (!flags.containsKey(required)) {
        throw new IllegalArgumentException("missing --" + required + " in " + list);
      }
    }
    return flags;
  }

  private static Future<Vertx> start(Map<String, String> flags) {
    String name = flags.get("name");
    String publicHost = flags.get("public-host");
    int clusterPort = Integer.parseInt(flags.get("cluster-port"));
    System.setProperty("hazelcast.phone.home.enabled", "false");
    System.setProperty("hazelcast.logging.type", "slf4j");

    Config config = new Config();
    config.setClusterName(flags.get("mesh"));
    config.setInstanceName(name);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.getNetworkConfig().setPort(clusterPort).setPortAutoIncrement(false);
    if (publicHost != null) {
      config.getNetworkConfig().setPublicAddress(publicHost + ":" + clusterPort);
    }
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true);
    Arrays.stream(flags.get("join").split(",")).forEach(join.getTcpIpConfig()::addMember);
    // What Vert.x's default-cluster.xml declares.
    config.addMultiMapConfig(
        new MultiMapConfig("__vertx.subs")
            .setBackupCount(1)
            .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));

    HazelcastClusterManager clusterManager = new HazelcastClusterManager(config);
    EventBusOptions bus = new EventBusOptions();
    if (publicHost != null) {
      bus.setHost("0.0.0.0").setClusterPublicHost(publicHost);
    }
    VertxOptions options = new VertxOptions().setHAEnabled(true).setEventBusOptions(bus);
    return Vertx.builder()
        .with(options)
        .withClusterManager(clusterManager)
        .buildClustered()
        .compose(
            vertx ->
                new Front(vertx, clusterManager, name)
                    .listen(Integer.parseInt(flags.get("http-port")))
                    .compose(front -> deployUnlessRunning(vertx, name))
                    .map(vertx));
  }

  /**
   * Deploys the HA verticle unless some node already answers on its address; a cluster lock keeps
   * two nodes that start together from both deploying it. A restarted node finds the verticle
   * running on the node that took it over, and deploys nothing.
   */
  private static Future<Void> deployUnlessRunning(Vertx vertx, String name) {
    return vertx
        .sharedData()
        .getLockWithTimeout("baseline.deploy", TimeUnit.SECONDS.toMillis(60))
        .compose(
            lock ->
                vertx
                    .eventBus()
                    .request(ADDRESS, "", new DeliveryOptions().setSendTimeout(5_000))
                    .transform(
                        asked -> {
                          if (asked.failed()
                              && asked.cause() instanceof ReplyException r
                              && r.failureType() == ReplyFailure.NO_HANDLERS) {
                            log.info("{} deploys the HA probe verticle", name);
                            return vertx
                                .deployVerticle(
                                    ProbeVerticle.class.getName(),
                                    new DeploymentOptions().setHa(true))
                                .<Void>mapEmpty();
                          }
                          log.info("the HA probe verticle already runs elsewhere");
                          return Future.<Void>succeededFuture();
                        })
                    .onComplete(done -> lock.release()));
  }

  /**
   * The HA verticle: answers on {@link #ADDRESS} with the name of the node it runs on. One node is
   * one JVM, so the node's name and whether it hosts the verticle are plain statics.
   */
  public static final class ProbeVerticle extends VerticleBase {

    private static volatile String node = "?";
    private static volatile boolean hosting;

    @Override
    public Future<?> start() {
      JsonObject answer = new JsonObject().put("owner", "alice").put("device", node);
      return vertx
          .eventBus()
          .consumer(ADDRESS, message -> message.reply(answer))
          .completion()
          .onSuccess(
              done -> {
                hosting = true;
                log.info("HA probe verticle running on {}", node);
              });
    }

    @Override
    public Future<?> stop() {
      hosting = false;
      return Future.succeededFuture();
    }
  }

  /** The node's HTTP front: the probe route, a status route and {@code /health}. */
  private static final class Front {

    private final Vertx vertx;
    private final HazelcastClusterManager clusterManager;
    private final String name;

    Front(Vertx vertx, HazelcastClusterManager clusterManager, String name) {
      this.vertx = vertx;
      this.clusterManager = clusterManager;
      this.name = name;
      ProbeVerticle.node = name;
    }

    Future<Front> listen(int port) {
      return vertx.createHttpServer().requestHandler(this::handle).listen(port).map(this);
    }

    private void handle(HttpServerRequest request) {
      switch (request.path()) {
        case "/health" -> json(request, 200, new JsonObject().put("status", "up"));
        case "/api/probe/alice" -> probe(request);
        case "/api/baseline/status" -> status(request);
        default -> json(request, 404, error("not-found", "no route " + request.path()));
      }
    }

    private void probe(HttpServerRequest request) {
      vertx
          .eventBus()
          .<JsonObject>request(
              ADDRESS, "", new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MILLIS))
          .onSuccess(reply -> json(request, 200, reply.body()))
          .onFailure(
              e -> {
                request.response().putHeader("Retry-After", "1");
                json(request, 503, error("unavailable", String.valueOf(e.getMessage())));
              });
    }

    private void status(HttpServerRequest request) {
      json(
          request,
          200,
          new JsonObject()
              .put("node", name)
              .put("members", clusterManager.getNodes().size())
              .put("hosting", ProbeVerticle.hosting));
    }

    private static JsonObject error(String error, String message) {
      return new JsonObject().put("error", error).put("message", message);
    }

    private static void json(HttpServerRequest request, int status, JsonObject body) {
      request
          .response()
          .setStatusCode(status)
          .putHeader("Content-Type", "application/json")
          .end(body.encode());
    }
  }
}
