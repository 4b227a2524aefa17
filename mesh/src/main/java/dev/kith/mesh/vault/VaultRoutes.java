package dev.kith.mesh.vault;

import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.Replies;
import dev.kith.mesh.spi.web.RouteModule;
import dev.kith.mesh.spi.web.UserContent;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The vault's HTTP API, which every device's edge serves at {@code /api/vault/{owner}/}. Only the
 * owner may call it: not another owner, and not an administrator. Record keys that hold a {@code /}
 * are sent percent-encoded ({@code %2F}).
 *
 * <pre>
 * POST   /api/vault/{owner}/objects          body in (Content-Type kept), {"id","size"} out
 * GET    /api/vault/{owner}/objects/{id}     the bytes; Range: bytes=FROM-TO gives 206
 * GET    /api/vault/{owner}/records?prefix=&after=&limit=   {"records":[...],"next":...}
 * GET    /api/vault/{owner}/records/{key}    {"key","value","version"}
 * PUT    /api/vault/{owner}/records/{key}    a JSON object in, {"key","version"} out
 * DELETE /api/vault/{owner}/records/{key}    {"key","version","deleted":true}
 * GET    /api/vault/{owner}/status           replicas, counts, bytes, under-replication
 * GET    /api/vault/{owner}/objects?bucket=ab      {"ids":[...]}: ids starting with ab (backups)
 * POST   /api/vault/{owner}/records          {"records":[...]} with versions (restores)
 * </pre>
 *
 * <p>{@code ?deleted=true} on the record listing includes tombstones, with their versions.
 *
 * <p>For checks of replication, {@code ?local=true} on {@code HEAD .../objects/{id}} and on {@code
 * GET .../records/{key}} asks about the answering device's own copy only: 200 or 404 for an object,
 * and a record with its tombstone flag.
 */
public final class VaultRoutes implements RouteModule {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(VaultRoutes.class);

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

  /** The most records one restore call takes. */
  static final int MAX_IMPORT_RECORDS = 1000;

  static final long MAX_IMPORT_BYTES = 64L * 1024 * 1024;

  private final MeshVault vault;
  private final long maxObjectBytes;

  /**
   * Mount it before the edge's own body handler: uploads here may be as large as the vault's
   * largest object, not the edge's usual body limit.
   */
  public VaultRoutes(MeshVault vault, long maxObjectBytes) {
    this.vault = vault;
    this.maxObjectBytes = maxObjectBytes;
  }

  @Override
  public void mount(Router router) {
    VaultRoutes routes = this;
    Access.owner(router.post("/api/vault/:owner/objects"), "owner")
        .handler(BodyHandler.create(false).setBodyLimit(maxObjectBytes))
        .handler(routes::putObject);
    // Stored bytes leave as downloads that a browser neither sniffs nor runs on this origin.
    Access.owner(router.get("/api/vault/:owner/objects/:id"), "owner")
        .handler(UserContent.downloads("id"))
        .handler(routes::getObject);
    Access.owner(router.head("/api/vault/:owner/objects/:id"), "owner")
        .handler(UserContent.downloads("id"))
        .handler(routes::headObject);
    Access.owner(router.get("/api/vault/:owner/objects"), "owner").handler(routes::listObjects);
    Access.owner(router.get("/api/vault/:owner/records"), "owner").handler(routes::scan);
    Access.owner(router.post("/api/vault/:owner/records"), "owner")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_IMPORT_BYTES))
        .handler(routes::importRecords);
    Access.owner(router.get("/api/vault/:owner/records/:key"), "owner").handler(routes::getRecord);
    Access.owner(router.put("/api/vault/:owner/records/:key"), "owner")
        .handler(BodyHandler.create(false).setBodyLimit(StoredRecord.MAX_VALUE_BYTES + 1024))
        .handler(routes::putRecord);
    Access.owner(router.delete("/api/vault/:owner/records/:key"), "owner")
        .handler(routes::deleteRecord);
    Access.owner(router.get("/api/vault/:owner/status"), "owner").handler(routes::status);
  }

  private void putObject(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    answer(
        ctx,
        vault
            .putObject(
                ctx.pathParam("owner"),
                type == null ? "application/octet-stream" : type,
                ctx.body().buffer() == null
                    ? io.vertx.core.buffer.Buffer.buffer()
                    : ctx.body().buffer())
            .map(
                id ->
                    new JsonObject()
                        .put("id", id)
                        .put("size", ctx.body().length() < 0 ? 0 : ctx.body().length())),
        201);
  }

  private void getObject(RoutingContext ctx) {
    long offset = 0;
    long length = Long.MAX_VALUE;
    String range = ctx.request().getHeader("Range");
    boolean partial = range != null;
    if (partial) {
      Matcher m = RANGE.matcher(range.trim());
      if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
        ctx.fail(
            416,
            new IllegalArgumentException("only one range of the form bytes=FROM-TO is served"));
        return;
      }
      if (m.group(1).isEmpty()) {
        ctx.fail(416, new IllegalArgumentException("suffix ranges (bytes=-N) are not served"));
        return;
      }
      offset = Long.parseLong(m.group(1));
      if (!m.group(2).isEmpty()) {
        long last = Long.parseLong(m.group(2));
        if (last < offset) {
          ctx.fail(416, new IllegalArgumentException("range ends before it starts"));
          return;
        }
        length = last - offset + 1;
      }
    }
    long from = offset;
    long count = length;
    String owner = ctx.pathParam("owner");
    String id = ctx.pathParam("id");
    // A copy on this device streams from disk; otherwise the bytes come from a replica.
    vault
        .localFile(owner, id)
        .onSuccess(
            local -> {
              if (local == null) {
                sendFromReplica(ctx, owner, id, from, count, partial);
              } else {
                sendLocal(ctx, local, from, count, partial);
              }
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void sendLocal(
      RoutingContext ctx, MeshVault.LocalFile local, long offset, long length, boolean partial) {
    long size = local.info().size();
    if (offset > size || (offset == size && size > 0)) {
      ctx.fail(
          416, new IllegalArgumentException("the range starts past the end (" + size + " bytes)"));
      return;
    }
    long count = Math.min(length, size - offset);
    var response = objectHeaders(ctx, local.info());
    if (partial) {
      response
          .setStatusCode(206)
          .putHeader("Content-Range", "bytes " + offset + "-" + (offset + count - 1) + "/" + size);
    }
    response
        .sendFile(local.path().toString(), offset, count)
        .onFailure(e -> log.warn("sending object {} failed: {}", local.info().id(), e.toString()));
  }

  private static io.vertx.core.http.HttpServerResponse objectHeaders(
      RoutingContext ctx, ObjectInfo info) {
    return ctx.response()
        .putHeader("Content-Type", info.mediaType())
        .putHeader("ETag", "\"" + info.id() + "\"")
        .putHeader("Accept-Ranges", "bytes")
        .putHeader("Cache-Control", "private, max-age=31536000, immutable");
  }

  private void sendFromReplica(
      RoutingContext ctx, String owner, String id, long offset, long length, boolean partial) {
    long from = offset;
    vault
        .getObject(owner, id, offset, length)
        .onSuccess(
            object -> {
              long size = object.info().size();
              var response = objectHeaders(ctx, object.info());
              if (partial) {
                long last = from + object.bytes().length() - 1;
                response
                    .setStatusCode(206)
                    .putHeader("Content-Range", "bytes " + from + "-" + last + "/" + size);
              }
              response.end(object.bytes());
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void headObject(RoutingContext ctx) {
    String owner = ctx.pathParam("owner");
    String id = ctx.pathParam("id");
    Future<Boolean> held =
        "true".equals(ctx.queryParams().get("local"))
            ? vault.hasLocalObject(owner, id)
            : vault.hasObject(owner, id);
    held.onSuccess(h -> ctx.response().setStatusCode(h ? 200 : 404).end())
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void getRecord(RoutingContext ctx) {
    String key = ctx.pathParam("key");
    if ("true".equals(ctx.queryParams().get("local"))) {
      vault
          .localRecord(ctx.pathParam("owner"), key)
          .onSuccess(
              r -> {
                if (r == null) {
                  Replies.fail(ctx, new Vault.NotFound("no record " + key + " on this device"));
                } else {
                  Replies.json(ctx, 200, recordJson(r).put("deleted", r.deleted()));
                }
              })
          .onFailure(e -> Replies.fail(ctx, e));
      return;
    }
    vault
        .getRecord(ctx.pathParam("owner"), key)
        .onSuccess(
            r -> {
              if (r == null) {
                Replies.fail(ctx, new Vault.NotFound("no record " + key));
              } else {
                ctx.response().putHeader("ETag", etag(r.version()));
                Replies.json(ctx, 200, recordJson(r));
              }
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void putRecord(RoutingContext ctx) {
    JsonObject value;
    try {
      value = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      ctx.fail(400, new IllegalArgumentException("the body must be a JSON object"));
      return;
    }
    if (value == null) {
      ctx.fail(400, new IllegalArgumentException("the body must be a JSON object"));
      return;
    }
    String key = ctx.pathParam("key");
    String ifMatch = ctx.request().getHeader("If-Match");
    String ifNoneMatch = ctx.request().getHeader("If-None-Match");
    if (ifMatch == null && ifNoneMatch == null) {
      answer(
          ctx,
          vault
              .putRecord(ctx.pathParam("owner"), key, value)
              .map(v -> new JsonObject().put("key", key).put("version", v.toJson())),
          200);
      return;
    }
    // A conditional write: a compare-and-set on the record's version (its ETag).
    Version expected;
    try {
      if (ifMatch != null && ifNoneMatch != null) {
        throw new IllegalArgumentException("send If-Match or If-None-Match, not both");
      }
      if (ifNoneMatch != null && !"*".equals(ifNoneMatch.trim())) {
        throw new IllegalArgumentException("If-None-Match must be * (create only)");
      }
      expected = ifMatch == null ? null : fromEtag(ifMatch);
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    vault
        .compareAndSet(ctx.pathParam("owner"), key, expected, value, null)
        .onSuccess(
            r -> {
              ctx.response().putHeader("ETag", etag(r.version()));
              Replies.json(
                  ctx, 200, new JsonObject().put("key", key).put("version", r.version().toJson()));
            })
        .onFailure(
            e -> {
              if (e instanceof Vault.Conflict c) {
                ctx.fail(
                    412,
                    new IllegalStateException(
                        "the record changed: "
                            + c.getMessage()
                            + (c.current() == null
                                ? ""
                                : " (ETag " + etag(c.current().version()) + ")")));
              } else {
                Replies.fail(ctx, e);
              }
            });
  }

  /** A record version as an HTTP entity tag: {@code "epoch.hlc.device"}. */
  static String etag(Version v) {
    return "\"" + v.epoch() + "." + v.hlc() + "." + v.device() + "\"";
  }

  static Version fromEtag(String tag) {
    String t = tag.trim();
    if (t.startsWith("W/")) {
      throw new IllegalArgumentException("a weak ETag cannot be matched: " + tag);
    }
    if (t.length() < 2 || !t.startsWith("\"") || !t.endsWith("\"")) {
      throw new IllegalArgumentException("If-Match must be one quoted ETag: " + tag);
    }
    String[] parts = t.substring(1, t.length() - 1).split("\\.", 3);
    try {
      if (parts.length != 3) {
        throw new NumberFormatException();
      }
      return new Version(Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts[2]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a record ETag: " + tag);
    }
  }

  private void deleteRecord(RoutingContext ctx) {
    String key = ctx.pathParam("key");
    answer(
        ctx,
        vault
            .deleteRecord(ctx.pathParam("owner"), key)
            .map(
                v ->
                    new JsonObject()
                        .put("key", key)
                        .put("version", v.toJson())
                        .put("deleted", true)),
        200);
  }

  private void scan(RoutingContext ctx) {
    int limit;
    try {
      limit =
          Integer.parseInt(
              ctx.queryParams().get("limit") == null ? "100" : ctx.queryParams().get("limit"));
    } catch (NumberFormatException e) {
      ctx.fail(400, new IllegalArgumentException("limit must be a number"));
      return;
    }
    String prefix = ctx.queryParams().get("prefix");
    answer(
        ctx,
        vault
            .scanPage(
                ctx.pathParam("owner"),
                prefix == null ? "" : prefix,
                ctx.queryParams().get("after"),
                limit,
                "true".equals(ctx.queryParams().get("deleted")))
            .map(
                page -> {
                  JsonArray records = new JsonArray();
                  page.records()
                      .forEach(r -> records.add(recordJson(r).put("deleted", r.deleted())));
                  return new JsonObject().put("records", records).put("next", page.next());
                }),
        200);
  }

  private void listObjects(RoutingContext ctx) {
    answer(
        ctx,
        vault
            .listObjects(ctx.pathParam("owner"), ctx.queryParams().get("bucket"))
            .map(ids -> new JsonObject().put("ids", new JsonArray(ids))),
        200);
  }

  private void importRecords(RoutingContext ctx) {
    String owner = ctx.pathParam("owner");
    java.util.List<StoredRecord> records = new java.util.ArrayList<>();
    try {
      JsonArray list = ctx.body().asJsonObject().getJsonArray("records");
      if (list == null || list.size() > MAX_IMPORT_RECORDS) {
        throw new IllegalArgumentException(
            "the body is {\"records\":[...]} with at most " + MAX_IMPORT_RECORDS + " records");
      }
      for (Object o : list) {
        JsonObject r = (JsonObject) o;
        Object value = r.getValue("value");
        boolean deleted = r.getBoolean("deleted", false);
        records.add(
            new StoredRecord(
                owner,
                r.getString("key"),
                Version.fromJson(r.getJsonObject("version")),
                deleted ? null : io.vertx.core.json.Json.encode(value)));
      }
    } catch (RuntimeException e) {
      ctx.fail(400, new IllegalArgumentException("bad records: " + e.getMessage()));
      return;
    }
    answer(
        ctx,
        vault
            .importRecords(owner, records)
            .map(v -> new JsonObject().put("imported", records.size())),
        200);
  }

  private void status(RoutingContext ctx) {
    answer(ctx, vault.status(ctx.pathParam("owner")), 200);
  }

  private static JsonObject recordJson(StoredRecord r) {
    return new JsonObject()
        .put("key", r.key())
        .put("value", r.value() == null ? null : io.vertx.core.json.Json.decodeValue(r.value()))
        .put("version", r.version().toJson());
  }

  private static void answer(RoutingContext ctx, Future<JsonObject> result, int status) {
    Replies.answer(ctx, status, result);
  }
}
