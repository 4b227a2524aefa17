package dev.kith.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * No two source files of {@code mesh/} depend on each other, directly or through others: each file
 * can be read, changed and tested with what it uses, never with what uses it. The dependencies are
 * read from the compiled classes with the JDK's {@code jdeps}; a nested class counts as its file.
 */
@DisplayName("The files of mesh/")
class FileCirclesTest {

  private static final Pattern EDGE =
      Pattern.compile("^\\s+(dev\\.kith\\.[\\w.$]+)\\s+->\\s+(dev\\.kith\\.[\\w.$]+)");

  @Test
  @DisplayName("depend on each other in no circle")
  void noCircles() {
    Path classes = Path.of("target/classes").toAbsolutePath();
    assertThat(Files.isDirectory(classes)).as("%s exists", classes).isTrue();
    Map<String, Set<String>> uses = dependencies(classes);
    assertThat(uses).as("dependencies read by jdeps").isNotEmpty();

    assertThat(circles(uses)).as("files that depend on each other").isEmpty();
  }

  @Test
  @DisplayName("a circle is found when there is one")
  void findsACircle() {
    Map<String, Set<String>> uses =
        Map.of("a.A", Set.of("a.B"), "a.B", Set.of("a.C"), "a.C", Set.of("a.A", "a.D"));
    assertThat(circles(uses)).containsExactly(new TreeSet<>(Set.of("a.A", "a.B", "a.C")));
  }

  private static Map<String, Set<String>> dependencies(Path classes) {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int code =
        jdeps.run(
            new PrintWriter(out),
            new PrintWriter(new StringWriter()),
            "-verbose:class",
            "-filter:none",
            "-cp",
            classes.toString(),
            classes.toString());
    assertThat(code).as("jdeps: %s", out).isZero();
    Map<String, Set<String>> uses = new HashMap<>();
    for (String line : out.toString().split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.find()) {
        String from = file(m.group(1));
        String to = file(m.group(2));
        if (!from.equals(to)) {
          uses.computeIfAbsent(from, k -> new HashSet<>()).add(to);
        }
      }
    }
    return uses;
  }

  private static String file(String className) {
    int nested = className.indexOf('$');
    return nested < 0 ? className : className.substring(0, nested);
  }

  /** The strongly connected parts of more than one file (Tarjan's algorithm). */
  static List<Set<String>> circles(Map<String, Set<String>> uses) {
    return new Tarjan(uses).run();
  }

  private static final class Tarjan {
    private final Map<String, Set<String>> uses;
    private final Map<String, Integer> index = new HashMap<>();
    private final Map<String, Integer> low = new HashMap<>();
    private final List<String> stack = new ArrayList<>();
    private final Set<String> onStack = new HashSet<>();
    private final List<Set<String>> found = new ArrayList<>();

    Tarjan(Map<String, Set<String>> uses) {
      this.uses = uses;
    }

    List<Set<String>> run() {
      Set<String> nodes = new TreeSet<>(uses.keySet());
      uses.values().forEach(nodes::addAll);
      for (String node : nodes) {
        if (!index.containsKey(node)) {
          visit(node);
        }
      }
      return found;
    }

    private void visit(String v) {
      index.put(v, index.size());
      low.put(v, index.get(v));
      stack.add(v);
      onStack.add(v);
      for (String w : uses.getOrDefault(v, Set.of())) {
        if (!index.containsKey(w)) {
          visit(w);
          low.put(v, Math.min(low.get(v), low.get(w)));
        } else if (onStack.contains(w)) {
          low.put(v, Math.min(low.get(v), index.get(w)));
        }
      }
      if (low.get(v).equals(index.get(v))) {
        Set<String> part = new TreeSet<>();
        String w;
        do {
          w = stack.remove(stack.size() - 1);
          onStack.remove(w);
          part.add(w);
        } while (!w.equals(v));
        if (part.size() > 1) {
          found.add(part);
        }
      }
    }
  }
}
