package dev.kith.mesh.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A JUnit 5 extension that prints, when a test fails, the path and the last lines of every device
 * log that the test produced: process output files and the container logs that {@link
 * ContainerMesh} saves before it stops a container. Logs stay on disk under {@code
 * target/kith-devices}. Register it with {@code @ExtendWith(DeviceLogs.class)}; devices register
 * their logs themselves. Two test classes may run at once (on their own threads), so each thread
 * keeps its own list; a thread that the test starts inherits it.
 */
public final class DeviceLogs implements BeforeEachCallback, TestWatcher {

  private static final int TAIL_LINES = 40;
  private static final InheritableThreadLocal<Map<String, Path>> LOGS =
      new InheritableThreadLocal<>() {
        @Override
        protected Map<String, Path> initialValue() {
          return java.util.Collections.synchronizedMap(new LinkedHashMap<>());
        }
      };

  /** Remembers {@code file} as the log of {@code label} for the current test. */
  public static void register(String label, Path file) {
    LOGS.get().put(label, file);
  }

  /** The root folder for device homes and logs: {@code target/kith-devices} in a Maven module. */
  public static Path root() {
    Path target = Path.of("target");
    Path base = Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
    return base.resolve("kith-devices").toAbsolutePath();
  }

  /** The last {@code lines} lines of {@code file}, or a note that it cannot be read. */
  public static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    LOGS.get().clear();
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    List<Map.Entry<String, Path>> logs;
    Map<String, Path> registered = LOGS.get();
    synchronized (registered) {
      logs = new ArrayList<>(registered.entrySet());
    }
    StringBuilder out = new StringBuilder();
    out.append("\n=== ").append(context.getDisplayName()).append(" failed; device logs ===\n");
    for (Map.Entry<String, Path> log : logs) {
      out.append("--- ")
          .append(log.getKey())
          .append(": ")
          .append(log.getValue())
          .append(" (last ")
          .append(TAIL_LINES)
          .append(" lines)\n")
          .append(tail(log.getValue(), TAIL_LINES))
          .append('\n');
    }
    System.out.println(out);
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {}

  @Override
  public void testSuccessful(ExtensionContext context) {}

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {}
}
