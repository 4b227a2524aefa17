package dev.kith.mesh.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * Decides whether container tests run. Where there is no Docker engine they are skipped, so that a
 * laptop without Docker can still build; where {@code KITH_REQUIRE_DOCKER=true} (as in CI) a
 * missing engine fails the test instead, so that container tests can never silently not run.
 */
public final class Docker {

  /** The environment variable that turns a skip into a failure. */
  public static final String REQUIRE_DOCKER = "KITH_REQUIRE_DOCKER";

  private Docker() {}

  /** Whether {@code KITH_REQUIRE_DOCKER=true}. */
  public static boolean required() {
    return "true".equalsIgnoreCase(System.getenv(REQUIRE_DOCKER));
  }

  /** Whether Testcontainers can reach a Docker engine. */
  public static boolean available() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /**
   * Returns if Docker is available; otherwise skips the calling test, or fails it when {@code
   * KITH_REQUIRE_DOCKER=true}.
   */
  public static void assumeDockerOrFail() {
    assumeOrFail(available(), required());
  }

  static void assumeOrFail(boolean available, boolean required) {
    if (available) {
      return;
    }
    if (required) {
      Assertions.fail(
          "No Docker engine is reachable, and "
              + REQUIRE_DOCKER
              + "=true requires the container tests to run. Start dockerd (or set DOCKER_HOST)"
              + " and check that `docker info` works.");
    }
    Assumptions.abort(
        "No Docker engine is reachable: container test skipped. Set "
            + REQUIRE_DOCKER
            + "=true to make this a failure.");
  }
}
