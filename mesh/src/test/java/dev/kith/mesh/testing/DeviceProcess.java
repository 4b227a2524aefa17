package dev.kith.mesh.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One device running as a real JVM process, so that a test can crash it for real. The device gets
 * free ports, a home and a log folder under {@code target/kith-devices/<mesh>/<name>}; its stdout
 * and stderr go to files there, which stay after the test and are printed by {@link DeviceLogs}
 * when a test fails. {@link #kill9()} sends SIGKILL and checks that the process died of it; {@link
 * #stop()} sends SIGTERM, the clean stop. A JVM shutdown hook kills devices that a test forgot, so
 * no device outlives the test run.
 */
public final class DeviceProcess implements AutoCloseable {

  /** Exit status of a process that died of SIGKILL (128 + 9). */
  public static final int SIGKILL_EXIT = 137;

  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(15);
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final Set<String> INHERITED_JVM_OPTIONS =
      Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-leftover-devices"));
  }

  private final String name;
  private final int httpPort;
  private final int clusterPort;
  private final Path directory;
  private final Path home;
  private final Path stdout;
  private final Path stderr;
  private final List<String> command;
  private final Process process;

  private DeviceProcess(Builder builder, List<String> command) throws IOException {
    this.name = builder.name;
    this.httpPort = builder.httpPort;
    this.clusterPort = builder.clusterPort;
    this.directory = builder.directory;
    this.home = builder.flags.get("home") == null ? null : Path.of(builder.flags.get("home"));
    this.stdout = directory.resolve("stdout.log");
    this.stderr = directory.resolve("stderr.log");
    this.command = List.copyOf(command);
    ProcessBuilder processBuilder =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    // The test run's own KITH_* variables (KITH_REQUIRE_DOCKER, ...) are not this device's
    // config, and JVM option variables would add "Picked up ..." lines to the device's stderr.
    processBuilder
        .environment()
        .keySet()
        .removeIf(key -> key.startsWith("KITH_") || INHERITED_JVM_OPTIONS.contains(key));
    processBuilder.environment().putAll(builder.env);
    this.process = processBuilder.start();
    LIVE.add(process);
    process.onExit().thenRun(() -> LIVE.remove(process));
    if (home != null) {
      Credentials.register(httpUrl(), home);
    }
    DeviceLogs.register(name + " stdout", stdout);
    DeviceLogs.register(name + " stderr", stderr);
    System.out.printf(
        "[kith-test] started %s: pid %d, %s, cluster 127.0.0.1:%d, log %s%n",
        name, process.pid(), httpUrl(), clusterPort, stdout);
  }

  /** A builder for a device named {@code name} ({@code NAME.OWNER}) in a fresh random mesh. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The device's name, {@code NAME.OWNER}. */
  public String name() {
    return name;
  }

  /** The operating system's process id. */
  public long pid() {
    return process.pid();
  }

  /** The port given with {@code --http-port}. */
  public int httpPort() {
    return httpPort;
  }

  /** The port given with {@code --cluster-port}. */
  public int clusterPort() {
    return clusterPort;
  }

  /** {@code 127.0.0.1:<cluster port>}, for other devices' {@code --join}. */
  public String clusterAddress() {
    return "127.0.0.1:" + clusterPort;
  }

  /** {@code http://127.0.0.1:<http port>}. */
  public String httpUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** The device's home ({@code --home}). */
  public Path home() {
    return home;
  }

  /** The folder that holds the device's home and logs. */
  public Path directory() {
    return directory;
  }

  /** The file that receives the device's stdout, where its log lines go. */
  public Path logFile() {
    return stdout;
  }

  /** The file that receives the device's stderr. */
  public Path errFile() {
    return stderr;
  }

  /** The full command line, for failure messages. */
  public List<String> command() {
    return command;
  }

  /** Everything the device wrote to stdout, then everything it wrote to stderr. */
  public String logText() {
    return stdout() + stderr();
  }

  /** Everything the device wrote to stdout so far. */
  public String stdout() {
    return read(stdout);
  }

  /** Everything the device wrote to stderr so far. */
  public String stderr() {
    return read(stderr);
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code, or empty while the process runs. */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /**
   * Waits until {@code GET /health} answers 200, and fails at once, with the log's tail, if the
   * process exits first.
   */
  public DeviceProcess awaitHealthy(Duration deadline) {
    return awaitStatus200("/health", deadline);
  }

  /** Waits until {@code GET /ready} answers 200: joined, and services deployed. */
  public DeviceProcess awaitReady(Duration deadline) {
    return awaitStatus200("/ready", deadline);
  }

  private DeviceProcess awaitStatus200(String path, Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    Object last = "no attempt";
    while (true) {
      if (!process.isAlive()) {
        throw new AssertionError(
            name
                + " exited with code "
                + process.exitValue()
                + " before "
                + path
                + " answered 200"
                + describe());
      }
      try {
        Http.Response response = Http.get(httpUrl() + path);
        if (response.status() == 200) {
          return this;
        }
        last = response;
      } catch (RuntimeException e) {
        last = e;
      }
      if (System.nanoTime() - end >= 0) {
        throw new AssertionError(
            name
                + ": GET "
                + path
                + " not 200 within "
                + deadline.toMillis()
                + " ms, last: "
                + last
                + describe());
      }
      sleep(Eventually.POLL_INTERVAL);
    }
  }

  /**
   * Sends SIGKILL, the {@code kill -9} of a crash, and checks that the process died of it. On Linux
   * {@link Process#destroyForcibly()} is SIGKILL; the exit status 137 proves it.
   */
  public void kill9() {
    process.destroyForcibly();
    int code = awaitExit(EXIT_TIMEOUT);
    if (code != SIGKILL_EXIT) {
      throw new AssertionError(name + " ended with " + code + ", not by SIGKILL" + describe());
    }
  }

  /** Sends SIGTERM, the clean stop, waits for the exit and returns the exit code. */
  public int stop() {
    return stop(EXIT_TIMEOUT);
  }

  /** Sends SIGTERM and waits at most {@code deadline} for the exit; kills it if it hangs. */
  public int stop(Duration deadline) {
    process.destroy();
    try {
      return awaitExit(deadline);
    } catch (AssertionError e) {
      process.destroyForcibly();
      throw e;
    }
  }

  /**
   * Sends SIGINT, what Ctrl-C in a terminal sends, and waits at most {@code deadline} for the exit.
   * A process started from a shell's background job may inherit SIGINT as ignored; launch it with
   * {@link Launcher#withDefaultSigint} to get a terminal's behaviour.
   */
  public int ctrlC(Duration deadline) {
    try {
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(pid())).start();
      if (kill.waitFor() != 0) {
        throw new AssertionError("kill -INT " + pid() + " failed" + describe());
      }
      return awaitExit(deadline);
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot send SIGINT to " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while stopping " + name, e);
    }
  }

  /** Waits for the process to exit by itself and returns its exit code. */
  public int awaitExit(Duration deadline) {
    try {
      if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            name + " still running after " + deadline.toMillis() + " ms" + describe());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while waiting for " + name, e);
    }
    return process.exitValue();
  }

  /**
   * Sends SIGSTOP: the device hangs (a suspended laptop, a stalled machine) until {@link #resume}.
   */
  public void pause() {
    signal("STOP");
  }

  /** Sends SIGCONT to a device that {@link #pause} hung. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start();
      if (kill.waitFor() != 0) {
        throw new AssertionError("kill -" + name + " " + pid() + " failed" + describe());
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot send SIG" + name + " to " + this.name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while signalling " + this.name, e);
    }
  }

  /** Sends SIGKILL without waiting, so that a mesh can kill all its devices at once. */
  public void sendSigkill() {
    process.destroyForcibly();
  }

  /** Kills the process if it still runs; logs stay on disk. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The log paths and the last lines of both streams, to append to failure messages. */
  public String describe() {
    return "\n--- "
        + name
        + " (pid "
        + process.pid()
        + ") stdout "
        + stdout
        + ":\n"
        + DeviceLogs.tail(stdout, 30)
        + "\n--- "
        + name
        + " stderr "
        + stderr
        + ":\n"
        + DeviceLogs.tail(stderr, 30);
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", " + httpUrl() + ")";
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  /**
   * Describes one device before it starts. By default the device is alone in a fresh random mesh on
   * loopback, with free ports and its own home; {@link #flag(String, String)} overrides or adds any
   * flag, and {@link #withoutFlag(String)} drops a default one.
   */
  public static final class Builder {

    /** The settings of the modules on the test's class path, which its devices share. */
    private static final java.util.Set<String> INSTALLED_SETTINGS =
        dev.kith.mesh.config.ConfigSections.settings(
                dev.kith.mesh.config.DeviceConfig.coreSettings(),
                dev.kith.mesh.config.ConfigSections.installed())
            .keySet();

    private final String name;
    private final Map<String, String> flags = new LinkedHashMap<>();
    private final List<String> extraArgs = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private Launcher launcher;
    private int httpPort = FreePorts.next();
    private int clusterPort = FreePorts.next();
    private String mesh = "test-" + UUID.randomUUID().toString().substring(0, 8);
    private Path directory;

    private Builder(String name) {
      this.name = name;
      flags.put("name", name);
      flags.put("home", null); // filled in start(), under the device's folder
      flags.put("http-port", String.valueOf(httpPort));
      flags.put("cluster-port", String.valueOf(clusterPort));
      flags.put("mesh", mesh);
      flags.put("public-host", "127.0.0.1");
      if (INSTALLED_SETTINGS.contains("smtp-port")) {
        // Devices on one machine need SMTP ports of their own too, when mail is on the class path.
        flags.put("smtp-port", String.valueOf(FreePorts.next()));
        // Mail to other domains goes to a relay on a loopback port that nothing listens on (a
        // test that wants it delivered sets its own), never to a real MX looked up in DNS.
        flags.put("mail-relay", "127.0.0.1:" + FreePorts.next());
        flags.put("mail-relay-tls", "none");
      }
      if (INSTALLED_SETTINGS.contains("imap-port")) {
        flags.put("imap-port", String.valueOf(FreePorts.next()));
        flags.put("imaps-port", String.valueOf(FreePorts.next()));
      }
      if (INSTALLED_SETTINGS.contains("dns-port")) {
        flags.put("dns-port", String.valueOf(FreePorts.next()));
      }
      if (INSTALLED_SETTINGS.contains("xmpp-port")) {
        flags.put("xmpp-port", String.valueOf(FreePorts.next()));
        flags.put("xmpps-port", String.valueOf(FreePorts.next()));
      }
    }

    /** How to start the JVM; {@link Launcher#classpath()} unless told otherwise. */
    public Builder launcher(Launcher launcher) {
      this.launcher = launcher;
      return this;
    }

    /** The mesh (cluster) name; a random {@code test-...} name unless told otherwise. */
    public Builder mesh(String mesh) {
      this.mesh = mesh;
      flags.put("mesh", mesh);
      return this;
    }

    /** The HTTP port, instead of a free one chosen by the harness. */
    public Builder httpPort(int port) {
      this.httpPort = port;
      flags.put("http-port", String.valueOf(port));
      return this;
    }

    /** The cluster port, instead of a free one chosen by the harness. */
    public Builder clusterPort(int port) {
      this.clusterPort = port;
      flags.put("cluster-port", String.valueOf(port));
      return this;
    }

    /** The {@code HOST:PORT} members to join; none means a mesh of one. */
    public Builder join(List<String> members) {
      if (members.isEmpty()) {
        flags.remove("join");
      } else {
        flags.put("join", String.join(",", members));
      }
      return this;
    }

    /** Sets {@code --key value}, replacing the harness's default for that key. */
    public Builder flag(String key, String value) {
      flags.put(key, value);
      return this;
    }

    /** Drops a default flag, to test the runtime's own default. */
    public Builder withoutFlag(String key) {
      flags.remove(key);
      return this;
    }

    /** Appends raw arguments after the flags, for example {@code --multicast}. */
    public Builder args(String... args) {
      extraArgs.addAll(List.of(args));
      return this;
    }

    /** Sets an environment variable; the test run's own {@code KITH_*} variables are removed. */
    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** The device's name, {@code NAME.OWNER}. */
    public String name() {
      return name;
    }

    /** The HTTP port the device will get. */
    public int httpPort() {
      return httpPort;
    }

    /** The cluster port the device will get. */
    public int clusterPort() {
      return clusterPort;
    }

    /** The device's mesh name. */
    public String mesh() {
      return mesh;
    }

    /**
     * The home the device will get: its own folder's {@code home}, unless {@code --home} was set.
     * The harness gives a mesh's devices their certificates there before they start.
     */
    public Path home() {
      try {
        prepare();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return flags.get("home") == null ? null : Path.of(flags.get("home"));
    }

    /** Whether a flag is set, with any value. */
    public boolean hasFlag(String key) {
      return flags.containsKey(key);
    }

    private void prepare() throws IOException {
      if (directory == null) {
        directory = DeviceLogs.root().resolve(mesh).resolve(name + "-" + shortId());
        Files.createDirectories(directory);
      }
      if (flags.containsKey("home") && flags.get("home") == null) {
        flags.put("home", directory.resolve("home").toString());
      }
    }

    /** Starts the process and returns at once; see {@link DeviceProcess#awaitHealthy}. */
    public DeviceProcess start() {
      try {
        prepare();
        List<String> command =
            new ArrayList<>((launcher == null ? Launcher.classpath() : launcher).command());
        command.add("run");
        flags.forEach(
            (key, value) -> {
              command.add("--" + key);
              command.add(value);
            });
        command.addAll(extraArgs);
        return new DeviceProcess(this, command);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot start " + name, e);
      }
    }

    private static String shortId() {
      return UUID.randomUUID().toString().substring(0, 4);
    }
  }
}
