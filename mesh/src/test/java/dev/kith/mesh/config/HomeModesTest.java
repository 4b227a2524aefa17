package dev.kith.mesh.config;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.Launcher;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A device's home is its owner's alone: a real device process under {@code umask 022}, as a user's
 * shell hands it, keeps every folder of its home at 0700 and every file at 0600, and a home with
 * wider modes (from an older version) is fixed at start, with a log line for each fix.
 */
@DisplayName("The modes of a device's home")
@ExtendWith(DeviceLogs.class)
class HomeModesTest {

  private static final Duration START = Duration.ofSeconds(60);
  private static final Launcher UMASK_022 = Launcher.classpath().withUmask("022");

  @Test
  @DisplayName(
      "under umask 022, every folder of the home is 0700 and every file 0600, after use and after"
          + " a restart that finds wider modes")
  void homeIsTheOwnersAlone() throws Exception {
    // Start: a fresh home, under the umask most shells have.
    DeviceProcess.Builder builder = DeviceProcess.builder("modes.alice").launcher(UMASK_022);
    Path home = builder.home();
    DeviceProcess device = builder.start().awaitReady(START);
    try {
      // Use: an account, an object (its bucket folder is made now) and a record.
      use(device);
      assertThat(wrongModes(home)).isEmpty();
    } finally {
      device.stop();
    }

    // Fault: modes that an older version (or a careless copy) left behind.
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path db = home.resolve("vault").resolve("vault.db");
    Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(
        home.resolve("vault"), PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(wrongModes(home)).hasSize(3);

    // Recovery: the device fixes them at start and says so.
    DeviceProcess again =
        DeviceProcess.builder("modes.alice")
            .launcher(UMASK_022)
            .mesh(builder.mesh())
            .flag("home", home.toString())
            .start()
            .awaitReady(START);
    try {
      assertThat(wrongModes(home)).isEmpty();
      assertThat(again.logText())
          .contains(db + " was mode rw-r--r--, open to other local users; set it to rw-------")
          .contains(home + " was mode rwxr-xr-x, open to other local users; set it to rwx------");
      use(again);
      assertThat(wrongModes(home)).isEmpty();
    } finally {
      again.stop();
    }
  }

  private static void use(DeviceProcess device) {
    String base = device.httpUrl() + "/api/vault/alice";
    Http.Response object =
        Http.send(
            "POST",
            base + "/objects",
            "application/octet-stream",
            ("bytes " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
    assertThat(object.status()).as(object.body()).isEqualTo(201);
    eventually(
        Duration.ofSeconds(30),
        () -> {
          Http.Response record =
              Http.send(
                  "PUT",
                  base + "/records/note-" + System.nanoTime(),
                  "application/json",
                  new JsonObject().put("text", "hello").encode().getBytes(StandardCharsets.UTF_8));
          assertThat(record.status()).as(record.body()).isEqualTo(200);
        });
  }

  /** Each path under {@code home} (and itself) whose mode is not the owner's only. */
  private static List<String> wrongModes(Path home) throws IOException {
    try (Stream<Path> paths = Files.walk(home)) {
      return paths
          .filter(p -> !Files.isSymbolicLink(p))
          .map(
              p -> {
                try {
                  String mode =
                      PosixFilePermissions.toString(
                          Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                  String wanted = Files.isDirectory(p) ? "rwx------" : "rw-------";
                  return mode.equals(wanted) ? null : p + " " + mode;
                } catch (IOException e) {
                  return null;
                }
              })
          .filter(java.util.Objects::nonNull)
          .toList();
    }
  }
}
