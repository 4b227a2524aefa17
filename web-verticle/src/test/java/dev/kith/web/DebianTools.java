package dev.kith.web;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The Debian packages some web tests use (Chromium, chromedriver, a font, wrk): a test without them
 * is skipped on a developer's machine and fails where {@code CI=true}, since {@code .ci/run}
 * installs them.
 */
final class DebianTools {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path FONT = Path.of("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
  static final Path WRK = Path.of("/usr/bin/wrk");

  private DebianTools() {}

  /** Skips (or, in CI, fails) the test unless {@code file} is there, naming its package. */
  static void require(Path file, String debianPackage) {
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
