package dev.kith.mesh.spi.web;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Who may call a route. Every route of the edge declares it, with one of these calls right after
 * the route is made, before its handlers:
 *
 * <ul>
 *   <li>{@link #anyone}: no credentials needed ({@code /health}, login, published pages);
 *   <li>{@link #loggedIn}: any owner with a valid token, or the device's operator;
 *   <li>{@link #owner}: only the owner named in a path parameter ({@code /api/vault/{owner}/...});
 *       not even an administrator sees another owner's data;
 *   <li>{@link #ownData}: any logged-in owner, for their own data, which the route finds from the
 *       token ({@link #ownerOf}), never from the URL; the operator, who owns nothing, gets 403;
 *   <li>{@link #admin}: an administrator, or the device's operator.
 * </ul>
 *
 * <p>A declaration is kept in the route's metadata and adds a guard handler that answers 401 when
 * credentials are missing or not valid, 403 when they belong to someone else, and 503 with {@code
 * Retry-After} when they could not be checked yet (the accounts vault did not answer). The edge
 * walks its router, sub-routers included, before it listens ({@link #requireDeclared}) and refuses
 * to start if any route declares nothing, so a new route cannot be forgotten.
 *
 * <p>A request whose credentials came in the browser's session cookie, and whose method changes
 * state, must also come from the same origin ({@code Origin} matching {@code Host}); otherwise
 * another site could make the browser send it.
 */
public final class Access {

  /**
   * The browser session's cookie: its access token, as {@code Authorization: Bearer} carries it.
   */
  public static final String SESSION_COOKIE = "kith_session";

  /** The route metadata key that holds the declaration. */
  public static final String METADATA = "kith.access";

  private static final String PRINCIPAL = "kith.principal";
  private static final String AUTH_PROBLEM = "kith.authProblem";
  private static final String AUTH_UNAVAILABLE = "kith.authUnavailable";
  private static final String INFRASTRUCTURE = "infrastructure";

  private static final java.util.regex.Pattern OWNER_NAME =
      java.util.regex.Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private static final Set<HttpMethod> SAFE =
      Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private Access() {}

  /** Anyone may call the route. */
  public static Route anyone(Route route) {
    return route.putMetadata(METADATA, "anyone");
  }

  /** Any logged-in owner, or the operator, may call the route. */
  public static Route loggedIn(Route route) {
    return route.putMetadata(METADATA, "logged-in").handler(new Guard(p -> null));
  }

  /** Only the owner named by the path parameter {@code param} may call the route. */
  public static Route owner(Route route, String param) {
    return route
        .putMetadata(METADATA, "owner:" + param)
        .handler(
            new Guard(
                (ctx, p) -> {
                  String owner = ctx.pathParam(param);
                  if (owner == null || !OWNER_NAME.matcher(owner).matches()) {
                    throw new IllegalArgumentException(
                        "'"
                            + (owner == null || owner.length() > 80 ? "?" : owner)
                            + "' is not an owner name");
                  }
                  return p.owner() != null && p.owner().equals(owner)
                      ? null
                      : "only the owner " + owner + " may do this";
                }));
  }

  /**
   * Any logged-in owner may call the route, for their own data: the route reads the owner from the
   * token with {@link #ownerOf}. The operator owns no data, so gets 403.
   */
  public static Route ownData(Route route) {
    return route
        .putMetadata(METADATA, "own-data")
        .handler(
            new Guard(
                p ->
                    p.isOperator()
                        ? "this belongs to an owner: log in as one (POST /api/auth/login)"
                        : null));
  }

  /** The owner a request of an {@link #ownData} route is for: the caller. */
  public static String ownerOf(RoutingContext ctx) {
    Principal p = principal(ctx);
    return p == null ? null : p.owner();
  }

  /** Only an administrator, or the operator, may call the route. */
  public static Route admin(Route route) {
    return route
        .putMetadata(METADATA, "admin")
        .handler(new Guard(p -> p.admin() ? null : "only an administrator may do this"));
  }

  /**
   * A handler that runs for every request before the routes (the edge's own plumbing); it is not a
   * route of its own, so it declares no caller.
   */
  public static Route infrastructure(Route route) {
    return route.putMetadata(METADATA, INFRASTRUCTURE);
  }

  /** Records who the request's valid credentials belong to (the edge's authentication). */
  public static void authenticated(RoutingContext ctx, Principal principal) {
    ctx.put(PRINCIPAL, principal);
  }

  /** Records why the request's credentials are not valid, for the 401 of a guarded route. */
  public static void refused(RoutingContext ctx, String problem) {
    ctx.put(AUTH_PROBLEM, problem);
  }

  /**
   * Records that the credentials could not be checked yet (the accounts vault did not answer): a
   * guarded route answers 503 with {@code Retry-After}, not a verdict on the token.
   */
  public static void uncheckable(RoutingContext ctx, Throwable cause) {
    ctx.put(AUTH_UNAVAILABLE, cause);
  }

  /** The caller, or {@code null} when the request carried no valid credentials. */
  public static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /**
   * Checks that every route of {@code router}, and of its sub-routers, declares who may call it.
   *
   * @throws IllegalStateException naming the first route that declares nothing
   */
  public static void requireDeclared(Router router, String mountedAt) {
    for (JsonObject route : describe(router, mountedAt)) {
      if (route.getString("access") == null) {
        throw new IllegalStateException(
            "the route "
                + route.getString("method")
                + " "
                + route.getString("path")
                + " declares no access (Access.anyone, loggedIn, owner or admin); the device"
                + " refuses to start");
      }
    }
  }

  /**
   * Every route as {@code {"method","path","access"}}, sub-routers expanded, with {@code "body"},
   * the JSON Schema of its body, when it checks one ({@link JsonBody}).
   */
  public static List<JsonObject> describe(Router router, String mountedAt) {
    List<JsonObject> out = new ArrayList<>();
    for (Route route : router.getRoutes()) {
      String path = route.getPath() == null ? "" : route.getPath();
      if (route.getSubRouter() != null) {
        String prefix =
            mountedAt + (path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
        out.addAll(describe(route.getSubRouter(), prefix));
        continue;
      }
      String access = route.getMetadata(METADATA);
      if (INFRASTRUCTURE.equals(access)) {
        continue;
      }
      // A route made from a regular expression has no path to show: its mount point, marked.
      String shown =
          route.getPath() == null && route.isRegexPath() ? mountedAt + "(regex)" : mountedAt + path;
      List<String> methods =
          route.methods() == null || route.methods().isEmpty()
              ? List.of("*")
              : route.methods().stream().map(HttpMethod::name).sorted().toList();
      JsonObject body = route.getMetadata(JsonBody.SCHEMA_METADATA);
      for (String method : methods) {
        JsonObject described =
            new JsonObject().put("method", method).put("path", shown).put("access", access);
        if (body != null) {
          described.put("body", body);
        }
        out.add(described);
      }
    }
    return out;
  }

  private interface Rule {
    /** Why the caller may not, or {@code null} if it may. */
    String refusal(RoutingContext ctx, Principal principal);
  }

  /**
   * The check a declaration adds. It is a security-policy handler so that Vert.x Web runs it before
   * a route's body handler: a caller who may not upload is refused before the upload is read.
   */
  private static final class Guard implements SecurityPolicyHandler {
    private final Rule rule;

    Guard(Rule rule) {
      this.rule = rule;
    }

    Guard(java.util.function.Function<Principal, String> rule) {
      this((ctx, p) -> rule.apply(p));
    }

    @Override
    public void handle(RoutingContext ctx) {
      guard(ctx, rule);
    }
  }

  private static void guard(RoutingContext ctx, Rule rule) {
    Principal p = principal(ctx);
    if (p == null && ctx.get(AUTH_UNAVAILABLE) != null) {
      // The credentials could not be checked yet (the accounts vault did not answer): retry.
      ctx.fail(503, ctx.<Throwable>get(AUTH_UNAVAILABLE));
      return;
    }
    if (p == null) {
      String problem = ctx.get(AUTH_PROBLEM);
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"kith\"");
      ctx.fail(
          401,
          new Unauthorized(
              problem != null
                  ? problem
                  : "log in first: POST /api/auth/login, then send Authorization: Bearer <token>"));
      return;
    }
    if (p.viaCookie() && !SAFE.contains(ctx.request().method()) && !sameOrigin(ctx)) {
      ctx.fail(403, new Forbidden("a cookie session may change things only from its own origin"));
      return;
    }
    String refusal;
    try {
      refusal = rule.refusal(ctx, p);
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    if (refusal != null) {
      ctx.fail(403, new Forbidden(refusal));
      return;
    }
    ctx.next();
  }

  private static boolean sameOrigin(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    String host = ctx.request().getHeader("Host");
    if (origin == null || host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    return scheme > 0 && origin.substring(scheme + 3).equalsIgnoreCase(host);
  }

  /** No valid credentials; the message is safe to show. */
  public static final class Unauthorized extends RuntimeException {
    public Unauthorized(String message) {
      super(message, null, false, false);
    }
  }

  /** Credentials of someone else; the message is safe to show. */
  public static final class Forbidden extends RuntimeException {
    public Forbidden(String message) {
      super(message, null, false, false);
    }
  }
}
