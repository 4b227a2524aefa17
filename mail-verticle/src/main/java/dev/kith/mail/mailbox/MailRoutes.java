package dev.kith.mail.mailbox;

import static io.vertx.json.schema.common.dsl.Keywords.maxLength;
import static io.vertx.json.schema.common.dsl.Schemas.objectSchema;
import static io.vertx.json.schema.common.dsl.Schemas.stringSchema;

import dev.kith.mail.MailConfig;
import dev.kith.mail.api.Mailboxes;
import dev.kith.mail.mime.MessageBuilder;
import dev.kith.mail.mime.MessageParser;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.JsonBody;
import dev.kith.mesh.spi.web.Replies;
import dev.kith.mesh.spi.web.UserContent;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.common.dsl.ObjectSchemaBuilder;
import io.vertx.json.schema.common.dsl.Schemas;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The HTTP API of mail, under {@code /api/mail/}, on every device. Every route is for the logged-in
 * owner's own mail ({@link Access#ownData}): the owner comes from the token, never from the URL, so
 * no owner can name another's mailbox. Each request goes to the owner's mailbox instance wherever
 * it runs, through a typed proxy; message bytes are read from the owner's vault on the device that
 * answers.
 */
final class MailRoutes {

  private static final Pattern MEDIA_TYPE =
      Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}");

  private static final ObjectSchemaBuilder NEW_MAILBOX =
      objectSchema().requiredProperty("name", stringSchema().with(maxLength(200)));
  private static final ObjectSchemaBuilder CHANGE =
      objectSchema()
          .optionalProperty("flags", objectSchema())
          .optionalProperty("mailbox", stringSchema().with(maxLength(200)))
          .optionalProperty("box", stringSchema().with(maxLength(200)));

  /**
   * What {@link MessageBuilder#compose} reads. It checks each field itself (an address list is a
   * string or an array, a subject has no line breaks, ...) and says what is wrong, so the schema
   * only names them.
   */
  private static final ObjectSchemaBuilder MESSAGE =
      objectSchema()
          .optionalProperty("to", Schemas.schema())
          .optionalProperty("cc", Schemas.schema())
          .optionalProperty("bcc", Schemas.schema())
          .optionalProperty("subject", Schemas.schema())
          .optionalProperty("text", Schemas.schema())
          .optionalProperty("html", Schemas.schema())
          .optionalProperty("inReplyTo", Schemas.schema())
          .optionalProperty("references", Schemas.schema())
          .optionalProperty("attachments", Schemas.schema());

  private final ServiceContext context;

  MailRoutes(ServiceContext context) {
    this.context = context;
  }

  void mount(Router router) {
    Access.ownData(router.get("/mailboxes"))
        .handler(ctx -> Replies.answer(ctx, 200, mailboxes(ctx).mailboxes()));
    JsonBody.on(Access.ownData(router.post("/mailboxes")), NEW_MAILBOX).handler(this::create);
    Access.ownData(router.delete("/mailboxes/:box"))
        .handler(
            ctx -> Replies.answer(ctx, 200, mailboxes(ctx).deleteMailbox(ctx.pathParam("box"))));
    JsonBody.on(Access.ownData(router.patch("/mailboxes/:box")), NEW_MAILBOX)
        .handler(
            ctx ->
                Replies.answer(
                    ctx,
                    200,
                    mailboxes(ctx)
                        .renameMailbox(ctx.pathParam("box"), JsonBody.of(ctx).getString("name"))));
    Access.ownData(router.post("/mailboxes/:box/expunge"))
        .handler(ctx -> Replies.answer(ctx, 200, mailboxes(ctx).expunge(ctx.pathParam("box"))));
    Access.ownData(router.get("/mailboxes/:box/messages")).handler(this::list);
    Access.ownData(router.get("/messages/:id")).handler(this::message);
    Access.ownData(router.get("/messages/:id/raw")).handler(this::raw);
    Access.ownData(router.get("/messages/:id/attachments/:n")).handler(this::attachment);
    JsonBody.on(Access.ownData(router.patch("/messages/:id")), CHANGE).handler(this::update);
    Access.ownData(router.delete("/messages/:id"))
        .handler(ctx -> Replies.answer(ctx, 200, mailboxes(ctx).delete(ctx.pathParam("id"))));
    JsonBody.on(Access.ownData(router.post("/send")), MESSAGE).handler(this::send);
    Access.ownData(router.get("/search")).handler(this::search);
    Access.ownData(router.get("/threads/:thread"))
        .handler(ctx -> Replies.answer(ctx, 200, mailboxes(ctx).thread(ctx.pathParam("thread"))));
  }

  /** The caller's mailbox instance, wherever it runs. */
  private Mailboxes mailboxes(RoutingContext ctx) {
    return context.proxy(Mailboxes.class, Mailboxes.address(Access.ownerOf(ctx)));
  }

  private void create(RoutingContext ctx) {
    Replies.answer(ctx, 201, mailboxes(ctx).create(JsonBody.of(ctx).getString("name")));
  }

  private void list(RoutingContext ctx) {
    String cursor = ctx.request().getParam("cursor");
    Long from;
    int limit;
    try {
      from = cursor == null || cursor.isEmpty() ? null : Long.parseLong(cursor);
      limit = number(ctx.request().getParam("limit"), 50);
    } catch (NumberFormatException e) {
      ctx.fail(400, ServiceFailure.badRequest("cursor and limit must be whole numbers"));
      return;
    }
    Replies.answer(ctx, 200, mailboxes(ctx).list(ctx.pathParam("box"), from, limit));
  }

  private void search(RoutingContext ctx) {
    String q = ctx.request().getParam("q");
    int limit;
    try {
      limit = number(ctx.request().getParam("limit"), 50);
    } catch (NumberFormatException e) {
      ctx.fail(400, ServiceFailure.badRequest("limit must be a whole number"));
      return;
    }
    Replies.answer(
        ctx,
        200,
        mailboxes(ctx).search(q == null ? "" : q, ctx.request().getParam("mailbox"), limit));
  }

  private static int number(String raw, int otherwise) {
    return raw == null || raw.isEmpty() ? otherwise : Integer.parseInt(raw);
  }

  private void update(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject flags = body.getJsonObject("flags");
    String box = body.getString("mailbox", body.getString("box"));
    if (flags == null && box == null) {
      ctx.fail(400, ServiceFailure.badRequest("give flags, mailbox or both"));
      return;
    }
    Replies.answer(ctx, 200, mailboxes(ctx).update(ctx.pathParam("id"), flags, box));
  }

  /** The parsed message: its mailbox state, headers, text, sanitized HTML and attachments. */
  private void message(RoutingContext ctx) {
    Replies.answer(
        ctx,
        200,
        record(ctx)
            .compose(
                record ->
                    bytes(ctx, record)
                        .compose(
                            raw ->
                                context
                                    .vertx()
                                    .executeBlocking(() -> MessageParser.parse(raw), false))
                        .map(
                            parsed ->
                                parsed
                                    .put("id", record.getString("id"))
                                    .put("mailbox", record.getString("box"))
                                    .put("uid", record.getLong("uid"))
                                    .put("flags", record.getJsonArray("flags"))
                                    .put("received", record.getLong("received")))));
  }

  private void raw(RoutingContext ctx) {
    record(ctx)
        .compose(record -> bytes(ctx, record))
        .onSuccess(
            raw -> {
              UserContent.asDownload(ctx.response(), ctx.pathParam("id") + ".eml");
              ctx.response().putHeader("Content-Type", "message/rfc822").end(Buffer.buffer(raw));
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void attachment(RoutingContext ctx) {
    int n;
    try {
      n = Integer.parseInt(ctx.pathParam("n"));
    } catch (NumberFormatException e) {
      ctx.fail(400, ServiceFailure.badRequest("an attachment number is a whole number"));
      return;
    }
    record(ctx)
        .compose(record -> bytes(ctx, record))
        .compose(
            raw -> context.vertx().executeBlocking(() -> MessageParser.attachment(raw, n), false))
        .onSuccess(
            a -> {
              if (a == null) {
                ctx.fail(404, ServiceFailure.notFound("the message has no attachment " + n));
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
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void send(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String owner = Access.ownerOf(ctx);
    String domain = context.config(MailConfig.class).primaryDomain();
    String from = owner + "@" + domain;
    String messageId = MessageBuilder.newMessageId(domain);
    List<String> recipients;
    try {
      recipients = MessageBuilder.envelopeRecipients(body);
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    Replies.answer(
        ctx,
        202,
        context
            .vertx()
            .executeBlocking(
                () -> MessageBuilder.compose(body, from, messageId, Instant.now()), false)
            .compose(raw -> Submission.submit(context, owner, messageId, from, recipients, raw)));
  }

  // ------------------------------------------------------------------------------ helpers

  private Future<JsonObject> record(RoutingContext ctx) {
    return mailboxes(ctx).get(ctx.pathParam("id"));
  }

  /** The message's bytes; a record whose object no replica holds any more is a 404. */
  private Future<byte[]> bytes(RoutingContext ctx, JsonObject record) {
    return context
        .vault()
        .getObject(Access.ownerOf(ctx), record.getString("object"))
        .map(object -> object.bytes().getBytes())
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof Vault.NotFound
                        ? ServiceFailure.notFound("the message's content is missing from the vault")
                        : e));
  }
}
