package dev.kith.mesh.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command prefix that starts one device JVM, before the {@code run} command and its flags.
 * {@link #classpath()} runs {@code dev.kith.mesh.Main} from the test JVM's own class path, which is
 * what module tests want; {@link #jar(Path)} runs the assembled {@code kith.jar}, which is what the
 * deploy module's integration tests want. Both use a small heap, a fast-starting JIT and a shared
 * class archive ({@link SharedClasses}), because several devices share two cores.
 */
public final class Launcher {

  /** The main class that both launchers run. */
  public static final String MAIN_CLASS = "dev.kith.mesh.Main";

  /** Small and quick to start: several device JVMs share the machine with the test JVM. */
  private static final List<String> SMALL_JVM =
      List.of("-Xmx256m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /**
   * Hazelcast 5.3 reaches into these JDK internals; {@code kith.jar} opens them in its manifest.
   */
  public static final List<String> HAZELCAST_OPENS =
      List.of(
          "--add-modules",
          "java.se",
          "--add-exports",
          "java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.lang=ALL-UNNAMED",
          "--add-opens",
          "java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens",
          "java.management/sun.management=ALL-UNNAMED",
          "--add-opens",
          "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  private final List<String> command;

  private Launcher(List<String> command) {
    this.command = List.copyOf(command);
  }

  /** Runs {@link #MAIN_CLASS} with the current JVM's {@code java} and class path. */
  public static Launcher classpath() {
    List<String> jvm = new ArrayList<>();
    jvm.add(javaExecutable());
    jvm.addAll(SMALL_JVM);
    jvm.addAll(HAZELCAST_OPENS);
    SharedClasses.Plan plan = SharedClasses.plan(jvm, System.getProperty("java.class.path"), null);
    List<String> command = new ArrayList<>(jvm);
    command.addAll(plan.options());
    command.add("-cp");
    command.add(plan.classpath());
    command.add(MAIN_CLASS);
    return new Launcher(command);
  }

  /** Runs {@code java -jar jar}; the jar's manifest opens what Hazelcast needs. */
  public static Launcher jar(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("No such jar: " + jar.toAbsolutePath());
    }
    List<String> jvm = new ArrayList<>();
    jvm.add(javaExecutable());
    jvm.addAll(SMALL_JVM);
    List<String> command = new ArrayList<>(jvm);
    command.addAll(SharedClasses.plan(jvm, null, jar).options());
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    return new Launcher(command);
  }

  /** Any command prefix, for example a wrapper script. */
  public static Launcher of(List<String> command) {
    return new Launcher(command);
  }

  /**
   * The same command with SIGINT reset to its default action, as a terminal delivers it; a JVM that
   * starts with SIGINT ignored never sees Ctrl-C. Uses coreutils' {@code env --default-signal}.
   */
  public Launcher withDefaultSigint() {
    List<String> wrapped = new ArrayList<>(List.of("env", "--default-signal=INT"));
    wrapped.addAll(command);
    return new Launcher(wrapped);
  }

  /**
   * The same command run under {@code umask mask} (such as {@code "022"}), through {@code sh}: what
   * a user's shell or a service manager may hand a device.
   */
  public Launcher withUmask(String mask) {
    if (!mask.matches("[0-7]{3,4}")) {
      throw new IllegalArgumentException("not a umask: " + mask);
    }
    List<String> wrapped =
        new ArrayList<>(List.of("sh", "-c", "umask " + mask + " && exec \"$@\"", "sh"));
    wrapped.addAll(command);
    return new Launcher(wrapped);
  }

  /** The command prefix; the device's {@code run} command and flags follow it. */
  public List<String> command() {
    return command;
  }

  private static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Override
  public String toString() {
    return String.join(" ", command);
  }
}
