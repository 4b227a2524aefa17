package dev.kith.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rule of DESIGN.md, checked on the sources: a service module (each {@code *-verticle} folder,
 * and the built-in probe and beacon of {@code health/}) depends on {@code mesh/}'s SPI ({@code
 * dev.kith.mesh.spi} and what is under it) and the vault's interface only, and on no other service
 * module. Every reference counts, imports and fully qualified names alike.
 */
@DisplayName("Module boundaries")
class ModuleBoundariesTest {

  /**
   * What of {@code mesh/} beyond the SPI a service may name: the vault's interface and its types.
   */
  private static final Set<String> VAULT_INTERFACE =
      Set.of("Vault", "StoredRecord", "Version", "Fence", "ObjectInfo");

  private static final Pattern KITH_NAME =
      Pattern.compile("\\bdev\\.kith\\.([a-z][a-z0-9]*)((?:\\.[a-z][a-z0-9]*)*)\\.([A-Z]\\w*)");

  @Test
  @DisplayName("a service module names nothing of mesh/ beyond the SPI and the Vault interface")
  void servicesUseTheSpiOnly() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<Path> modules = serviceSources(root);
    assertThat(modules).as("service modules found under %s", root).isNotEmpty();
    List<String> violations = new ArrayList<>();
    for (Path module : modules) {
      String own = ownPackage(module);
      try (Stream<Path> files = Files.walk(module)) {
        files
            .filter(f -> f.toString().endsWith(".java"))
            .forEach(f -> violations.addAll(violations(root, f, own)));
      }
    }
    assertThat(violations).as("references a service module may not make").isEmpty();
  }

  @Test
  @DisplayName("the check finds each kind of forbidden reference")
  void theCheckCanFail() {
    assertThat(forbidden("import dev.kith.mesh.auth.Accounts;", "mail")).isNotNull();
    assertThat(forbidden("dev.kith.mesh.config.DeviceConfig config;", "mail")).isNotNull();
    assertThat(forbidden("import dev.kith.mesh.vault.MeshVault;", "mail")).isNotNull();
    assertThat(forbidden("import dev.kith.health.probe.api.Probe;", "mail")).isNotNull();
    assertThat(forbidden("import dev.kith.mesh.spi.web.Access;", "mail")).isNull();
    assertThat(forbidden("import dev.kith.mesh.vault.Vault;", "mail")).isNull();
    assertThat(forbidden("import dev.kith.mail.api.Mailboxes;", "mail")).isNull();
  }

  /** Every service module's main sources: each {@code *-verticle}, and health's probe package. */
  private static List<Path> serviceSources(Path root) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      dirs.filter(d -> d.getFileName().toString().endsWith("-verticle"))
          .map(d -> d.resolve("src/main/java"))
          .filter(Files::isDirectory)
          .sorted()
          .forEach(out::add);
    }
    Path probe = root.resolve("health/src/main/java/dev/kith/health/probe");
    if (Files.isDirectory(probe)) {
      out.add(probe);
    }
    return out;
  }

  /** The first package level under {@code dev.kith} that a module's sources use: {@code mail}. */
  private static String ownPackage(Path module) throws IOException {
    if (module.endsWith("probe")) {
      return "health";
    }
    try (Stream<Path> dirs = Files.list(module.resolve("dev/kith"))) {
      return dirs.findFirst().orElseThrow().getFileName().toString();
    }
  }

  private static List<String> violations(Path root, Path file, String own) {
    List<String> out = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String problem = forbidden(lines.get(i), own);
        if (problem != null) {
          out.add(root.relativize(file) + ":" + (i + 1) + ": " + problem);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** What is wrong with a line of a service of package {@code own}, or null. */
  private static String forbidden(String line, String own) {
    Matcher m = KITH_NAME.matcher(line);
    while (m.find()) {
      String top = m.group(1);
      String sub = m.group(2);
      String type = m.group(3);
      String name = "dev.kith." + top + sub + "." + type;
      if (top.equals("mesh")) {
        boolean spi = sub.equals(".spi") || sub.startsWith(".spi.");
        boolean vault = sub.equals(".vault") && VAULT_INTERFACE.contains(type);
        if (!spi && !vault) {
          return name + " is mesh/'s own; use the SPI (dev.kith.mesh.spi) or the Vault interface";
        }
      } else if (!top.equals(own)) {
        return name + " belongs to another service module; talk to it over the event bus";
      }
    }
    return null;
  }
}
