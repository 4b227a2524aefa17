package dev.kith.mesh.spi.web;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * How a route answers: {@link #json} for a success, {@link #fail} for any failure, which picks the
 * status the failure calls for and leaves the body to the edge's one {@link ErrorWriter}. A route
 * that waits on a future answers with {@link #answer}.
 */
public final class Replies {

  private Replies() {}

  /** Writes a JSON object or array with a status. */
  public static void json(RoutingContext ctx, int status, Object body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(
            body instanceof JsonObject o
                ? o.encode()
                : body instanceof JsonArray a ? a.encode() : String.valueOf(body));
  }

  /**
   * Answers with {@code status} and the result as JSON, or fails with what the failure calls for.
   */
  public static void answer(RoutingContext ctx, int status, Future<?> result) {
    result.onSuccess(body -> json(ctx, status, body)).onFailure(e -> fail(ctx, e));
  }

  /** Fails the request with the status {@code e} calls for ({@link #statusOf}). */
  public static void fail(RoutingContext ctx, Throwable e) {
    int status = statusOf(e);
    if (e instanceof ReplyException r && r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      // The status and message the instance failed with, as if it had answered the request.
      ctx.fail(status, new ServiceFailure(status, String.valueOf(r.getMessage())));
      return;
    }
    ctx.fail(status, e);
  }

  /**
   * The HTTP status of a failure: a {@link ServiceFailure}'s own (503 for a service that is
   * moving); the status an instance failed its request with; 503 for an instance that did not
   * answer; 400 for a bad argument or undecodable JSON; 404 and 409 for the vault's {@link
   * Vault.NotFound} and {@link Vault.Conflict}; 500 for anything else, which is a bug.
   */
  public static int statusOf(Throwable e) {
    if (e instanceof ServiceFailure f) {
      return f.status();
    }
    if (e instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && r.failureCode() >= 400
          && r.failureCode() < 600) {
        return r.failureCode();
      }
      return r.failureType() == ReplyFailure.RECIPIENT_FAILURE ? 500 : 503;
    }
    if (e instanceof IllegalArgumentException || e instanceof DecodeException) {
      return 400;
    }
    if (e instanceof Vault.NotFound) {
      return 404;
    }
    if (e instanceof Vault.Conflict) {
      return 409;
    }
    return 500;
  }
}
