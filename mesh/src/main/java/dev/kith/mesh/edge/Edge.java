package dev.kith.mesh.edge;

import dev.kith.mesh.auth.AuthRoutes;
import dev.kith.mesh.auth.AuthService;
import dev.kith.mesh.registry.DeviceRegistry;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.MeshExtension;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.vault.MeshVault;
import dev.kith.mesh.vault.VaultRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front every device runs. It answers for the whole mesh: its own endpoints, the mesh API,
 * and every service's routes under {@code /api/<service>/}. Every error, whoever raised it, leaves
 * through {@link #writeError} as {@code {"error": ..., "message": ...}}. Request bodies are JSON
 * (415 otherwise), but for object uploads; no answer is sniffed ({@code nosniff}), and stored bytes
 * are served as downloads ({@link UserContent}).
 */
public final class Edge extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(Edge.class);

  /** Longest request line and headers the edge reads. */
  private static final int MAX_INITIAL_LINE_BYTES = 8 * 1024;

  private static final int MAX_HEADER_BYTES = 16 * 1024;

  private final int port;
  private final long maxBodyBytes;
  private final String device;
  private final DeviceRegistry registry;
  private final List<KithService> services;
  private final List<MeshExtension> extensions;
  private final ServiceContext serviceContext;
  private final PrometheusMeterRegistry metrics;
  private final BooleanSupplier ready;
  private final Supplier<MeshVault> vault;
  private final AuthService auth;
  private final Consumer<Router> meshRoutes;
  private final HttpServerOptions serverOptions;
  private HttpServer server;
  private Router router;

  public Edge(
      int port,
      long maxBodyBytes,
      DeviceRegistry registry,
      List<KithService> services,
      List<MeshExtension> extensions,
      ServiceContext serviceContext,
      PrometheusMeterRegistry metrics,
      BooleanSupplier ready,
      Supplier<MeshVault> vault,
      AuthService auth,
      Consumer<Router> meshRoutes,
      HttpServerOptions serverOptions) {
    this.port = port;
    this.maxBodyBytes = maxBodyBytes;
    this.device = serviceContext.device();
    this.registry = registry;
    this.services = services;
    this.extensions = extensions;
    this.serviceContext = serviceContext;
    this.metrics = metrics;
    this.ready = ready;
    this.vault = vault;
    this.auth = auth;
    this.meshRoutes = meshRoutes;
    this.serverOptions = serverOptions;
  }

  @Override
  public Future<?> start() {
    router = Router.router(vertx);
    Access.infrastructure(router.route()).handler(Edge::noSniffing);
    // Credentials first, before any body is read: an unknown caller's upload is refused unread.
    Access.infrastructure(router.route()).handler(this::authenticate);
    Access.infrastructure(router.route()).handler(Edge::requireJsonBody);
    // Stored bytes leave as downloads that a browser neither sniffs nor runs on this origin.
    Access.infrastructure(
            router
                .route("/api/vault/:owner/objects/:id")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD))
        .handler(UserContent.downloads("id"));
    // The vault next: its uploads have their own, larger, body limit.
    MeshVault meshVault = vault.get();
    VaultRoutes.mount(router, meshVault, serviceContext.config().vault().maxObjectBytes());
    Access.infrastructure(router.route())
        .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));

    AuthRoutes.mount(router, auth, device);
    meshRoutes.accept(router);
    // Extensions first: their /api/mesh/ routes may answer more fully than the edge's own.
    extensions.forEach(extension -> extension.routes(router));
    Access.anyone(router.get("/health")).handler(this::health);
    Access.anyone(router.get("/ready")).handler(this::ready);
    Access.anyone(router.get("/metrics")).handler(PrometheusScrapingHandler.create(metrics));
    Access.loggedIn(router.get("/api/mesh/devices")).handler(this::listDevices);
    Access.loggedIn(router.get("/api/mesh/devices/:name")).handler(this::getDevice);
    Access.loggedIn(router.get("/api/mesh/services")).handler(this::listServices);
    Access.admin(router.get("/api/mesh/routes")).handler(this::listRoutes);
    for (KithService service : services) {
      Router serviceRouter = Router.router(vertx);
      service.routes(serviceRouter, serviceContext);
      Access.infrastructure(router.route("/api/" + service.name() + "/*")).subRouter(serviceRouter);
    }
    // Refuses to start with a route that declares nothing: it would be open to anyone.
    Access.requireDeclared(router, "");

    for (int status = 400; status < 600; status++) {
      router.errorHandler(status, this::writeError);
    }

    HttpServerOptions options =
        new HttpServerOptions(serverOptions)
            .setPort(port)
            .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setCompressionSupported(true);
    return vertx
        .createHttpServer(options)
        .requestHandler(router)
        .invalidRequestHandler(this::invalidRequest)
        .listen()
        .onSuccess(s -> server = s)
        .onSuccess(
            s ->
                log.info(
                    "edge listening on {} port {}",
                    options.isSsl() ? "HTTPS" : "HTTP",
                    s.actualPort()));
  }

  /**
   * Finds who is calling: a bearer token ({@code Authorization: Bearer ...}: an access token or
   * this device's operator token) or the browser's session cookie. Valid credentials become the
   * request's {@link dev.kith.mesh.auth.Principal}; each route's declaration decides the rest.
   */
  private void authenticate(io.vertx.ext.web.RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String token = null;
    boolean viaCookie = false;
    if (header != null) {
      if (header.length() > 7 && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        token = header.substring(7).trim();
      } else {
        ctx.put(Access.AUTH_PROBLEM, "send credentials as Authorization: Bearer <token>");
      }
    } else {
      Cookie cookie = ctx.request().getCookie(AuthRoutes.SESSION_COOKIE);
      if (cookie != null) {
        token = cookie.getValue();
        viaCookie = true;
      }
    }
    if (token == null || token.isEmpty()) {
      ctx.next();
      return;
    }
    // The check may wait on the vault for an unknown key; hold the body until a handler reads it.
    if (!ctx.request().isEnded()) {
      ctx.request().pause();
    }
    auth.authenticate(token, viaCookie)
        .onComplete(
            checked -> {
              if (checked.succeeded()) {
                ctx.put(Access.PRINCIPAL, checked.result());
              } else if (checked.cause() instanceof ServiceUnavailable) {
                // Not a verdict on the token: a route that needs credentials answers 503.
                ctx.put(Access.AUTH_UNAVAILABLE, checked.cause());
              } else {
                ctx.put(
                    Access.AUTH_PROBLEM,
                    "the token is not valid (" + checked.cause().getMessage() + "); log in again");
              }
              ctx.next();
            });
  }

  /** No answer of the edge is ever sniffed into another type than the one it declares. */
  private static void noSniffing(RoutingContext ctx) {
    ctx.response().putHeader("X-Content-Type-Options", "nosniff");
    ctx.next();
  }

  /**
   * A request body is JSON, declared as {@code Content-Type: application/json}, on every route but
   * an object upload (whose type is the object's): otherwise 415. Browsers send {@code text/plain}
   * and form bodies cross-site without asking, so this also shuts a login-CSRF path in cookie mode.
   */
  private static void requireJsonBody(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!hasBody(request)
        || isJson(request.getHeader("Content-Type"))
        || (request.method() == HttpMethod.POST
            && OBJECT_UPLOAD.matcher(ctx.normalizedPath()).matches())) {
      ctx.next();
      return;
    }
    ctx.fail(
        415,
        new IllegalArgumentException("send the body as JSON, with Content-Type: application/json"));
  }

  private static final java.util.regex.Pattern OBJECT_UPLOAD =
      java.util.regex.Pattern.compile("/api/vault/[^/]+/objects/?");

  private static boolean hasBody(HttpServerRequest request) {
    if (request.getHeader("Transfer-Encoding") != null) {
      return true;
    }
    String length = request.getHeader("Content-Length");
    try {
      return length != null && Long.parseLong(length.trim()) > 0;
    } catch (NumberFormatException e) {
      return true;
    }
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    return type.equalsIgnoreCase("application/json");
  }

  /** Every route with who may call it: what the authorization test walks. */
  private void listRoutes(io.vertx.ext.web.RoutingContext ctx) {
    sendJson(ctx, 200, new JsonArray(Access.describe(router, "")));
  }

  /** The port the edge listens on. */
  public int actualPort() {
    return server.actualPort();
  }

  private void health(RoutingContext ctx) {
    sendJson(ctx, 200, new JsonObject().put("status", "UP").put("device", device));
  }

  private void ready(RoutingContext ctx) {
    if (ready.getAsBoolean()) {
      sendJson(ctx, 200, new JsonObject().put("status", "READY").put("device", device));
    } else {
      ctx.response().putHeader("Retry-After", "1");
      sendJson(
          ctx,
          503,
          new JsonObject()
              .put("error", "not-ready")
              .put("message", device + " is still joining the mesh or deploying services"));
    }
  }

  private void listDevices(RoutingContext ctx) {
    registry
        .list()
        .onSuccess(devices -> sendJson(ctx, 200, new JsonArray(devices)))
        .onFailure(e -> ctx.fail(503, e));
  }

  private void getDevice(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    registry
        .list()
        .onSuccess(
            devices ->
                devices.stream()
                    .filter(d -> name.equals(d.getString("name")))
                    .findFirst()
                    .ifPresentOrElse(
                        d -> sendJson(ctx, 200, d),
                        () -> ctx.fail(404, new NotFound("no device named " + name))))
        .onFailure(e -> ctx.fail(503, e));
  }

  /** Every running service instance in the mesh, from the devices' registry entries. */
  private void listServices(RoutingContext ctx) {
    registry
        .list()
        .onSuccess(
            devices -> {
              JsonArray instances = new JsonArray();
              for (JsonObject d : devices) {
                if (!"alive".equals(d.getString("state"))) {
                  continue;
                }
                for (Object service : d.getJsonArray("services", new JsonArray())) {
                  instances.add(
                      new JsonObject()
                          .put("service", service)
                          .put("owner", (String) null)
                          .put("device", d.getString("name"))
                          .put("epoch", 0)
                          .put("since", d.getString("startedAt"))
                          .put("state", "running"));
                }
              }
              sendJson(ctx, 200, instances);
            })
        .onFailure(e -> ctx.fail(503, e));
  }

  /** Writes a JSON object or array with a status; extensions' routes use it too. */
  public static void sendJson(RoutingContext ctx, int status, Object body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(
            body instanceof JsonObject o
                ? o.encode()
                : body instanceof JsonArray a ? a.encode() : String.valueOf(body));
  }

  /** A 404 whose message is safe to show the caller. */
  public static final class NotFound extends RuntimeException {
    public NotFound(String message) {
      super(message, null, false, false);
    }
  }

  /** Writes every error response. Caller mistakes are 4xx; the edge's own failures are 5xx. */
  private void writeError(RoutingContext ctx) {
    int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
    Throwable failure = ctx.failure();
    if (failure instanceof DecodeException) {
      status = 400;
    } else if (failure instanceof ServiceUnavailable) {
      status = 503;
    }
    String message =
        switch (status) {
          case 404 ->
              failure != null && failure.getMessage() != null
                  ? failure.getMessage()
                  : "no such endpoint: " + ctx.request().method() + " " + ctx.request().path();
          case 405 -> "method " + ctx.request().method() + " is not allowed here";
          case 416 ->
              failure != null && failure.getMessage() != null
                  ? failure.getMessage()
                  : "the requested range cannot be served";
          case 413 ->
              failure != null && failure.getMessage() != null
                  ? failure.getMessage()
                  : "request body is larger than " + maxBodyBytes + " bytes";
          case 500 ->
              // The cause is logged below; its text may hold internals, so the caller gets advice.
              "the device "
                  + device
                  + " failed to handle the request; its log has the cause. Retry, or report it.";
          default ->
              failure != null && failure.getMessage() != null
                  ? failure.getMessage()
                  : defaultMessage(status);
        };
    if (status == 503) {
      // Expected while a service moves; the caller is told to retry.
      log.warn("{} {} answered 503: {}", ctx.request().method(), ctx.request().path(), message);
      ctx.response().putHeader("Retry-After", "1");
    } else if (status >= 500) {
      log.error(
          "{} {} failed with {}: {}",
          ctx.request().method(),
          ctx.request().path(),
          status,
          failure == null ? message : failure.toString(),
          failure);
    }
    if (ctx.response().ended()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    sendJson(ctx, status, new JsonObject().put("error", errorName(status)).put("message", message));
  }

  /**
   * Answers requests that never reach the router: a request line or headers over the limits, or
   * bytes that are not HTTP. Vert.x would answer these with an empty body (or none); they get the
   * same JSON as every other error, and the connection is closed because its state is unknown.
   */
  private void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    String problem = cause == null ? "" : String.valueOf(cause.getMessage());
    int status;
    String message;
    if (problem.startsWith("An HTTP line is larger than")) {
      status = 414;
      message = "request line is longer than " + MAX_INITIAL_LINE_BYTES + " bytes";
    } else if (problem.startsWith("HTTP header is larger than")) {
      status = 431;
      message = "request headers are larger than " + MAX_HEADER_BYTES + " bytes";
    } else {
      status = 400;
      message = "the request is not valid HTTP";
    }
    log.debug("invalid request from {}: {}", request.remoteAddress(), problem);
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(new JsonObject().put("error", errorName(status)).put("message", message).encode())
        .onComplete(sent -> request.connection().close());
  }

  private static String errorName(int status) {
    return switch (status) {
      case 400 -> "bad-request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not-found";
      case 405 -> "method-not-allowed";
      case 409 -> "conflict";
      case 412 -> "precondition-failed";
      case 413 -> "too-large";
      case 414 -> "uri-too-long";
      case 415 -> "unsupported-media-type";
      case 416 -> "range-not-satisfiable";
      case 431 -> "headers-too-large";
      case 429 -> "too-many-requests";
      case 502 -> "bad-gateway";
      case 503 -> "unavailable";
      case 504 -> "timeout";
      default -> status < 500 ? "client-error" : "internal-error";
    };
  }

  private static String defaultMessage(int status) {
    return status < 500 ? "the request was not valid" : "the device failed to handle the request";
  }
}
