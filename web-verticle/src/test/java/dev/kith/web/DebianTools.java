package dev.kith.web;

import java.nio.file.Path;

/**
 * Where the Debian packages some web tests use (Chromium, chromedriver, a font, wrk) put their
 * files; {@link dev.kith.mesh.testing.DebianPackages#require} skips or fails a test without them.
 */
final class DebianTools {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path FONT = Path.of("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
  static final Path WRK = Path.of("/usr/bin/wrk");

  private DebianTools() {}
}
