package dev.kith.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * One docker-compose project, driven through the {@code docker-compose} command (Debian's 1.29,
 * which CI installs; the same arguments work with {@code docker compose}). Every call names the
 * project and its files, so that it touches only this project's containers, networks and volumes.
 * Each call's command line and output are appended to a log file, which the test registers with
 * {@link dev.kith.mesh.testing.DeviceLogs}.
 */
final class Compose implements AutoCloseable {

  /**
   * The command: {@code -Dkith.compose} if set (split at spaces), else {@code docker-compose}
   * (Debian's package, which CI installs) if it runs, else {@code docker compose}; null if none
   * runs.
   */
  static final List<String> COMMAND = findCommand();

  private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(90);

  private final Path directory;
  private final String project;
  private final List<Path> files;
  private final Map<String, String> env;
  private final Path log;

  /** What a call printed, and how it ended. */
  record Result(List<String> command, int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }

    @Override
    public String toString() {
      return String.join(" ", command) + " -> exit " + exitCode + "\n" + output;
    }
  }

  /**
   * @param directory where the command runs (the repository root)
   * @param project the compose project name; unique per test
   * @param files the compose files, base first
   * @param env variables for the file's interpolation, on top of this process's environment
   * @param log the file every call's output is appended to
   */
  Compose(Path directory, String project, List<Path> files, Map<String, String> env, Path log) {
    this.directory = directory;
    this.project = project;
    this.files = List.copyOf(files);
    this.env = new LinkedHashMap<>(env);
    this.log = log;
    try {
      Files.createDirectories(log.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> findCommand() {
    String property = System.getProperty("kith.compose");
    List<List<String>> candidates =
        property != null && !property.isBlank()
            ? List.of(List.of(property.strip().split("\\s+")))
            : List.of(List.of("docker-compose"), List.of("docker", "compose"));
    for (List<String> candidate : candidates) {
      if (runs(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Whether {@code COMMAND version} exits 0. */
  private static boolean runs(List<String> command) {
    List<String> version = new ArrayList<>(command);
    version.add("version");
    try {
      Process p =
          new ProcessBuilder(version)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Returns if a compose command runs; otherwise skips the calling test, or fails it when {@code
   * KITH_REQUIRE_DOCKER=true}, as {@link dev.kith.mesh.testing.Docker#assumeDockerOrFail} does for
   * the engine.
   */
  static void assumeAvailableOrFail(boolean required) {
    if (COMMAND != null) {
      return;
    }
    String message =
        "Neither docker-compose nor `docker compose` runs ("
            + (System.getProperty("kith.compose") == null
                ? "`version` fails"
                : "-Dkith.compose=" + System.getProperty("kith.compose") + " does not run")
            + "). Install Debian's docker-compose package (.ci/run does)";
    if (required) {
      Assertions.fail(message + "; KITH_REQUIRE_DOCKER=true requires the compose check to run.");
    }
    Assumptions.abort(message + ": compose check skipped.");
  }

  /** The project name. */
  String project() {
    return project;
  }

  /** Runs {@code docker-compose -p PROJECT -f FILE... ARGS} and returns how it ended. */
  Result run(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(COMMAND);
    command.addAll(List.of("-p", project));
    for (Path file : files) {
      command.add("-f");
      command.add(file.toString());
    }
    command.addAll(List.of(args));
    return exec(command, timeout);
  }

  /** Runs a call that must succeed; fails the test with its output otherwise. */
  Result runOrFail(Duration timeout, String... args) {
    Result result = run(timeout, args);
    if (!result.ok()) {
      throw new AssertionError("docker-compose failed: " + result);
    }
    return result;
  }

  /** The host port that Docker published for {@code service}'s {@code containerPort}. */
  int port(String service, int containerPort) {
    String out =
        runOrFail(Duration.ofSeconds(30), "port", service, String.valueOf(containerPort))
            .output()
            .strip();
    // "0.0.0.0:49153", possibly after warnings; the last line is the answer.
    String last = out.substring(out.lastIndexOf('\n') + 1);
    return Integer.parseInt(last.substring(last.lastIndexOf(':') + 1).strip());
  }

  /** Writes every service's output so far to {@code file}. */
  void saveLogs(Path file) {
    Result result = run(Duration.ofSeconds(60), "logs", "--no-color", "--timestamps");
    try {
      Files.writeString(file, result.output(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.out.println("[kith-test] cannot save the compose logs: " + e);
    }
  }

  /** Stops and removes this project's containers, networks and volumes. */
  @Override
  public void close() {
    Result down = run(DOWN_TIMEOUT, "down", "--volumes", "--remove-orphans", "--timeout", "5");
    if (!down.ok()) {
      System.out.println("[kith-test] docker-compose down failed: " + down);
    }
  }

  private Result exec(List<String> command, Duration timeout) {
    Path out = null;
    try {
      out = Files.createTempFile("kith-compose", ".out");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      int exitCode;
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        exitCode = process.exitValue();
      } else {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        exitCode = -1;
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      if (exitCode == -1) {
        output += "\n(killed after " + timeout.toSeconds() + " s)";
      }
      Files.writeString(
          log,
          "$ " + String.join(" ", command) + "\n" + output + "(exit " + exitCode + ")\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      return new Result(command, exitCode, output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          // A temp file left behind is harmless.
        }
      }
    }
  }
}
