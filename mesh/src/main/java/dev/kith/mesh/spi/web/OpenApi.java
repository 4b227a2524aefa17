package dev.kith.mesh.spi.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.1 document of a router's routes, made from the routes themselves: each path and
 * method, its path parameters, who may call it ({@link Access}: a bearer token for all but {@code
 * anyone}), the JSON Schema of its body ({@link JsonBody}), and the error body every failure has.
 * Made from the same declarations that guard and check requests, it cannot drift from them; the
 * edge serves it at {@code /api/openapi.json}.
 */
public final class OpenApi {

  private static final Pattern PARAMETER = Pattern.compile(":([A-Za-z][A-Za-z0-9_]*)");

  private OpenApi() {}

  /** The document of every route of {@code router}, sub-routers included. */
  public static JsonObject document(Router router, String title, String version) {
    JsonObject paths = new JsonObject();
    for (JsonObject route : Access.describe(router, "")) {
      String method = route.getString("method");
      String path = route.getString("path");
      if (method.equals("*") || path.endsWith("(regex)") || path.endsWith("*")) {
        continue; // mounts and catch-alls, not operations
      }
      JsonObject item = paths.getJsonObject(openApiPath(path));
      if (item == null) {
        item = new JsonObject();
        paths.put(openApiPath(path), item);
      }
      item.put(method.toLowerCase(Locale.ROOT), operation(route));
    }
    return new JsonObject()
        .put("openapi", "3.1.0")
        .put(
            "info",
            new JsonObject()
                .put("title", title)
                .put("version", version)
                .put("description", "Every device answers every route; see docs/http-api.md."))
        .put("paths", paths)
        .put(
            "components",
            new JsonObject()
                .put(
                    "securitySchemes",
                    new JsonObject()
                        .put(
                            "bearer", new JsonObject().put("type", "http").put("scheme", "bearer")))
                .put("schemas", new JsonObject().put("Error", errorSchema())));
  }

  private static JsonObject operation(JsonObject route) {
    String access = route.getString("access");
    JsonObject op =
        new JsonObject()
            .put("x-kith-access", access)
            .put("parameters", parameters(route.getString("path")))
            .put(
                "responses",
                new JsonObject()
                    .put("2XX", new JsonObject().put("description", "success"))
                    .put(
                        "default",
                        new JsonObject()
                            .put("description", "an error: 4xx for the caller, 5xx for the mesh")
                            .put("content", json(ref("Error")))));
    if (!"anyone".equals(access)) {
      op.put("security", new JsonArray().add(new JsonObject().put("bearer", new JsonArray())));
    }
    JsonObject body = route.getJsonObject("body");
    if (body != null) {
      op.put("requestBody", new JsonObject().put("required", true).put("content", json(body)));
    }
    return op;
  }

  private static JsonArray parameters(String path) {
    JsonArray out = new JsonArray();
    Matcher m = PARAMETER.matcher(path);
    while (m.find()) {
      out.add(
          new JsonObject()
              .put("name", m.group(1))
              .put("in", "path")
              .put("required", true)
              .put("schema", new JsonObject().put("type", "string")));
    }
    return out;
  }

  /** {@code /api/vault/:owner/records/:key} as {@code /api/vault/{owner}/records/{key}}. */
  static String openApiPath(String path) {
    return PARAMETER.matcher(path).replaceAll("{$1}");
  }

  private static JsonObject json(JsonObject schema) {
    return new JsonObject().put("application/json", new JsonObject().put("schema", schema));
  }

  private static JsonObject ref(String name) {
    return new JsonObject().put("$ref", "#/components/schemas/" + name);
  }

  private static JsonObject errorSchema() {
    return new JsonObject()
        .put("type", "object")
        .put("required", new JsonArray(List.of("error", "message")))
        .put(
            "properties",
            new JsonObject()
                .put("error", new JsonObject().put("type", "string"))
                .put("message", new JsonObject().put("type", "string")));
  }
}
