package dev.kith.mesh.spi.web;

import dev.kith.mesh.spi.ServiceUnavailable;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every error response of the edge, whoever raised it, as {@code {"error": ..., "message":
 * ...}} with the status: 400, 401, 403, 404, 409, 413 and 429 for the caller's mistakes (the
 * failure's message, which is safe to show); 503 with {@code Retry-After} while a service moves
 * (expected, logged as a warning); 502 or 504 for a failing or slow downstream; 500 for the
 * device's own failure, whose cause is logged and never shown.
 */
public final class ErrorWriter {

  private static final Logger log = LoggerFactory.getLogger(ErrorWriter.class);

  private final String device;
  private final long maxBodyBytes;

  /**
   * @param device this device's name, for the 500 message
   * @param maxBodyBytes the edge's body limit, for the 413 message
   */
  public ErrorWriter(String device, long maxBodyBytes) {
    this.device = device;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Makes this the error handler of every 4xx and 5xx status of {@code router}. */
  public void register(Router router) {
    for (int status = 400; status < 600; status++) {
      router.errorHandler(status, this::write);
    }
  }

  /** Writes the error of a failed request. */
  public void write(RoutingContext ctx) {
    int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
    Throwable failure = ctx.failure();
    if (failure instanceof DecodeException) {
      status = 400;
    } else if (failure instanceof ServiceUnavailable) {
      status = 503;
    }
    String message = message(ctx, status, failure);
    if (status == 503) {
      // Expected while a service moves; the caller is told to retry.
      log.warn("{} {} answered 503: {}", ctx.request().method(), ctx.request().path(), message);
      ctx.response().putHeader("Retry-After", "1");
    } else if (status >= 500) {
      log.error(
          "{} {} failed with {}: {}",
          ctx.request().method(),
          ctx.request().path(),
          status,
          failure == null ? message : failure.toString(),
          failure);
    }
    if (ctx.response().ended()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    Replies.json(
        ctx, status, new JsonObject().put("error", errorName(status)).put("message", message));
  }

  private String message(RoutingContext ctx, int status, Throwable failure) {
    String given = failure != null && failure.getMessage() != null ? failure.getMessage() : null;
    return switch (status) {
      case 404 ->
          given != null
              ? given
              : "no such endpoint: " + ctx.request().method() + " " + ctx.request().path();
      case 405 -> "method " + ctx.request().method() + " is not allowed here";
      case 416 -> given != null ? given : "the requested range cannot be served";
      case 413 -> given != null ? given : "request body is larger than " + maxBodyBytes + " bytes";
      case 500 ->
          // The cause is logged; its text may hold internals, so the caller gets advice.
          "the device "
              + device
              + " failed to handle the request; its log has the cause. Retry, or report it.";
      default -> given != null ? given : defaultMessage(status);
    };
  }

  /**
   * Answers a request that never reached the router: a request line or headers over the limits, or
   * bytes that are not HTTP. Vert.x would answer these with an empty body (or none); they get the
   * same JSON as every other error, and the connection is closed because its state is unknown.
   *
   * @param maxLineBytes the longest request line the server reads
   * @param maxHeaderBytes the most header bytes the server reads
   */
  public static void invalidRequest(
      HttpServerRequest request, int maxLineBytes, int maxHeaderBytes) {
    Throwable cause = request.decoderResult().cause();
    String problem = cause == null ? "" : String.valueOf(cause.getMessage());
    int status;
    String message;
    if (problem.startsWith("An HTTP line is larger than")) {
      status = 414;
      message = "request line is longer than " + maxLineBytes + " bytes";
    } else if (problem.startsWith("HTTP header is larger than")) {
      status = 431;
      message = "request headers are larger than " + maxHeaderBytes + " bytes";
    } else {
      status = 400;
      message = "the request is not valid HTTP";
    }
    log.debug("invalid request from {}: {}", request.remoteAddress(), problem);
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(new JsonObject().put("error", errorName(status)).put("message", message).encode())
        .onComplete(sent -> request.connection().close());
  }

  /** The short name of a status in the {@code error} field. */
  public static String errorName(int status) {
    return switch (status) {
      case 400 -> "bad-request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not-found";
      case 405 -> "method-not-allowed";
      case 409 -> "conflict";
      case 412 -> "precondition-failed";
      case 413 -> "too-large";
      case 414 -> "uri-too-long";
      case 415 -> "unsupported-media-type";
      case 416 -> "range-not-satisfiable";
      case 431 -> "headers-too-large";
      case 429 -> "too-many-requests";
      case 502 -> "bad-gateway";
      case 503 -> "unavailable";
      case 504 -> "timeout";
      default -> status < 500 ? "client-error" : "internal-error";
    };
  }

  private static String defaultMessage(int status) {
    return status < 500 ? "the request was not valid" : "the device failed to handle the request";
  }
}
