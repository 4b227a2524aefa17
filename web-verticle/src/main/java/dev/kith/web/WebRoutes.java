package dev.kith.web;

import static io.vertx.json.schema.common.dsl.Schemas.arraySchema;
import static io.vertx.json.schema.common.dsl.Schemas.intSchema;
import static io.vertx.json.schema.common.dsl.Schemas.objectSchema;
import static io.vertx.json.schema.common.dsl.Schemas.stringSchema;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.JsonBody;
import dev.kith.mesh.spi.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.common.dsl.ObjectSchemaBuilder;
import java.util.List;
import java.util.function.Supplier;

/**
 * The web API under {@code /api/web/} for an owner's own sites: list them, see a site's versions
 * and the files of one, roll back, change domains, remove a site. Publishing, whose bodies can be
 * larger than the edge's limit, is in {@link WebUploads}.
 */
final class WebRoutes {

  private static final ObjectSchemaBuilder ROLLBACK =
      objectSchema().optionalProperty("version", intSchema());

  private static final ObjectSchemaBuilder DOMAINS =
      objectSchema().requiredProperty("domains", arraySchema().items(stringSchema()));

  private final Web web;

  WebRoutes(Web web) {
    this.web = web;
  }

  void mount(Router router) {
    Access.ownData(router.get("/sites")).handler(this::list);
    Access.ownData(router.get("/sites/:site")).handler(this::describe);
    Access.ownData(router.get("/sites/:site/versions/:version/files")).handler(this::files);
    JsonBody.optional(Access.ownData(router.post("/sites/:site/rollback")), ROLLBACK, 4096)
        .handler(this::rollback);
    JsonBody.on(Access.ownData(router.put("/sites/:site/domains")), DOMAINS, 16 * 1024)
        .handler(this::domains);
    Access.ownData(router.delete("/sites/:site")).handler(this::remove);
  }

  /** Runs a handler's work, turning what it throws into the request's failure. */
  static void answer(RoutingContext ctx, int status, Supplier<Future<?>> work) {
    Future<?> result;
    try {
      result = work.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    Replies.answer(ctx, status, result);
  }

  private void list(RoutingContext ctx) {
    answer(
        ctx,
        200,
        () -> {
          JsonArray sites = new JsonArray();
          web.parts().sites().of(Access.ownerOf(ctx)).forEach(s -> sites.add(s.describe()));
          return Future.succeededFuture(new JsonObject().put("sites", sites));
        });
  }

  private Site site(RoutingContext ctx) {
    String owner = Access.ownerOf(ctx);
    String name = siteName(ctx);
    Site site = web.parts().sites().get(owner, name);
    if (site == null) {
      throw ServiceFailure.notFound(owner + " has no site " + name);
    }
    return site;
  }

  static String siteName(RoutingContext ctx) {
    try {
      return SitePaths.site(ctx.pathParam("site"));
    } catch (IllegalArgumentException e) {
      throw ServiceFailure.badRequest(e.getMessage());
    }
  }

  private void describe(RoutingContext ctx) {
    answer(ctx, 200, () -> Future.succeededFuture(site(ctx).describe()));
  }

  private void files(RoutingContext ctx) {
    answer(
        ctx,
        200,
        () -> {
          Site site = site(ctx);
          long n;
          try {
            n = Long.parseLong(ctx.pathParam("version"));
          } catch (NumberFormatException e) {
            throw ServiceFailure.badRequest("version is a number");
          }
          JsonObject v = site.version(n);
          if (v == null) {
            throw ServiceFailure.notFound(site.name() + " keeps no version " + n);
          }
          return web.parts()
              .files()
              .manifest(site.owner(), v.getString("manifest"))
              .map(
                  m -> {
                    JsonArray files = new JsonArray();
                    m.files().forEach((path, e) -> files.add(e.toJson().put("path", path)));
                    return new JsonObject().put("version", n).put("files", files);
                  });
        });
  }

  private void rollback(RoutingContext ctx) {
    answer(
        ctx,
        200,
        () -> {
          Site known = site(ctx);
          Integer asked = JsonBody.of(ctx).getInteger("version");
          return web.parts()
              .sites()
              .change(
                  known.owner(),
                  known.name(),
                  record -> {
                    Site s = Site.fromJson(record);
                    long to = asked != null ? asked : previous(s);
                    if (s.version(to) == null) {
                      throw ServiceFailure.notFound(
                          s.name() + " keeps no version " + to + " to roll back to");
                    }
                    return record.copy().put("current", to);
                  })
              .map(Site::describe);
        });
  }

  /** The newest kept version older than the current one. */
  private static long previous(Site s) {
    long best = -1;
    for (int i = 0; i < s.versions().size(); i++) {
      long v = s.versions().getJsonObject(i).getLong("version");
      if (v < s.current() && v > best) {
        best = v;
      }
    }
    if (best < 0) {
      throw ServiceFailure.conflict(s.name() + " keeps no version before " + s.current());
    }
    return best;
  }

  private void domains(RoutingContext ctx) {
    answer(
        ctx,
        200,
        () -> {
          List<String> domains =
              SitePaths.domains(JsonBody.of(ctx).getJsonArray("domains").getList());
          return web.parts()
              .sites()
              .change(Access.ownerOf(ctx), siteName(ctx), domains, JsonObject::copy)
              .map(Site::describe);
        });
  }

  private void remove(RoutingContext ctx) {
    answer(
        ctx,
        200,
        () -> {
          Site site = site(ctx);
          Sites sites = web.parts().sites();
          Future<Void> done = sites.remove(site.owner(), site.name());
          for (String d : site.domains()) {
            done = done.compose(v -> sites.release(d, site.owner(), site.name()));
          }
          return done.map(
              v -> new JsonObject().put("removed", site.name()).put("owner", site.owner()));
        });
  }
}
