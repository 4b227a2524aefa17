package dev.kith.mesh.edge;

import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.RouteModule;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /}: a small page that says what this device is and where to read on, until the web
 * interface replaces it. Anyone may see it; it shows nothing that {@code /health} does not (the
 * device's name). The page runs no script and loads nothing: its policy allows no source at all.
 */
public final class FrontPage implements RouteModule {

  private final String page;

  public FrontPage(String device) {
    this.page = page(escape(device));
  }

  @Override
  public void mount(Router router) {
    Access.anyone(router.get("/")).handler(this::show);
  }

  private void show(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-cache")
        .end(page);
  }

  private static String page(String device) {
    return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Kith device %1$s</title>
        </head>
        <body>
        <h1>Kith device %1$s</h1>
        <p>This is one device of a Kith mesh: a person's own devices that together run their \
        mail, web pages, chat and social feed. Any device of the mesh answers for all of them. \
        The web interface is not here yet.</p>
        <ul>
        <li><a href="/api/openapi.json">/api/openapi.json</a>: the HTTP API. Log in with \
        <code>POST /api/auth/login</code>, or with <code>kith login OWNER</code> on the \
        command line.</li>
        <li><a href="/health">/health</a> and <a href="/ready">/ready</a>: whether this device \
        runs and has joined its mesh.</li>
        <li>The documentation comes with Kith: <code>README.md</code> and the \
        <code>docs/</code> folder (configuration, security, the HTTP API, deployment), and \
        <code>kith --help</code>.</li>
        </ul>
        </body>
        </html>
        """
        .formatted(device);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
