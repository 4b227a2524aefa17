package dev.kith.mesh.trust;

import static io.vertx.json.schema.common.dsl.Keywords.maxLength;
import static io.vertx.json.schema.common.dsl.Schemas.intSchema;
import static io.vertx.json.schema.common.dsl.Schemas.objectSchema;
import static io.vertx.json.schema.common.dsl.Schemas.stringSchema;

import dev.kith.mesh.registry.DeviceRegistry;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.JsonBody;
import dev.kith.mesh.spi.web.Replies;
import dev.kith.mesh.spi.web.RouteModule;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.common.dsl.ObjectSchemaBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Device trust over HTTP: invitations, enrollment and removal.
 *
 * <pre>
 * POST   /api/mesh/invites         admin   {"ttlMinutes":60} in, {"token","expiresAt","peers"} out
 * POST   /api/mesh/enroll          anyone  a join token, the device's name, public key and proof;
 *                                          answers the certificate and the mesh's live "peers"
 * DELETE /api/mesh/devices/{name}  admin   revokes the device's certificate, mesh-wide
 * GET    /api/mesh/revocations     admin   the removed devices
 * </pre>
 *
 * <p>Any device answers; invitations and enrollments go over the event bus (TLS, mesh devices only)
 * to {@value #CA_ADDRESS}, which only the device holding the CA's key consumes. It checks the
 * token's signature and expiry, spends the token (recording its id on disk before answering, so a
 * token works once even across restarts), checks the new device's proof that it holds its key, and
 * signs a certificate for it.
 */
public final class TrustService implements RouteModule {

  private static final Logger log = LoggerFactory.getLogger(TrustService.class);

  /** The event-bus address of the CA's device. */
  public static final String CA_ADDRESS = "kith.trust.ca";

  static final int MAX_BODY_BYTES = 16 * 1024;

  private static final ObjectSchemaBuilder INVITE =
      objectSchema().optionalProperty("ttlMinutes", intSchema());
  private static final ObjectSchemaBuilder ENROLL =
      objectSchema()
          .requiredProperty("token", stringSchema().with(maxLength(4096)))
          .requiredProperty("name", stringSchema().with(maxLength(127)))
          .requiredProperty("publicKey", stringSchema().with(maxLength(4096)))
          .requiredProperty("proof", stringSchema().with(maxLength(1024)))
          .optionalProperty("hosts", io.vertx.json.schema.common.dsl.Schemas.arraySchema());
  static final long DEFAULT_INVITE_MINUTES = 60;
  static final long MAX_INVITE_MINUTES = 7 * 24 * 60;
  private static final Pattern DEVICE_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private final Vertx vertx;
  private final MeshTrust trust;
  private final String device;
  private final Supplier<String> selfUrl;
  private final DeviceRegistry registry;
  private final Revocations revocations;
  private final Function<String, Future<Void>> forgetDeviceKeys;

  public TrustService(
      Vertx vertx,
      MeshTrust trust,
      String device,
      Supplier<String> selfUrl,
      DeviceRegistry registry,
      Revocations revocations,
      Function<String, Future<Void>> forgetDeviceKeys) {
    this.vertx = vertx;
    this.trust = trust;
    this.device = device;
    this.selfUrl = selfUrl;
    this.registry = registry;
    this.revocations = revocations;
    this.forgetDeviceKeys = forgetDeviceKeys;
  }

  /** On the CA's device, answers invitations and enrollments for the mesh. */
  public Future<Void> start() {
    if (!trust.holdsCa()) {
      return Future.succeededFuture();
    }
    log.info("{} holds the mesh CA: it signs invitations and enrollments", device);
    return vertx.eventBus().<JsonObject>consumer(CA_ADDRESS, this::handleCa).completion();
  }

  @Override
  public void mount(Router router) {
    JsonBody.optional(Access.admin(router.post("/api/mesh/invites")), INVITE, MAX_BODY_BYTES)
        .handler(this::invite);
    JsonBody.on(Access.anyone(router.post("/api/mesh/enroll")), ENROLL, MAX_BODY_BYTES)
        .handler(this::enroll);
    Access.admin(router.delete("/api/mesh/devices/:name")).handler(this::remove);
    Access.admin(router.get("/api/mesh/revocations")).handler(this::listRevocations);
  }

  private void invite(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    long minutes = body.getLong("ttlMinutes", DEFAULT_INVITE_MINUTES);
    if (minutes < 1 || minutes > MAX_INVITE_MINUTES) {
      ctx.fail(400, new IllegalArgumentException("ttlMinutes must be 1 to " + MAX_INVITE_MINUTES));
      return;
    }
    livePeers()
        .compose(
            peers ->
                askCa(
                        new JsonObject()
                            .put("action", "invite")
                            .put("url", selfUrl.get())
                            .put("ttlSeconds", minutes * 60)
                            .put("peers", peers))
                    .map(answer -> answer.put("peers", peers)))
        .onSuccess(
            answer -> {
              log.info(
                  "{}: {} asked for a join token valid {} min",
                  device,
                  Access.principal(ctx).describe(),
                  minutes);
              Replies.json(ctx, 201, answer);
            })
        .onFailure(e -> fail(ctx, e));
  }

  private void enroll(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    // The new device learns where the mesh's devices listen, so it needs no --join.
    askCa(body.copy().put("action", "enroll"))
        .compose(answer -> livePeers().map(peers -> answer.put("peers", peers)))
        .onSuccess(answer -> Replies.json(ctx, 200, answer))
        .onFailure(e -> fail(ctx, e));
  }

  private void remove(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    registry
        .storedEntry(name)
        .compose(
            stored -> {
              String serial = stored == null ? null : EntrySeal.serialOf(stored);
              if (serial == null) {
                return Future.failedFuture(
                    ServiceFailure.notFound("no enrolled device named " + name));
              }
              return revocations.revoke(name, serial, Access.principal(ctx).describe());
            })
        .onSuccess(
            entry -> {
              // Every device refuses the removed device's tokens already; deleting its keys from
              // the accounts vault is tidying, and may wait for a vault quorum, so it runs after
              // the answer.
              forgetDeviceKeys
                  .apply(name)
                  .onFailure(
                      e ->
                          log.warn(
                              "{} could not delete the token keys of the removed {}: {}",
                              device,
                              name,
                              e.toString()));
              log.info(
                  "{}: {} removed the device {} (certificate {})",
                  device,
                  Access.principal(ctx).describe(),
                  name,
                  entry.getString("serial"));
              Replies.json(ctx, 200, entry.copy().put("removed", true));
            })
        .onFailure(e -> fail(ctx, e));
  }

  private void listRevocations(RoutingContext ctx) {
    Replies.json(ctx, 200, new JsonArray(revocations.all()));
  }

  /**
   * The cluster addresses of the devices alive now, this one first: where a new device joins. At
   * most {@link Invites#MAX_PEERS}, so a join token stays small.
   */
  private Future<JsonObject> livePeers() {
    return registry
        .list()
        .map(
            devices -> {
              JsonObject peers = new JsonObject();
              devices.stream()
                  .filter(d -> "alive".equals(d.getString("state")))
                  .filter(d -> d.getString("clusterAddress") != null)
                  .sorted(
                      java.util.Comparator.comparing(
                          (JsonObject d) -> !device.equals(d.getString("name"))))
                  .limit(Invites.MAX_PEERS)
                  .forEach(d -> peers.put(d.getString("name"), d.getString("clusterAddress")));
              return peers;
            })
        .recover(e -> Future.succeededFuture(new JsonObject()));
  }

  private Future<JsonObject> askCa(JsonObject request) {
    return vertx
        .eventBus()
        .<JsonObject>request(CA_ADDRESS, request, new DeliveryOptions().setSendTimeout(10_000))
        .map(Message::body);
  }

  private void handleCa(Message<JsonObject> message) {
    JsonObject request = message.body();
    vertx
        .executeBlocking(
            () ->
                switch (String.valueOf(request.getString("action"))) {
                  case "invite" -> {
                    long ttl = request.getLong("ttlSeconds", DEFAULT_INVITE_MINUTES * 60);
                    String token =
                        Invites.create(
                            trust,
                            request.getString("url"),
                            ttl,
                            request.getJsonObject("peers", new JsonObject()));
                    yield new JsonObject()
                        .put("token", token)
                        .put("expiresAt", System.currentTimeMillis() / 1000 + ttl);
                  }
                  case "enroll" -> enrollNow(request);
                  default -> throw new IllegalArgumentException("unknown action");
                })
        .onSuccess(message::reply)
        .onFailure(
            e -> {
              if (e instanceof IllegalArgumentException) {
                message.fail(403, e.getMessage());
              } else {
                log.error("{} failed a CA request", device, e);
                message.fail(500, "the CA's device failed; its log has the cause");
              }
            });
  }

  /** Checks and spends a join token, then signs the new device's certificate. On a worker. */
  private JsonObject enrollNow(JsonObject request) throws java.io.IOException {
    String name = request.getString("name");
    if (name == null || !DEVICE_NAME.matcher(name).matches() || name.contains(".kith-")) {
      throw new IllegalArgumentException("the device name must be NAME.OWNER");
    }
    JsonObject claims = Invites.verify(trust, request.getString("token"));
    PublicKey key;
    byte[] proof;
    try {
      key = Pem.publicKey(request.getString("publicKey"), "EC");
      proof = Base64.getDecoder().decode(request.getString("proof"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the request holds no valid public key and proof");
    }
    if (!Signatures.verify(key, Enrollment.proofText(claims.getString("n"), name), proof)) {
      throw new IllegalArgumentException("the proof does not match the public key");
    }
    spend(claims.getString("n"), claims.getLong("exp"), name);
    List<String> hosts =
        request.getJsonArray("hosts", new JsonArray()).stream()
            .limit(8)
            .map(String::valueOf)
            .filter(h -> h.length() <= 253 && h.matches("[A-Za-z0-9._:\\[\\]-]+"))
            .toList();
    var cert = trust.issue(key, name, hosts);
    log.info("{} enrolled {} (certificate {})", device, name, Certificates.serialHex(cert));
    return new JsonObject()
        .put("mesh", trust.meshName())
        .put("meshId", trust.meshId())
        .put("ca", Pem.certificate(trust.ca()))
        .put("certificate", Pem.certificate(cert));
  }

  /** Records a token's id as spent, or refuses it if it already is. */
  private synchronized void spend(String id, long expiresAt, String name)
      throws java.io.IOException {
    Path file = trust.folder().resolve("invites-spent.json");
    JsonObject spent =
        Files.isRegularFile(file)
            ? new JsonObject(new String(SecretFiles.read(file), StandardCharsets.UTF_8))
            : new JsonObject();
    if (spent.containsKey(id)) {
      throw new IllegalArgumentException("the join token was used already; ask for a new one");
    }
    long now = System.currentTimeMillis() / 1000;
    spent.fieldNames().removeIf(k -> spent.getJsonObject(k).getLong("exp", 0L) < now);
    spent.put(id, new JsonObject().put("exp", expiresAt).put("device", name).put("at", now));
    SecretFiles.writePublic(file, spent.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** The CA's device refused (403), failed (502) or did not answer (503). */
  private static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE && r.failureCode() == 403) {
        ctx.fail(403, ServiceFailure.forbidden(r.getMessage()));
      } else if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        ctx.fail(502, ServiceFailure.badGateway(r.getMessage()));
      } else {
        ctx.fail(
            503,
            new ServiceUnavailable(
                "the device that holds the mesh CA does not answer; start it and retry"));
      }
    } else {
      Replies.fail(ctx, e);
    }
  }
}
