package dev.kith.mesh.spi;

/**
 * A failure whose status the caller sees, with a message that is safe to show: a service instance
 * fails a request with one ({@code ServiceFailure.notFound("no message 42")}), the event bus
 * carries its status to the caller, and the edge answers with the same HTTP status and the message
 * in its JSON body. Statuses follow HTTP: 400, 401, 403, 404, 409, 413 and 429 for the caller's
 * mistakes, 503 while a service moves ({@link ServiceUnavailable}), 502 and 504 for a failing or
 * slow downstream.
 */
public class ServiceFailure extends RuntimeException {

  private final int status;

  public ServiceFailure(int status, String message) {
    super(message, null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("a failure status is 400-599: " + status);
    }
    this.status = status;
  }

  /** The HTTP status this failure answers with. */
  public int status() {
    return status;
  }

  /** 400: the request is not valid. */
  public static ServiceFailure badRequest(String message) {
    return new ServiceFailure(400, message);
  }

  /** 401: no valid credentials. */
  public static ServiceFailure unauthorized(String message) {
    return new ServiceFailure(401, message);
  }

  /** 403: credentials of someone who may not do this. */
  public static ServiceFailure forbidden(String message) {
    return new ServiceFailure(403, message);
  }

  /** 404: no such thing. */
  public static ServiceFailure notFound(String message) {
    return new ServiceFailure(404, message);
  }

  /** 409: it exists already, or changed meanwhile. */
  public static ServiceFailure conflict(String message) {
    return new ServiceFailure(409, message);
  }

  /** 413: larger than the limit. */
  public static ServiceFailure tooLarge(String message) {
    return new ServiceFailure(413, message);
  }

  /** 502: a service or server this one depends on failed. */
  public static ServiceFailure badGateway(String message) {
    return new ServiceFailure(502, message);
  }

  /** 504: a service or server this one depends on did not answer in time. */
  public static ServiceFailure timeout(String message) {
    return new ServiceFailure(504, message);
  }
}
