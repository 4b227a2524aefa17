package dev.kith.mail;

import dev.kith.mesh.spi.web.Principal;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.edge.Edge;
import dev.kith.mesh.spi.web.UserContent;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The HTTP API of mail, under {@code /api/mail/}, on every device. Every route is for the logged-in
 * owner's own mail: the owner comes from the token, never from the URL, so no owner can name
 * another's mailbox. Each request goes to the owner's mailbox service wherever it runs; message
 * bytes are read from the owner's vault on the device that answers.
 */
final class MailRoutes {

  private static final Pattern MEDIA_TYPE =
      Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}");

  private final ServiceContext context;

  MailRoutes(ServiceContext context) {
    this.context = context;
  }

  void mount(Router router) {
    mine(router.get("/mailboxes")).handler(ctx -> ask(ctx, op("mailboxes"), 200));
    mine(router.post("/mailboxes")).handler(this::create);
    mine(router.post("/mailboxes/:box/expunge"))
        .handler(ctx -> ask(ctx, op("expunge").put("box", ctx.pathParam("box")), 200));
    mine(router.get("/mailboxes/:box/messages")).handler(this::list);
    mine(router.get("/messages/:id")).handler(this::message);
    mine(router.get("/messages/:id/raw")).handler(this::raw);
    mine(router.get("/messages/:id/attachments/:n")).handler(this::attachment);
    mine(router.patch("/messages/:id")).handler(this::update);
    mine(router.delete("/messages/:id"))
        .handler(ctx -> ask(ctx, op("delete").put("id", ctx.pathParam("id")), 200));
    mine(router.post("/send")).handler(this::send);
    mine(router.get("/search")).handler(this::search);
    mine(router.get("/threads/:thread"))
        .handler(ctx -> ask(ctx, op("thread").put("thread", ctx.pathParam("thread")), 200));
  }

  /** A route for a logged-in owner; the device's operator has no mail, so gets 403. */
  private static Route mine(Route route) {
    return Access.loggedIn(route)
        .handler(
            ctx -> {
              if (owner(ctx) == null) {
                ctx.fail(
                    403,
                    new IllegalArgumentException(
                        "mail belongs to an owner: log in as one (POST /api/auth/login)"));
              } else {
                ctx.next();
              }
            });
  }

  private static String owner(RoutingContext ctx) {
    Principal principal = Access.principal(ctx);
    return principal == null ? null : principal.owner();
  }

  private static JsonObject op(String name) {
    return new JsonObject().put("op", name);
  }

  private void create(RoutingContext ctx) {
    JsonObject body = body(ctx);
    if (body != null) {
      Object name = body.getValue("name");
      if (!(name instanceof String)) {
        ctx.fail(400, new IllegalArgumentException("give the new mailbox's name: {\"name\": ..}"));
        return;
      }
      ask(ctx, op("create").put("name", name), 201);
    }
  }

  private void list(RoutingContext ctx) {
    JsonObject request = op("list").put("box", ctx.pathParam("box"));
    String cursor = ctx.request().getParam("cursor");
    String limit = ctx.request().getParam("limit");
    try {
      if (cursor != null && !cursor.isEmpty()) {
        request.put("cursor", Long.parseLong(cursor));
      }
      request.put("limit", limit == null || limit.isEmpty() ? 50 : Integer.parseInt(limit));
    } catch (NumberFormatException e) {
      ctx.fail(400, new IllegalArgumentException("cursor and limit must be whole numbers"));
      return;
    }
    ask(ctx, request, 200);
  }

  private void search(RoutingContext ctx) {
    String q = ctx.request().getParam("q");
    String limit = ctx.request().getParam("limit");
    JsonObject request = op("search").put("q", q == null ? "" : q);
    String box = ctx.request().getParam("mailbox");
    if (box != null) {
      request.put("box", box);
    }
    try {
      request.put("limit", limit == null || limit.isEmpty() ? 50 : Integer.parseInt(limit));
    } catch (NumberFormatException e) {
      ctx.fail(400, new IllegalArgumentException("limit must be a whole number"));
      return;
    }
    ask(ctx, request, 200);
  }

  private void update(RoutingContext ctx) {
    JsonObject body = body(ctx);
    if (body == null) {
      return;
    }
    JsonObject request = op("update").put("id", ctx.pathParam("id"));
    Object flags = body.getValue("flags");
    Object box = body.getValue("mailbox", body.getValue("box"));
    if (flags != null && !(flags instanceof JsonObject)) {
      ctx.fail(400, new IllegalArgumentException("flags must be an object: {\"seen\": true}"));
      return;
    }
    if (box != null && !(box instanceof String)) {
      ctx.fail(400, new IllegalArgumentException("mailbox must be a mailbox name"));
      return;
    }
    if (flags == null && box == null) {
      ctx.fail(400, new IllegalArgumentException("give flags, mailbox or both"));
      return;
    }
    ask(ctx, request.put("flags", flags).put("box", box), 200);
  }

  /** The parsed message: its mailbox state, headers, text, sanitized HTML and attachments. */
  private void message(RoutingContext ctx) {
    String owner = owner(ctx);
    record(ctx)
        .compose(
            record ->
                bytes(owner, record)
                    .compose(
                        raw ->
                            context
                                .vertx()
                                .executeBlocking(() -> MessageParser.parse(raw), false)
                                .map(
                                    parsed ->
                                        parsed
                                            .put("id", record.getString("id"))
                                            .put("mailbox", record.getString("box"))
                                            .put("uid", record.getLong("uid"))
                                            .put("flags", record.getJsonArray("flags"))
                                            .put("received", record.getLong("received")))))
        .onSuccess(parsed -> Edge.sendJson(ctx, 200, parsed))
        .onFailure(e -> fail(ctx, e));
  }

  private void raw(RoutingContext ctx) {
    String owner = owner(ctx);
    record(ctx)
        .compose(record -> bytes(owner, record))
        .onSuccess(
            raw -> {
              UserContent.asDownload(ctx.response(), ctx.pathParam("id") + ".eml");
              ctx.response().putHeader("Content-Type", "message/rfc822").end(Buffer.buffer(raw));
            })
        .onFailure(e -> fail(ctx, e));
  }

  private void attachment(RoutingContext ctx) {
    int n;
    try {
      n = Integer.parseInt(ctx.pathParam("n"));
    } catch (NumberFormatException e) {
      ctx.fail(400, new IllegalArgumentException("an attachment number is a whole number"));
      return;
    }
    String owner = owner(ctx);
    record(ctx)
        .compose(record -> bytes(owner, record))
        .compose(
            raw -> context.vertx().executeBlocking(() -> MessageParser.attachment(raw, n), false))
        .onSuccess(
            a -> {
              if (a == null) {
                ctx.fail(404, new Edge.NotFound("the message has no attachment " + n));
                return;
              }
              String type =
                  a.mediaType() != null && MEDIA_TYPE.matcher(a.mediaType()).matches()
                      ? a.mediaType()
                      : "application/octet-stream";
              // The sender's name for the file, whole (RFC 6266 filename*), with an ASCII fallback.
              UserContent.asDownload(
                  ctx.response(), a.filename() == null ? "attachment-" + n : a.filename());
              ctx.response().putHeader("Content-Type", type).end(Buffer.buffer(a.bytes()));
            })
        .onFailure(e -> fail(ctx, e));
  }

  private void send(RoutingContext ctx) {
    JsonObject body = body(ctx);
    if (body == null) {
      return;
    }
    String owner = owner(ctx);
    String domain = context.config().mail().primaryDomain();
    String from = owner + "@" + domain;
    String messageId = MessageBuilder.newMessageId(domain);
    List<String> recipients;
    try {
      recipients = MessageBuilder.envelopeRecipients(body);
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    context
        .vertx()
        .executeBlocking(() -> MessageBuilder.compose(body, from, messageId, Instant.now()), false)
        .compose(raw -> Submission.submit(context, owner, messageId, from, recipients, raw))
        .onSuccess(result -> Edge.sendJson(ctx, 202, result))
        .onFailure(e -> fail(ctx, e));
  }

  // ------------------------------------------------------------------------------ helpers

  private Future<JsonObject> record(RoutingContext ctx) {
    return context.request(
        MailService.address(owner(ctx)), op("get").put("id", ctx.pathParam("id")));
  }

  private Future<byte[]> bytes(String owner, JsonObject record) {
    return context
        .vault()
        .getObject(owner, record.getString("object"))
        .map(object -> object.bytes().getBytes());
  }

  private void ask(RoutingContext ctx, JsonObject request, int status) {
    if (request == null) {
      return;
    }
    context
        .<JsonObject>request(MailService.address(owner(ctx)), request)
        .onSuccess(answer -> Edge.sendJson(ctx, status, answer))
        .onFailure(e -> fail(ctx, e));
  }

  /** The request's JSON object body, or null after failing the request with 400. */
  private static JsonObject body(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        ctx.fail(400, new IllegalArgumentException("the request needs a JSON object body"));
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      ctx.fail(400, new IllegalArgumentException("the body is not a JSON object"));
      return null;
    }
  }

  /** Fails the request with the status the failure calls for. */
  static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof ReplyException r
        && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && r.failureCode() >= 400
        && r.failureCode() < 500) {
      ctx.fail(r.failureCode(), new IllegalArgumentException(r.getMessage()));
    } else if (e instanceof IllegalArgumentException) {
      ctx.fail(400, e);
    } else if (e instanceof Vault.NotFound) {
      // The record names an object that no replica holds any more.
      ctx.fail(404, new Edge.NotFound("the message's content is missing from the vault"));
    } else {
      ctx.fail(e);
    }
  }
}
