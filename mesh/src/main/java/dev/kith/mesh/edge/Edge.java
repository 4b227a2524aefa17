package dev.kith.mesh.edge;

import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceUnavailable;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.ErrorWriter;
import dev.kith.mesh.spi.web.OpenApi;
import dev.kith.mesh.spi.web.Principal;
import dev.kith.mesh.spi.web.Replies;
import dev.kith.mesh.spi.web.RouteModule;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front every device runs. It answers for the whole mesh: its own endpoints ({@code
 * /health}, {@code /ready}, {@code /metrics}, {@code /api/mesh/routes}), the route modules the
 * device gives it (accounts, vault, trust, the mesh API, the extensions'), and every service's
 * routes under {@code /api/<service>/}. Every error, whoever raised it, leaves through the one
 * {@link ErrorWriter} as {@code {"error": ..., "message": ...}}. Request bodies are JSON (415
 * otherwise), but for object uploads; no answer is sniffed ({@code nosniff}).
 */
public final class Edge extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(Edge.class);

  /** Longest request line and headers the edge reads. */
  private static final int MAX_INITIAL_LINE_BYTES = 8 * 1024;

  private static final int MAX_HEADER_BYTES = 16 * 1024;

  /** Checks a token: the caller it belongs to, or a failure (a ServiceUnavailable: not yet). */
  @FunctionalInterface
  public interface Authenticator {
    Future<Principal> authenticate(String token, boolean viaCookie);
  }

  private final int port;
  private final long maxBodyBytes;
  private final String device;
  private final List<RouteModule> rawBodies;
  private final List<RouteModule> modules;
  private final List<KithService> services;
  private final ServiceContext serviceContext;
  private final PrometheusMeterRegistry metrics;
  private final BooleanSupplier ready;
  private final Authenticator auth;
  private final HttpServerOptions serverOptions;
  private HttpServer server;
  private Router router;
  private JsonObject openApi;

  /**
   * @param rawBodies route modules that read request bodies themselves (vault uploads, with their
   *     own limit): mounted before the edge reads bodies of at most {@code maxBodyBytes}
   * @param modules the other route modules, in order
   */
  public Edge(
      int port,
      long maxBodyBytes,
      List<RouteModule> rawBodies,
      List<RouteModule> modules,
      List<KithService> services,
      ServiceContext serviceContext,
      PrometheusMeterRegistry metrics,
      BooleanSupplier ready,
      Authenticator auth,
      HttpServerOptions serverOptions) {
    this.port = port;
    this.maxBodyBytes = maxBodyBytes;
    this.device = serviceContext.device();
    this.rawBodies = List.copyOf(rawBodies);
    this.modules = List.copyOf(modules);
    this.services = services;
    this.serviceContext = serviceContext;
    this.metrics = metrics;
    this.ready = ready;
    this.auth = auth;
    this.serverOptions = serverOptions;
  }

  @Override
  public Future<?> start() {
    router = Router.router(vertx);
    // Requests for a service's own host names (web sites) leave before anything of the API runs.
    for (KithService service : services) {
      Handler<RoutingContext> hosts = service.hostHandler(serviceContext);
      if (hosts != null) {
        Access.infrastructure(router.route()).handler(hosts);
      }
    }
    Access.infrastructure(router.route()).handler(Edge::noSniffing);
    // Credentials first, before any body is read: an unknown caller's upload is refused unread.
    Access.infrastructure(router.route()).handler(this::authenticate);
    for (KithService service : services) {
      Router uploads = Router.router(vertx);
      service.uploadRoutes(uploads, serviceContext);
      if (!uploads.getRoutes().isEmpty()) {
        Access.infrastructure(router.route("/api/" + service.name() + "/*")).subRouter(uploads);
      }
    }
    services.forEach(service -> service.edgeRoutes(router, serviceContext));
    Access.infrastructure(router.route()).handler(Edge::requireJsonBody);
    rawBodies.forEach(module -> module.mount(router));
    Access.infrastructure(router.route())
        .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    modules.forEach(module -> module.mount(router));
    Access.anyone(router.get("/health")).handler(this::health);
    Access.anyone(router.get("/ready")).handler(this::ready);
    Access.anyone(router.get("/metrics")).handler(PrometheusScrapingHandler.create(metrics));
    Access.admin(router.get("/api/mesh/routes")).handler(this::listRoutes);
    Access.anyone(router.get("/api/openapi.json")).handler(this::openApi);
    for (KithService service : services) {
      Router serviceRouter = Router.router(vertx);
      service.routes(serviceRouter, serviceContext);
      Access.infrastructure(router.route("/api/" + service.name() + "/*")).subRouter(serviceRouter);
    }
    // Refuses to start with a route that declares nothing: it would be open to anyone.
    Access.requireDeclared(router, "");
    new ErrorWriter(device, maxBodyBytes).register(router);

    HttpServerOptions options =
        new HttpServerOptions(serverOptions)
            .setPort(port)
            .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setCompressionSupported(true);
    List<String> subProtocols =
        services.stream().flatMap(s -> s.webSocketSubProtocols().stream()).distinct().toList();
    if (!subProtocols.isEmpty()) {
      options.setWebSocketSubProtocols(subProtocols);
    }
    return vertx
        .createHttpServer(options)
        .requestHandler(router)
        .invalidRequestHandler(
            request ->
                ErrorWriter.invalidRequest(request, MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES))
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
   * request's {@link dev.kith.mesh.spi.web.Principal}; each route's declaration decides the rest.
   */
  private void authenticate(io.vertx.ext.web.RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String token = null;
    boolean viaCookie = false;
    if (header != null) {
      if (header.length() > 7 && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        token = header.substring(7).trim();
      } else {
        Access.refused(ctx, "send credentials as Authorization: Bearer <token>");
      }
    } else {
      Cookie cookie = ctx.request().getCookie(Access.SESSION_COOKIE);
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
                Access.authenticated(ctx, checked.result());
              } else if (checked.cause() instanceof ServiceUnavailable) {
                // Not a verdict on the token: a route that needs credentials answers 503.
                Access.uncheckable(ctx, checked.cause());
              } else {
                Access.refused(
                    ctx,
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

  /** The API's OpenAPI document, made from the routes as they are mounted. */
  private void openApi(RoutingContext ctx) {
    if (openApi == null) {
      openApi =
          OpenApi.document(
              router,
              "Kith",
              Edge.class.getPackage().getImplementationVersion() == null
                  ? "dev"
                  : Edge.class.getPackage().getImplementationVersion());
    }
    sendJson(ctx, 200, openApi);
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

  /** Writes a JSON object or array with a status. */
  private static void sendJson(RoutingContext ctx, int status, Object body) {
    Replies.json(ctx, status, body);
  }
}
