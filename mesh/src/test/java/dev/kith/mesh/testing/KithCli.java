package dev.kith.mesh.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@code kith} client command ({@code kith invite}, {@code kith login}, ...) as its own
 * JVM, as a user's shell would: with text on standard input, without the test run's {@code KITH_*}
 * variables, and with whatever environment the test adds. Standard output and standard error are
 * kept apart, because tokens go to one and advice to the other.
 */
public final class KithCli {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  private final Launcher launcher;
  private final Map<String, String> env = new LinkedHashMap<>();
  private String stdin = "";

  private KithCli(Launcher launcher) {
    this.launcher = launcher;
  }

  /** Commands run from the test's class path. */
  public static KithCli classpath() {
    return new KithCli(Launcher.classpath());
  }

  /** Commands run with {@code java -jar jar}. */
  public static KithCli jar(Path jar) {
    return new KithCli(Launcher.jar(jar));
  }

  /** Text the command reads on standard input (a password, for example). */
  public KithCli stdin(String text) {
    this.stdin = text;
    return this;
  }

  /** An environment variable for the command. */
  public KithCli env(String key, String value) {
    env.put(key, value);
    return this;
  }

  /** What a command printed, and how it ended. */
  public record Result(int code, String stdout, String stderr) {
    /** Both streams, for failure messages. */
    public String output() {
      return "exit " + code + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
    }
  }

  /** Runs {@code kith ARGS...} and waits for it to end. */
  public Result run(String... args) {
    List<String> command = new ArrayList<>(launcher.command());
    command.addAll(List.of(args));
    try {
      Path err = Files.createTempFile("kith-cli", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(err.toFile());
      builder.environment().keySet().removeIf(key -> key.startsWith("KITH_"));
      builder.environment().remove("JAVA_TOOL_OPTIONS");
      builder.environment().putAll(env);
      Process p = builder.start();
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kith " + String.join(" ", args) + " did not end in " + TIMEOUT);
      }
      String errText = Files.readString(err);
      Files.deleteIfExists(err);
      return new Result(p.exitValue(), out, errText);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
