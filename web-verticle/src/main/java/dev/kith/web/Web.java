package dev.kith.web;

import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceUnavailable;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web service on one device: the sites it knows, the files it caches, the publisher, and the
 * servers that answer sites' requests (on the edge's HTTP port by {@code Host}, and on {@code
 * web-port} when set). The routes and the edge's host handler exist from the device's start; they
 * serve once the instance has started this ({@link WebInstance}), and answer 503 (the API) or pass
 * the request on (sites) before.
 */
final class Web {

  private static final Logger log = LoggerFactory.getLogger(Web.class);

  private final ServiceContext context;
  private volatile Parts parts;
  private HttpServer webPort;

  /** What exists once the vault is there. */
  record Parts(
      WebConfig config,
      Sites sites,
      SiteFiles files,
      SiteServer server,
      Publisher publisher,
      WebMetrics metrics) {}

  Web(ServiceContext context) {
    this.context = context;
  }

  Future<Void> start() {
    WebConfig config = context.config(WebConfig.class);
    ObjectCache cache = new ObjectCache(config.cacheBytes());
    WebMetrics metrics = new WebMetrics(context.metrics(), cache);
    Sites sites = new Sites(context.vault(), context.device());
    SiteFiles files = new SiteFiles(context.vault(), cache, metrics);
    Parts p =
        new Parts(
            config,
            sites,
            files,
            new SiteServer(files, metrics, context.device()),
            new Publisher(context.vertx(), context.vault(), sites, config, files),
            metrics);
    return sites
        .start()
        .compose(
            v -> {
              parts = p;
              return config.port() == 0 ? Future.succeededFuture() : listen(config, p);
            });
  }

  private Future<Void> listen(WebConfig config, Parts p) {
    return context
        .vertx()
        .createHttpServer(
            new HttpServerOptions()
                .setHost(config.bindHost())
                .setPort(config.port())
                .setMaxInitialLineLength(8 * 1024)
                .setMaxHeaderSize(16 * 1024))
        .requestHandler(request -> serveOnWebPort(p, request))
        .listen()
        .onSuccess(
            s -> {
              webPort = s;
              log.info("{} serves sites on web port {}", context.device(), s.actualPort());
            })
        .recover(
            e -> {
              log.error(
                  "{} cannot serve sites on web-port {} ({}); they are still served on the HTTP"
                      + " port by Host. Choose a free web-port, or 0",
                  context.device(),
                  config.port(),
                  e.getMessage());
              return Future.succeededFuture();
            })
        .mapEmpty();
  }

  private void serveOnWebPort(Parts p, HttpServerRequest request) {
    try {
      serveSite(p, request);
    } catch (RuntimeException e) {
      log.error(
          "{}: a site request failed: {} {}",
          context.device(),
          request.method(),
          request.path(),
          e);
      if (!request.response().ended()) {
        request.response().setStatusCode(500).end();
      }
    }
  }

  private static void serveSite(Parts p, HttpServerRequest request) {
    Site site = p.sites().byHost(host(request));
    if (site == null) {
      request.response().putHeader("X-Content-Type-Options", "nosniff");
      request.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8");
      request.response().end("No site here has this name.\n");
      p.metrics().request("-", 404, 0);
      return;
    }
    p.server().serve(request, site);
  }

  Future<Void> stop() {
    Parts p = parts;
    parts = null;
    HttpServer s = webPort;
    webPort = null;
    Future<Void> closed = s == null ? Future.succeededFuture() : s.close();
    return p == null ? closed : Future.all(closed, p.sites().stop()).mapEmpty();
  }

  dev.kith.mesh.vault.Vault vault() {
    return context.vault();
  }

  /** The parts, or a 503 failure while the service starts. */
  Parts parts() {
    Parts p = parts;
    if (p == null) {
      throw new ServiceUnavailable("the web service of " + context.device() + " is starting");
    }
    return p;
  }

  /** The edge's first handler: a request whose {@code Host} is a site's domain is the site's. */
  void hostHandler(RoutingContext ctx) {
    Parts p = parts;
    Site site = p == null ? null : p.sites().byHost(host(ctx.request()));
    if (site == null) {
      ctx.next();
      return;
    }
    p.server().serve(ctx.request(), site);
  }

  /** The host a request names, lowercased, without its port. */
  static String host(HttpServerRequest request) {
    var authority = request.authority();
    if (authority == null) {
      return "";
    }
    String host = authority.host().toLowerCase(Locale.ROOT);
    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
  }
}
