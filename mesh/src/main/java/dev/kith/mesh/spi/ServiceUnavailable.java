package dev.kith.mesh.spi;

/**
 * No instance of a service answered: it is moving, or none of the devices it may run on is up. The
 * edge answers 503 with {@code Retry-After}, never a hang and never a wrong answer.
 */
public final class ServiceUnavailable extends ServiceFailure {

  public ServiceUnavailable(String message) {
    super(503, message);
  }
}
