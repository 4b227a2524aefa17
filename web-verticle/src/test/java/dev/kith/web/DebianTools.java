package dev.kith.web;

import dev.kith.mesh.testing.DebianPackages;
import java.nio.file.Path;

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
    DebianPackages.require(file, debianPackage);
  }
}
