package dev.kith.web;

import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceUnavailable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
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
  private static final long LOAD_RETRY_MILLIS = 2000;

  private final ServiceContext context;
  private volatile Parts parts;
  private String webPortDeployment;

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

  /** The domains of every site, for the mesh's DNS; none before the sites are read. */
  List<String> domains() {
    Parts p = parts;
    return p == null ? List.of() : List.copyOf(p.sites().domains());
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
    parts = p;
    load(p, 0);
    return config.port() == 0 ? Future.succeededFuture() : listen(config, p);
  }

  /**
   * Reads every site, and tries again every {@link #LOAD_RETRY_MILLIS} while the {@code kith-web}
   * vault cannot be read (a device that starts alone after a power cut): the device starts and
   * serves everything else meanwhile; sites answer 503 on the web port, and their API too.
   */
  private void load(Parts p, int attempt) {
    if (parts != p) {
      return; // stopped
    }
    p.sites()
        .start()
        .onSuccess(
            v -> {
              if (attempt > 0) {
                log.info(
                    "{} read the sites after {} tries; it serves them",
                    context.device(),
                    attempt + 1);
              }
            })
        .onFailure(
            e -> {
              if (attempt == 0) {
                log.warn(
                    "{} cannot read the web sites yet ({}); it serves none until it can, and tries"
                        + " again every {} ms. If this lasts, check that a majority of the devices"
                        + " are up",
                    context.device(),
                    e.toString(),
                    LOAD_RETRY_MILLIS);
              }
              p.sites().stop();
              context.vertx().setTimer(LOAD_RETRY_MILLIS, t -> load(p, attempt + 1));
            });
  }

  /** One server on the web port per event loop (as many as cores): they share the port. */
  private Future<Void> listen(WebConfig config, Parts p) {
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.bindHost())
            .setPort(config.port())
            .setMaxInitialLineLength(8 * 1024)
            .setMaxHeaderSize(16 * 1024);
    return context
        .vertx()
        .deployVerticle(
            () ->
                new VerticleBase() {
                  @Override
                  public Future<?> start() {
                    return vertx
                        .createHttpServer(options)
                        .requestHandler(request -> serveOnWebPort(p, request))
                        .listen();
                  }
                },
            new DeploymentOptions().setInstances(instances))
        .onSuccess(
            id -> {
              webPortDeployment = id;
              log.info(
                  "{} serves sites on web port {} ({} event loops)",
                  context.device(),
                  config.port(),
                  instances);
            })
        .<Void>mapEmpty()
        .recover(
            e -> {
              log.error(
                  "{} cannot serve sites on web-port {} ({}); they are still served on the HTTP"
                      + " port by Host. Choose a free web-port, or 0",
                  context.device(),
                  config.port(),
                  e.getMessage());
              return Future.succeededFuture();
            });
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
    if (!p.sites().loaded()) {
      request.response().putHeader("Retry-After", "2").setStatusCode(503);
      request.response().putHeader("Content-Type", "text/plain; charset=utf-8");
      request.response().end("The sites are not loaded yet; try again shortly.\n");
      p.metrics().request("-", 503, 0);
      return;
    }
    Site site = p.sites().byHost(host(request));
    if (site == null) {
      request.response().putHeader("X-Content-Type-Options", "nosniff");
      request.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8");
      request.response().end("No site here has this name.\n");
      p.metrics().request("-", 404, 0);
      return;
    }
    p.server().serve(request, site, false);
  }

  Future<Void> stop() {
    Parts p = parts;
    parts = null;
    String deployment = webPortDeployment;
    webPortDeployment = null;
    Future<Void> closed =
        deployment == null ? Future.succeededFuture() : context.vertx().undeploy(deployment);
    return p == null ? closed : Future.all(closed, p.sites().stop()).mapEmpty();
  }

  dev.kith.mesh.vault.Vault vault() {
    return context.vault();
  }

  /** The parts, or a 503 failure while the service starts. */
  Parts parts() {
    Parts p = parts;
    if (p == null || !p.sites().loaded()) {
      throw new ServiceUnavailable("the web service of " + context.device() + " is starting");
    }
    return p;
  }

  /** The edge's first handler: a request whose {@code Host} is a site's domain is the site's. */
  void hostHandler(RoutingContext ctx) {
    Parts p = parts;
    Site site = p == null || !p.sites().loaded() ? null : p.sites().byHost(host(ctx.request()));
    if (site == null) {
      ctx.next();
      return;
    }
    p.server().serve(ctx.request(), site, true);
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
