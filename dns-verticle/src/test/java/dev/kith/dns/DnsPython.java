package dev.kith.dns;

import dev.kith.mesh.testing.DebianPackages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A script with Debian's dnspython (the system python), against a device's DNS port. */
final class DnsPython {

  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path DNSPYTHON = Path.of("/usr/lib/python3/dist-packages/dns/query.py");

  private DnsPython() {}

  /**
   * Runs {@code body} after {@code import dns.message, dns.query, dns.flags, dns.rcode} with {@code
   * port} defined; returns what it printed, and fails the test if it failed.
   */
  static String run(int port, String body) {
    DebianPackages.require(DNSPYTHON, "python3-dnspython");
    String script =
        "import dns.message, dns.query, dns.flags, dns.rcode\nport = " + port + "\n" + body;
    try {
      Process p =
          new ProcessBuilder(List.of(PYTHON.toString(), "-c", script))
              .redirectErrorStream(true)
              .start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("python did not finish");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError("python failed (" + p.exitValue() + "):\n" + text);
      }
      return text;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + PYTHON, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
