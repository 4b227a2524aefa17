package dev.kith.mesh.spi.web;

import dev.kith.mesh.spi.ServiceFailure;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.json.schema.common.dsl.ObjectSchemaBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * A route's JSON body, checked against the route's JSON Schema as a handler of its own, before the
 * route's handler runs: a body that is missing, not a JSON object, over the route's size limit or
 * not what the schema says is refused with 400 (413 for the size), and the message says what to
 * send. The handler then reads the body with {@link #of}. The schema is also kept in the route's
 * metadata ({@value #SCHEMA_METADATA}), where the OpenAPI document of the API finds it.
 *
 * <pre>{@code
 * JsonBody.on(Access.ownData(router.post("/mailboxes")), NEW_MAILBOX).handler(this::create);
 * }</pre>
 */
public final class JsonBody {

  /** The route metadata key that holds the body's schema, as JSON. */
  public static final String SCHEMA_METADATA = "kith.bodySchema";

  private static final String BODY = "kith.jsonBody";
  private static final JsonSchemaOptions OPTIONS =
      new JsonSchemaOptions()
          .setDraft(Draft.DRAFT7)
          .setBaseUri("urn:kith:api")
          .setOutputFormat(OutputFormat.Basic);

  private JsonBody() {}

  /** Checks the body of {@code route} against {@code schema}, within the edge's body limit. */
  public static Route on(Route route, ObjectSchemaBuilder schema) {
    return on(route, schema, Long.MAX_VALUE);
  }

  /**
   * Checks the body of {@code route} against {@code schema}, and that it has at most {@code
   * maxBytes}.
   */
  public static Route on(Route route, ObjectSchemaBuilder schema, long maxBytes) {
    return on(route, schema, maxBytes, false);
  }

  /**
   * Like {@link #on(Route, ObjectSchemaBuilder, long)}, for a route whose body may be left out:
   * then {@link #of} gives an empty object, which the schema must allow.
   */
  public static Route optional(Route route, ObjectSchemaBuilder schema, long maxBytes) {
    return on(route, schema, maxBytes, true);
  }

  private static Route on(
      Route route, ObjectSchemaBuilder schema, long maxBytes, boolean optional) {
    JsonObject json = schema.toJson();
    Validator validator = Validator.create(JsonSchema.of(json), OPTIONS);
    return route
        .putMetadata(SCHEMA_METADATA, json)
        .handler(check(validator, json, maxBytes, optional));
  }

  /** The checked body of the request. */
  public static JsonObject of(RoutingContext ctx) {
    JsonObject body = ctx.get(BODY);
    if (body == null) {
      throw new IllegalStateException("the route has no JsonBody handler");
    }
    return body;
  }

  private static Handler<RoutingContext> check(
      Validator validator, JsonObject schema, long maxBytes, boolean optional) {
    String shape = shape(schema);
    return ctx -> {
      RequestBody body = ctx.body();
      if (body == null || body.length() <= 0) {
        if (optional) {
          ctx.put(BODY, new JsonObject());
          ctx.next();
        } else {
          ctx.fail(
              400, ServiceFailure.badRequest("the request needs a JSON object body: " + shape));
        }
        return;
      }
      if (body.length() > maxBytes) {
        ctx.fail(413, ServiceFailure.tooLarge("the body is larger than " + maxBytes + " bytes"));
        return;
      }
      JsonObject json;
      try {
        json = body.asJsonObject();
      } catch (DecodeException | ClassCastException e) {
        json = null;
      }
      if (json == null) {
        ctx.fail(400, ServiceFailure.badRequest("the body is not a JSON object; send " + shape));
        return;
      }
      OutputUnit result = validator.validate(json);
      if (!result.getValid()) {
        ctx.fail(400, ServiceFailure.badRequest(problems(result) + "; send " + shape));
        return;
      }
      ctx.put(BODY, json);
      ctx.next();
    };
  }

  /** What is wrong, field by field: {@code /name: ...}. */
  private static String problems(OutputUnit result) {
    List<String> problems = new ArrayList<>();
    List<OutputUnit> errors = result.getErrors() == null ? List.of(result) : result.getErrors();
    for (OutputUnit error : errors) {
      if (error.getError() == null) {
        continue;
      }
      String where = error.getInstanceLocation();
      problems.add(
          (where == null || where.isEmpty() || where.equals("#") ? "" : where + ": ")
              + error.getError());
      if (problems.size() == 3) {
        break;
      }
    }
    return problems.isEmpty() ? "the body does not fit the schema" : String.join("; ", problems);
  }

  /** {@code {"owner", "password"[, "cookie"]}}: the properties, optional ones in brackets. */
  private static String shape(JsonObject schema) {
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    List<Object> required =
        schema.getJsonArray("required", new io.vertx.core.json.JsonArray()).getList();
    StringBuilder out = new StringBuilder("{");
    for (String name : properties.fieldNames()) {
      boolean optional = !required.contains(name);
      if (out.length() > 1) {
        out.append(optional ? "[, " : ", ");
      } else if (optional) {
        out.append("[");
      }
      out.append('"').append(name).append('"');
      if (optional) {
        out.append(']');
      }
    }
    return out.append('}').toString();
  }
}
