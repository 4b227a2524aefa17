package dev.kith.chat.reference;

import dev.kith.mesh.testing.DebianPackages;
import dev.kith.mesh.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A private Prosody (Debian's 0.12) on free loopback ports: the reference XMPP server that the chat
 * scenario runs against before it judges Kith. Everything it writes (config, self-signed
 * certificate, accounts, archive, logs, pid file) lives in one temporary directory that {@link
 * #close()} removes after stopping the process by its own PID. It listens on a c2s port (STARTTLS,
 * encryption required) and a direct-TLS c2s port, has no s2s, and serves one virtual host with the
 * modules the chat issue lists.
 */
public final class ProsodyServer implements AutoCloseable {

  static final Path PROSODY = Path.of("/usr/bin/prosody");
  static final Path PROSODYCTL = Path.of("/usr/bin/prosodyctl");
  static final Path OPENSSL = Path.of("/usr/bin/openssl");
  static final Path MODULES_DIR = Path.of("/usr/lib/prosody/modules");

  /** The modules the virtual host runs, beyond those Prosody always loads (c2s, presence...). */
  public static final List<String> MODULES =
      List.of(
          "roster",
          "saslauth",
          "tls",
          "disco",
          "carbons",
          "mam",
          "smacks",
          "ping",
          "vcard",
          "blocklist",
          "pep",
          "csi_simple");

  private static final String HOST = "127.0.0.1";
  private static final Duration READY_WITHIN = Duration.ofSeconds(20);
  private static final Duration COMMAND_WITHIN = Duration.ofSeconds(30);
  private static final int ATTEMPTS = 3;

  private final String domain;
  private final Path dir;
  private final Path config;
  private final int c2sPort;
  private final int directTlsPort;
  private final Process process;

  private ProsodyServer(
      String domain, Path dir, Path config, int c2sPort, int directTlsPort, Process process) {
    this.domain = domain;
    this.dir = dir;
    this.config = config;
    this.c2sPort = c2sPort;
    this.directTlsPort = directTlsPort;
    this.process = process;
  }

  /** Skips (or, in CI, fails) the test unless Debian's prosody and openssl are installed. */
  public static void require() {
    DebianPackages.require(PROSODY, "prosody");
    DebianPackages.require(PROSODYCTL, "prosody");
    DebianPackages.require(OPENSSL, "openssl");
  }

  /**
   * Starts Prosody for {@code domain} and returns once both ports accept connections and the log
   * says it opened them. Fails with Prosody's log when it cannot start; tries new ports when one
   * was taken between choosing it and Prosody's bind.
   */
  public static ProsodyServer start(String domain) {
    require();
    for (String module : MODULES) {
      if (!Files.exists(MODULES_DIR.resolve("mod_" + module + ".lua"))
          && !Files.isDirectory(MODULES_DIR.resolve("mod_" + module))) {
        throw new AssertionError("Debian's prosody has no mod_" + module + " in " + MODULES_DIR);
      }
    }
    Path dir = null;
    boolean started = false;
    try {
      dir = Files.createTempDirectory("kith-prosody-");
      Files.createDirectories(dir.resolve("data"));
      certificate(dir, domain);
      AssertionError last = null;
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        int c2s = FreePorts.next();
        int directTls = FreePorts.next();
        Path config = dir.resolve("prosody.cfg.lua");
        Files.writeString(config, config(dir, domain, c2s, directTls), StandardCharsets.UTF_8);
        Files.deleteIfExists(dir.resolve("prosody.log"));
        Files.deleteIfExists(dir.resolve("prosody.err"));
        Process process =
            new ProcessBuilder(PROSODY.toString(), "--config", config.toString(), "-F")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("console.log").toFile())
                .start();
        ProsodyServer server = new ProsodyServer(domain, dir, config, c2s, directTls, process);
        try {
          server.awaitReady();
          started = true;
          return server;
        } catch (PortTaken e) {
          last = e;
        } finally {
          if (!started) {
            server.stop();
          }
        }
      }
      throw new AssertionError(
          "Prosody could not bind free ports in " + ATTEMPTS + " attempts", last);
    } catch (IOException e) {
      throw new AssertionError("cannot set up Prosody", e);
    } finally {
      if (!started && dir != null) {
        deleteTree(dir);
      }
    }
  }

  /**
   * Creates (or resets the password of) {@code user}@domain with {@code prosodyctl register}, which
   * writes Prosody's internal storage directly and works whether or not the server runs.
   */
  public ProsodyServer register(String user, String password) {
    run(
        dir,
        PROSODYCTL.toString(),
        "--config",
        config.toString(),
        "register",
        user,
        domain,
        password);
    return this;
  }

  /** The loopback address Prosody listens on. */
  public String host() {
    return HOST;
  }

  /** The virtual host. */
  public String domain() {
    return domain;
  }

  /** The c2s port: STARTTLS, which Prosody requires before authentication. */
  public int c2sPort() {
    return c2sPort;
  }

  /** The direct-TLS c2s port (XEP-0368). */
  public int directTlsPort() {
    return directTlsPort;
  }

  /** The self-signed certificate (PEM) Prosody presents for {@link #domain()}. */
  public Path certificate() {
    return dir.resolve(domain + ".crt");
  }

  /** The PID of the Prosody process, which {@link #close()} stops. */
  public long pid() {
    return process.pid();
  }

  /** The temporary directory with the config, data and logs. */
  public Path directory() {
    return dir;
  }

  /** The end of Prosody's (debug) log, at most {@code maxChars}, for failure messages. */
  public String logTail(int maxChars) {
    return tail(dir.resolve("prosody.log"), maxChars) + tail(dir.resolve("console.log"), maxChars);
  }

  /** Stops Prosody by its PID (SIGTERM, then SIGKILL) and deletes its directory. */
  @Override
  public void close() {
    stop();
    deleteTree(dir);
  }

  private void stop() {
    ProcessHandle handle = process.toHandle();
    handle.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        handle.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      handle.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Thrown when Prosody says it could not open a port: another process took it. */
  private static final class PortTaken extends AssertionError {
    PortTaken(String message) {
      super(message);
    }
  }

  private void awaitReady() {
    String c2s = "Activated service 'c2s' on [" + HOST + "]:" + c2sPort;
    String direct = "Activated service 'c2s_direct_tls' on [" + HOST + "]:" + directTlsPort;
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (true) {
      // Errors go to both logs: read the error log first, so the main log has them too.
      String errors = tail(dir.resolve("prosody.err"), 8000);
      String log = tail(dir.resolve("prosody.log"), Integer.MAX_VALUE);
      if (log.contains("Failed to open server port")) {
        throw new PortTaken("Prosody could not open a port:\n" + errors);
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "Prosody exited with " + process.exitValue() + " while starting:\n" + logTail(8000));
      }
      if (!errors.isBlank()) {
        throw new AssertionError("Prosody logged errors while starting:\n" + errors);
      }
      // mod_posix writes the pid file after the listeners open.
      if (log.contains(c2s)
          && log.contains(direct)
          && pidFileNamesProcess()
          && accepts(c2sPort)
          && accepts(directTlsPort)) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "Prosody (pid "
                + process.pid()
                + ", pid file "
                + tail(dir.resolve("prosody.pid"), 20).trim()
                + ") was not ready within "
                + READY_WITHIN.toSeconds()
                + " s:\n"
                + logTail(8000));
      }
      pause(Duration.ofMillis(50));
    }
  }

  private boolean pidFileNamesProcess() {
    try {
      Path pidFile = dir.resolve("prosody.pid");
      return Files.exists(pidFile)
          && Files.readString(pidFile).trim().equals(String.valueOf(process.pid()));
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void certificate(Path dir, String domain) {
    run(
        dir,
        OPENSSL.toString(),
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=" + domain,
        "-addext",
        "subjectAltName=DNS:" + domain,
        "-keyout",
        dir.resolve(domain + ".key").toString(),
        "-out",
        dir.resolve(domain + ".crt").toString());
  }

  private static String config(Path dir, String domain, int c2sPort, int directTlsPort) {
    String cert = lua(dir.resolve(domain + ".crt"));
    String key = lua(dir.resolve(domain + ".key"));
    List<String> lines = new ArrayList<>();
    lines.add("-- Written by ProsodyServer for one test run.");
    if (runningAsRoot()) {
      // Prosody refuses root (mod_posix shuts down) and prosodyctl would switch to the
      // 'prosody' user, who cannot write this directory.
      lines.add("run_as_root = true");
    }
    lines.add("pidfile = " + lua(dir.resolve("prosody.pid")));
    lines.add("data_path = " + lua(dir.resolve("data")));
    lines.add("certificates = " + lua(dir));
    lines.add(
        "log = { debug = "
            + lua(dir.resolve("prosody.log"))
            + "; error = "
            + lua(dir.resolve("prosody.err"))
            + " }");
    lines.add("interfaces = { \"" + HOST + "\" }");
    lines.add("c2s_ports = { " + c2sPort + " }");
    lines.add("c2s_direct_tls_ports = { " + directTlsPort + " }");
    lines.add("legacy_ssl_ports = {}");
    lines.add("s2s_ports = {}");
    lines.add("http_ports = {}");
    lines.add("https_ports = {}");
    lines.add("ssl = { certificate = " + cert + "; key = " + key + " }");
    lines.add("c2s_require_encryption = true");
    lines.add("authentication = \"internal_hashed\"");
    lines.add("storage = \"internal\"");
    lines.add("default_archive_policy = true");
    lines.add(
        "modules_enabled = { "
            + MODULES.stream().map(m -> "\"" + m + "\"").collect(Collectors.joining("; "))
            + " }");
    lines.add("");
    lines.add("VirtualHost " + lua(domain));
    lines.add("  ssl = { certificate = " + cert + "; key = " + key + " }");
    return String.join("\n", lines) + "\n";
  }

  private static boolean runningAsRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static String lua(Object value) {
    return "\"" + value.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void run(Path dir, String... command) {
    try {
      Path output = Files.createTempFile(dir, "command-", ".out");
      Process p =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!p.waitFor(COMMAND_WITHIN.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command[0] + " did not finish:\n" + tail(output, 4000));
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(
            String.join(" ", command) + " failed (" + p.exitValue() + "):\n" + tail(output, 4000));
      }
      Files.deleteIfExists(output);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command[0], e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String tail(Path file, int maxChars) {
    try {
      String all = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      return all.length() > maxChars ? all.substring(all.length() - maxChars) : all;
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for Prosody", e);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
