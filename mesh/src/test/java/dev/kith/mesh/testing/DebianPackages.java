package dev.kith.mesh.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The Debian packages that tests use as real clients and reference servers: a test without one is
 * skipped on a developer's machine and fails where {@code CI=true}, since {@code .ci/run} installs
 * them.
 */
public final class DebianPackages {

  private DebianPackages() {}

  /** Skips (or, in CI, fails) the test unless {@code file} is there, naming its package. */
  public static void require(Path file, String debianPackage) {
    if (Files.exists(file)) {
      return;
    }
    String problem = file + " is missing (Debian's " + debianPackage + ")";
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(problem + "; .ci/run installs it");
    }
    Assumptions.abort(problem);
  }
}
