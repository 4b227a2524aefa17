package dev.kith.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Debian's {@code wrk}, run against a site on a loopback port, and what it reports. */
final class Wrk {

  private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

  private final Process process;

  private Wrk(Process process) {
    this.process = process;
  }

  record Result(long requests, long errors, String output) {
    String summary() {
      return requests + " requests, " + errors + " failed";
    }
  }

  static Wrk start(int port, String host, String path, int connections, int seconds)
      throws IOException {
    List<String> command =
        List.of(
            "wrk",
            "-t1",
            "-c" + connections,
            "-d" + seconds + "s",
            "-H",
            "Host: " + host,
            "http://127.0.0.1:" + port + path);
    return new Wrk(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  Result await() throws Exception {
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("wrk did not end: " + out);
    }
    Matcher m = REQUESTS.matcher(out);
    if (!m.find()) {
      throw new AssertionError("wrk printed no count (is Debian's wrk installed?): " + out);
    }
    long requests = Long.parseLong(m.group(1));
    long errors = 0;
    Matcher s = SOCKET_ERRORS.matcher(out);
    if (s.find()) {
      for (int i = 1; i <= 4; i++) {
        errors += Long.parseLong(s.group(i));
      }
    }
    Matcher n = NON_2XX.matcher(out);
    if (n.find()) {
      errors += Long.parseLong(n.group(1));
    }
    return new Result(requests, errors, out);
  }
}
