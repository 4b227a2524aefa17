package dev.kith.mesh.auth;

import static io.vertx.json.schema.common.dsl.Keywords.maxLength;
import static io.vertx.json.schema.common.dsl.Schemas.booleanSchema;
import static io.vertx.json.schema.common.dsl.Schemas.objectSchema;
import static io.vertx.json.schema.common.dsl.Schemas.stringSchema;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.web.Access;
import dev.kith.mesh.spi.web.JsonBody;
import dev.kith.mesh.spi.web.Principal;
import dev.kith.mesh.spi.web.Replies;
import dev.kith.mesh.spi.web.RouteModule;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.common.dsl.ObjectSchemaBuilder;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounts API under {@code /api/auth/}. Any device answers it for the whole mesh.
 *
 * <pre>
 * POST   /api/auth/login                  anyone     {"owner","password"[,"cookie":true]}
 * POST   /api/auth/refresh                anyone     {"refreshToken"} (or the refresh cookie)
 * POST   /api/auth/setup                  anyone     {"owner","setupToken","password"}
 * POST   /api/auth/logout                 logged in  ends the caller's session
 * GET    /api/auth/me                     logged in  {"owner","admin"}
 * PUT    /api/auth/owners/{owner}/password the owner {"currentPassword","newPassword"}
 * GET    /api/auth/owners                 admin      [{"owner","admin"}]
 * POST   /api/auth/owners                 admin      {"owner"[,"password"][,"admin":true]}
 * DELETE /api/auth/owners/{owner}         admin      removes the account, ends its sessions
 * </pre>
 *
 * <p>Logins, password changes and setups are limited per caller address and per account ({@link
 * LoginLimiter}, through the {@link PasswordCheck} that SMTP AUTH shares): past the limit they
 * answer 429 with {@code Retry-After}, before any password is checked.
 */
public final class AuthRoutes implements RouteModule {

  private static final Logger log = LoggerFactory.getLogger(AuthRoutes.class);

  /** The largest body an accounts call reads. */
  static final int MAX_BODY_BYTES = 8 * 1024;

  public static final String SESSION_COOKIE = Access.SESSION_COOKIE;
  public static final String REFRESH_COOKIE = "kith_refresh";

  private static final ObjectSchemaBuilder LOGIN =
      objectSchema()
          .requiredProperty("owner", stringSchema().with(maxLength(63)))
          .requiredProperty("password", stringSchema().with(maxLength(Passwords.MAX_CHARS)))
          .optionalProperty("cookie", booleanSchema());
  private static final ObjectSchemaBuilder REFRESH =
      objectSchema().optionalProperty("refreshToken", stringSchema().with(maxLength(4096)));
  private static final ObjectSchemaBuilder SETUP =
      objectSchema()
          .requiredProperty("owner", stringSchema().with(maxLength(63)))
          .requiredProperty("setupToken", stringSchema().with(maxLength(200)))
          .requiredProperty("password", stringSchema().with(maxLength(Passwords.MAX_CHARS)))
          .optionalProperty("cookie", booleanSchema());
  private static final ObjectSchemaBuilder NEW_PASSWORD =
      objectSchema()
          .requiredProperty("currentPassword", stringSchema().with(maxLength(Passwords.MAX_CHARS)))
          .requiredProperty("newPassword", stringSchema().with(maxLength(Passwords.MAX_CHARS)));
  private static final ObjectSchemaBuilder NEW_OWNER =
      objectSchema()
          .requiredProperty("owner", stringSchema().with(maxLength(63)))
          .optionalProperty("password", stringSchema().with(maxLength(Passwords.MAX_CHARS)))
          .optionalProperty("admin", booleanSchema());

  private final AuthService auth;
  private final String device;

  public AuthRoutes(AuthService auth, String device) {
    this.auth = auth;
    this.device = device;
  }

  @Override
  public void mount(Router router) {
    JsonBody.on(Access.anyone(router.post("/api/auth/login")), LOGIN, MAX_BODY_BYTES)
        .handler(this::login);
    JsonBody.optional(Access.anyone(router.post("/api/auth/refresh")), REFRESH, MAX_BODY_BYTES)
        .handler(this::refresh);
    JsonBody.on(Access.anyone(router.post("/api/auth/setup")), SETUP, MAX_BODY_BYTES)
        .handler(this::setup);
    Access.loggedIn(router.post("/api/auth/logout")).handler(this::logout);
    Access.loggedIn(router.get("/api/auth/me")).handler(this::me);
    JsonBody.on(
            Access.owner(router.put("/api/auth/owners/:owner/password"), "owner"),
            NEW_PASSWORD,
            MAX_BODY_BYTES)
        .handler(this::changePassword);
    Access.admin(router.get("/api/auth/owners")).handler(this::listOwners);
    JsonBody.on(Access.admin(router.post("/api/auth/owners")), NEW_OWNER, MAX_BODY_BYTES)
        .handler(this::addOwner);
    Access.admin(router.delete("/api/auth/owners/:owner")).handler(this::removeOwner);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String owner = body.getString("owner");
    String password = body.getString("password");
    String address = ctx.request().remoteAddress().hostAddress();
    checked(ctx, address, owner, password, "wrong owner or password", ServiceFailure::unauthorized)
        .compose(account -> auth.openSession(owner, account.getBoolean("admin", false)))
        .onSuccess(
            tokens -> {
              log.info("{}: {} logged in from {}", device, owner, address);
              answerTokens(ctx, tokens, body.getBoolean("cookie", false));
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  /** The body is optional here: the refresh cookie may carry the token instead. */
  private void refresh(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Cookie cookie = ctx.request().getCookie(REFRESH_COOKIE);
    String token =
        body.getValue("refreshToken") instanceof String s
            ? s
            : cookie == null ? null : cookie.getValue();
    auth.refresh(token)
        .onSuccess(tokens -> answerTokens(ctx, tokens, cookie != null))
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void setup(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String owner = body.getString("owner");
    String token = body.getString("setupToken");
    String password = body.getString("password");
    try {
      Passwords.requireAcceptable(password);
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    String address = ctx.request().remoteAddress().hostAddress();
    limited(ctx, address, owner, () -> auth.accounts().owner(owner))
        .compose(
            account -> {
              boolean valid =
                  account != null
                      && account.getString("setupHash") != null
                      && account.getLong("setupExpiresAt", 0L) > System.currentTimeMillis()
                      && AuthService.constantTimeEquals(
                          AuthService.sha256(token), account.getString("setupHash"));
              if (!valid) {
                return auth.limiter()
                    .failed(address, owner)
                    .compose(
                        b ->
                            Future.<JsonObject>failedFuture(
                                ServiceFailure.unauthorized(
                                    "no such setup token for " + owner + ", or it has expired")));
              }
              return auth.passwords()
                  .credentials(password)
                  .compose(
                      credentials -> {
                        account.remove("setupHash");
                        account.remove("setupExpiresAt");
                        account
                            .mergeIn(credentials)
                            .put("passwordSetAt", System.currentTimeMillis());
                        return auth.accounts().putOwner(owner, account);
                      })
                  .compose(saved -> auth.openSession(owner, account.getBoolean("admin", false)));
            })
        .onSuccess(
            tokens -> {
              log.info("{}: {} set a password with a setup token", device, owner);
              answerTokens(ctx, tokens, body.getBoolean("cookie", false));
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void logout(RoutingContext ctx) {
    Principal p = Access.principal(ctx);
    clearCookies(ctx);
    if (p.isOperator()) {
      Replies.json(ctx, 200, new JsonObject().put("loggedOut", false));
      return;
    }
    auth.endSession(p.owner(), p.sessionId())
        .onSuccess(
            done -> {
              log.info("{}: {} logged out", device, p.owner());
              Replies.json(ctx, 200, new JsonObject().put("loggedOut", true));
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void me(RoutingContext ctx) {
    Principal p = Access.principal(ctx);
    Replies.json(
        ctx,
        200,
        new JsonObject()
            .put("owner", p.owner())
            .put("admin", p.admin())
            .put("operator", p.isOperator()));
  }

  private void changePassword(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String owner = ctx.pathParam("owner");
    String current = body.getString("currentPassword");
    String next = body.getString("newPassword");
    try {
      Passwords.requireAcceptable(next);
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    Principal p = Access.principal(ctx);
    String address = ctx.request().remoteAddress().hostAddress();
    checked(
            ctx,
            address,
            owner,
            current,
            "the current password is wrong",
            ServiceFailure::forbidden)
        .compose(
            account ->
                auth.passwords()
                    .credentials(next)
                    .compose(
                        credentials ->
                            auth.accounts()
                                .putOwner(
                                    owner,
                                    account
                                        .mergeIn(credentials)
                                        .put("passwordSetAt", System.currentTimeMillis())))
                    .compose(saved -> auth.endOtherSessions(owner, p.sessionId())))
        .onSuccess(
            ended -> {
              log.info(
                  "{}: {} changed their password; {} other session(s) ended", device, owner, ended);
              Replies.json(
                  ctx, 200, new JsonObject().put("owner", owner).put("sessionsEnded", ended));
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void listOwners(RoutingContext ctx) {
    auth.accounts()
        .owners()
        .onSuccess(
            owners -> {
              JsonArray out = new JsonArray();
              owners.forEach(
                  o ->
                      out.add(
                          new JsonObject()
                              .put("owner", o.getString("owner"))
                              .put("admin", o.getBoolean("admin", false))
                              .put("pendingSetup", o.getString("setupHash") != null)));
              Replies.json(ctx, 200, out);
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void addOwner(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String owner;
    String password = body.getString("password");
    try {
      owner = Accounts.requireOwnerName(body.getString("owner"));
      if (password != null) {
        Passwords.requireAcceptable(password);
      }
    } catch (IllegalArgumentException e) {
      ctx.fail(400, e);
      return;
    }
    boolean admin = body.getBoolean("admin", false);
    String setupToken =
        password != null
            ? null
            : Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(dev.kith.mesh.trust.MeshTrust.randomBytes(24));
    auth.accounts()
        .owner(owner)
        .compose(
            existing -> {
              if (existing != null) {
                return Future.failedFuture(
                    ServiceFailure.conflict("the owner " + owner + " exists already"));
              }
              JsonObject account =
                  new JsonObject()
                      .put("owner", owner)
                      .put("admin", admin)
                      .put("createdAt", System.currentTimeMillis());
              if (password == null) {
                account
                    .put("setupHash", AuthService.sha256(setupToken))
                    .put("setupExpiresAt", System.currentTimeMillis() + AuthService.SETUP_MILLIS);
                return auth.accounts().putOwner(owner, account);
              }
              return auth.passwords()
                  .credentials(password)
                  .compose(
                      credentials -> auth.accounts().putOwner(owner, account.mergeIn(credentials)));
            })
        .onSuccess(
            added -> {
              log.info(
                  "{}: {} added owner {}{}",
                  device,
                  Access.principal(ctx).describe(),
                  owner,
                  admin ? " (admin)" : "");
              JsonObject answer = new JsonObject().put("owner", owner).put("admin", admin);
              if (setupToken != null) {
                answer.put("setupToken", setupToken);
              }
              Replies.json(ctx, 201, answer);
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  private void removeOwner(RoutingContext ctx) {
    String owner = ctx.pathParam("owner");
    auth.accounts()
        .owner(owner)
        .compose(
            existing ->
                existing == null
                    ? Future.failedFuture(ServiceFailure.notFound("no owner named " + owner))
                    : auth.endOtherSessions(owner, null)
                        .compose(ended -> auth.accounts().deleteOwner(owner)))
        .onSuccess(
            removed -> {
              log.info("{}: {} removed owner {}", device, Access.principal(ctx).describe(), owner);
              Replies.json(ctx, 200, new JsonObject().put("owner", owner).put("removed", true));
            })
        .onFailure(e -> Replies.fail(ctx, e));
  }

  /**
   * Checks a password through the shared {@link PasswordCheck}: the account when it is right; a
   * failure made by {@code refusal} when it is wrong; 429 (with {@code Retry-After}) when the
   * address or the account is locked out, whichever protocol the failures came over.
   */
  private Future<JsonObject> checked(
      RoutingContext ctx,
      String address,
      String owner,
      String password,
      String wrong,
      java.util.function.Function<String, ServiceFailure> refusal) {
    return auth.passwordCheck()
        .check("HTTP", address, owner, password)
        .compose(
            verdict ->
                switch (verdict.outcome()) {
                  case ACCEPTED -> Future.succeededFuture(verdict.account());
                  case REFUSED -> Future.failedFuture(refusal.apply(wrong));
                  case LOCKED_OUT ->
                      Future.failedFuture(lockedOut(ctx, verdict.retryAfterSeconds()));
                });
  }

  private static ServiceFailure lockedOut(RoutingContext ctx, long seconds) {
    ctx.response().putHeader("Retry-After", Long.toString(seconds));
    return new ServiceFailure(
        429,
        "too many failed attempts for this account or from this address; retry in "
            + seconds
            + " s");
  }

  /** Runs {@code attempt} unless the address or the account is locked out (then 429). */
  private <T> Future<T> limited(
      RoutingContext ctx,
      String address,
      String owner,
      java.util.function.Supplier<Future<T>> attempt) {
    return auth.limiter()
        .blockedFor(address, owner)
        .compose(
            blockedMillis -> {
              if (blockedMillis > 0) {
                return Future.failedFuture(
                    lockedOut(ctx, Math.max(1, (blockedMillis + 999) / 1000)));
              }
              return attempt.get();
            });
  }

  private void answerTokens(RoutingContext ctx, JsonObject tokens, boolean cookie) {
    if (cookie) {
      boolean secure = ctx.request().isSSL();
      ctx.response()
          .addCookie(
              Cookie.cookie(SESSION_COOKIE, tokens.getString("token"))
                  .setPath("/")
                  .setHttpOnly(true)
                  .setSecure(secure)
                  .setSameSite(CookieSameSite.STRICT)
                  .setMaxAge(tokens.getLong("expiresIn")))
          .addCookie(
              Cookie.cookie(REFRESH_COOKIE, tokens.getString("refreshToken"))
                  .setPath("/api/auth")
                  .setHttpOnly(true)
                  .setSecure(secure)
                  .setSameSite(CookieSameSite.STRICT)
                  .setMaxAge(AuthService.SESSION_MILLIS / 1000));
    }
    ctx.response().putHeader("Cache-Control", "no-store");
    Replies.json(ctx, 200, tokens);
  }

  private static void clearCookies(RoutingContext ctx) {
    if (ctx.request().getCookie(SESSION_COOKIE) != null) {
      ctx.response().addCookie(Cookie.cookie(SESSION_COOKIE, "").setPath("/").setMaxAge(0));
    }
    if (ctx.request().getCookie(REFRESH_COOKIE) != null) {
      ctx.response().addCookie(Cookie.cookie(REFRESH_COOKIE, "").setPath("/api/auth").setMaxAge(0));
    }
  }
}
