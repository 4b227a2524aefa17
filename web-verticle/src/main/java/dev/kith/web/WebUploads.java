package dev.kith.web;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Access;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Publishing, whose requests can be larger than the edge's body limit: a site's file list may name
 * thousands of files, and an archive holds a whole site. Each route reads its own body, within its
 * own limit (413 beyond it, before the rest is read).
 *
 * <ul>
 *   <li>{@code POST /api/web/sites/{site}/missing} {@code {"files": [{"path", "sha256"}]}}: which
 *       objects to upload ({@code {"missing": [sha256, ...]}});
 *   <li>{@code POST /api/web/sites/{site}/versions} {@code {"files": [...], "domains": [...]}}:
 *       publish them as the next version (201);
 *   <li>{@code PUT /api/web/sites/{site}/archive?domain=...}: publish a tar, tar.gz or zip (201).
 * </ul>
 *
 * The files themselves go up as vault objects ({@code POST /api/vault/{owner}/objects}).
 */
final class WebUploads {

  /** Bytes of JSON per file a list may take: a path and a digest, with room to spare. */
  private static final int BYTES_PER_FILE = 200;

  private final Web web;
  private final Vertx vertx;

  WebUploads(Web web, Vertx vertx) {
    this.web = web;
    this.vertx = vertx;
  }

  void mount(Router router) {
    Access.ownData(router.post("/sites/:site/missing")).handler(this::missing);
    Access.ownData(router.post("/sites/:site/versions")).handler(this::publish);
    Access.ownData(router.put("/sites/:site/archive")).handler(this::archive);
  }

  private long listLimit(WebConfig c) {
    return (long) c.maxFiles() * (BYTES_PER_FILE + c.maxPathLength()) + 16 * 1024;
  }

  /** What a route does with a file list: its owner, site, parts and JSON body. */
  @FunctionalInterface
  private interface ListWork {
    Future<JsonObject> run(String owner, String site, Web.Parts parts, JsonObject body);
  }

  /** A route that reads a file list within its limit, then does {@code work} with it. */
  private void withList(RoutingContext ctx, int status, ListWork work) {
    WebRoutes.answer(
        ctx,
        status,
        () -> {
          String owner = Access.ownerOf(ctx);
          String site = WebRoutes.siteName(ctx);
          Web.Parts p = web.parts();
          return json(ctx, listLimit(p.config())).compose(body -> work.run(owner, site, p, body));
        });
  }

  private void missing(RoutingContext ctx) {
    withList(
        ctx,
        200,
        (owner, site, p, body) ->
            p.publisher()
                .missing(owner, p.publisher().fileList(body.getValue("files")))
                .map(m -> new JsonObject().put("missing", new JsonArray(m))));
  }

  private void publish(RoutingContext ctx) {
    withList(
        ctx,
        201,
        (owner, site, p, body) -> {
          Object given = body.getValue("domains");
          if (given != null && !(given instanceof JsonArray)) {
            throw ServiceFailure.badRequest("domains is a list of domain names");
          }
          List<?> domains = given == null ? null : ((JsonArray) given).getList();
          return p.publisher()
              .commit(owner, site, p.publisher().fileList(body.getValue("files")), domains)
              .onComplete(done -> p.metrics().publish(done.succeeded()));
        });
  }

  private void archive(RoutingContext ctx) {
    WebRoutes.answer(
        ctx,
        201,
        () -> {
          String owner = Access.ownerOf(ctx);
          String site = WebRoutes.siteName(ctx);
          Web.Parts p = web.parts();
          List<String> domains = ctx.queryParam("domain");
          List<String> ignored = new ArrayList<>();
          return toTempFile(ctx, p.config().maxSiteBytes())
              .compose(
                  file ->
                      vertx
                          .executeBlocking(() -> unpack(owner, p, file, ignored), false)
                          .onComplete(done -> deleteQuietly(file)))
              .compose(
                  list ->
                      p.publisher().commit(owner, site, list, domains.isEmpty() ? null : domains))
              .map(
                  r -> {
                    JsonArray all = r.getJsonArray("ignored", new JsonArray());
                    ignored.forEach(all::add);
                    return r.put("ignored", all);
                  })
              .onComplete(done -> p.metrics().publish(done.succeeded()));
        });
  }

  /** Stores each file of the archive as an object (those the vault lacks) and lists them. */
  private List<Publisher.FileRef> unpack(String owner, Web.Parts p, Path file, List<String> ignored)
      throws Exception {
    List<Publisher.FileRef> list = new ArrayList<>();
    var vault = web.vault();
    new ArchiveReader(p.config(), ignored)
        .read(
            file,
            (path, bytes) -> {
              String id =
                  HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
              boolean held =
                  vault
                      .hasObject(owner, id)
                      .toCompletionStage()
                      .toCompletableFuture()
                      .get(60, TimeUnit.SECONDS);
              if (!held) {
                vault
                    .putObject(owner, MediaTypes.of(path), Buffer.buffer(bytes))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
              }
              list.add(new Publisher.FileRef(path, id));
            });
    return list;
  }

  /** The request's JSON body, read here within {@code limit}. */
  private Future<JsonObject> json(RoutingContext ctx, long limit) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase().startsWith("application/json")) {
      ctx.request().resume();
      return Future.failedFuture(
          new ServiceFailure(415, "send the body as JSON, with Content-Type: application/json"));
    }
    return body(ctx, limit)
        .map(
            b -> {
              try {
                return new JsonObject(b);
              } catch (DecodeException | ClassCastException e) {
                throw ServiceFailure.badRequest("the body is not a JSON object: " + e.getMessage());
              }
            });
  }

  private static ServiceFailure tooLarge(long limit) {
    return ServiceFailure.tooLarge("the body is larger than " + limit + " bytes");
  }

  private static boolean declaredOver(RoutingContext ctx, long limit) {
    String length = ctx.request().getHeader("Content-Length");
    try {
      return length != null && Long.parseLong(length.trim()) > limit;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private Future<Buffer> body(RoutingContext ctx, long limit) {
    if (declaredOver(ctx, limit)) {
      ctx.response().putHeader("Connection", "close");
      return Future.failedFuture(tooLarge(limit));
    }
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer();
    var request = ctx.request();
    request.handler(
        chunk -> {
          if (body.length() + chunk.length() > limit) {
            ctx.response().putHeader("Connection", "close");
            request.handler(dropped -> {});
            done.tryFail(tooLarge(limit));
            return;
          }
          body.appendBuffer(chunk);
        });
    request.endHandler(v -> done.tryComplete(body));
    request.exceptionHandler(done::tryFail);
    request.resume();
    return done.future();
  }

  /** Streams the body into a temporary file, within {@code limit}. */
  private Future<Path> toTempFile(RoutingContext ctx, long limit) {
    if (declaredOver(ctx, limit)) {
      ctx.response().putHeader("Connection", "close");
      return Future.failedFuture(
          ServiceFailure.tooLarge(
              "the archive is larger than " + limit + " bytes (web-max-site-bytes)"));
    }
    var request = ctx.request();
    return vertx
        .fileSystem()
        .createTempFile("kith-web-", ".upload")
        .compose(
            name ->
                vertx
                    .fileSystem()
                    .open(name, new OpenOptions().setWrite(true))
                    .compose(file -> receive(ctx, file, Path.of(name), limit)));
  }

  private Future<Path> receive(RoutingContext ctx, AsyncFile file, Path path, long limit) {
    Promise<Path> done = Promise.promise();
    var request = ctx.request();
    long[] received = {0};
    request.handler(
        chunk -> {
          received[0] += chunk.length();
          if (received[0] > limit) {
            ctx.response().putHeader("Connection", "close");
            request.handler(dropped -> {});
            file.close();
            deleteQuietly(path);
            done.tryFail(
                ServiceFailure.tooLarge(
                    "the archive is larger than " + limit + " bytes (web-max-site-bytes)"));
            return;
          }
          file.write(chunk);
          if (file.writeQueueFull()) {
            request.pause();
            file.drainHandler(v -> request.resume());
          }
        });
    request.endHandler(
        v -> {
          if (!done.future().isComplete()) {
            file.close().onComplete(closed -> done.tryComplete(path));
          }
        });
    request.exceptionHandler(
        e -> {
          file.close();
          deleteQuietly(path);
          done.tryFail(e);
        });
    request.resume();
    return done.future();
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (java.io.IOException e) {
      // a temporary file; the system cleans its temporary folder
    }
  }
}
