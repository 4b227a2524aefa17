package dev.kith.dns;

import dev.kith.mesh.testing.DebianPackages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's {@code dig} against a device's DNS port: the client a person checks DNS with. */
final class Dig {

  static final Path DIG = Path.of("/usr/bin/dig");

  private Dig() {}

  static void require() {
    DebianPackages.require(DIG, "bind9-dnsutils");
  }

  /** The answers' data ({@code +short}), one per line, in the order the server gave them. */
  static List<String> answers(int port, String name, String type) {
    List<String> out = new ArrayList<>();
    for (String line : run(port, "+short", "+norecurse", name, type).split("\n")) {
      if (!line.isBlank()) {
        out.add(line.trim());
      }
    }
    return out;
  }

  /** The whole answer as dig prints it, with its header ({@code status: NOERROR}, flags). */
  static String full(int port, String... args) {
    return run(port, args);
  }

  private static String run(int port, String... args) {
    List<String> command = new ArrayList<>();
    command.add(DIG.toString());
    command.add("@127.0.0.1");
    command.add("-p");
    command.add(String.valueOf(port));
    command.add("+time=2");
    command.add("+tries=1");
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("dig did not finish: " + command);
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
