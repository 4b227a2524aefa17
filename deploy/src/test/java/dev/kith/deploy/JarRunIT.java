package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.Launcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command, {@code java -jar deploy/target/kith.jar}, with the embedded defaults:
 * no flags, so HTTP on 8080 and the cluster on 5701. Only the home directory is moved, through
 * {@code KITH_HOME}, so the test leaves the real {@code ~/.kith} alone.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(120)
class JarRunIT {

  @Test
  @DisplayName(
      "java -jar kith.jar answers /health within 30 s, counts itself alive, and Ctrl-C exits 0"
          + " within 5 s")
  void runsWithDefaults(@TempDir Path home) {
    Path jar = Path.of(System.getProperty("kith.jar", "target/kith.jar"));
    assertThat(jar).as("the fat jar, built by mvn package").isRegularFile();

    // Start: the plain command, with SIGINT as a terminal delivers it.
    long startedAt = System.nanoTime();
    DeviceProcess device =
        DeviceProcess.builder("default.device")
            .launcher(Launcher.jar(jar).withDefaultSigint())
            .httpPort(8080)
            .clusterPort(5701)
            .withoutFlag("name")
            .withoutFlag("home")
            .withoutFlag("http-port")
            .withoutFlag("cluster-port")
            .withoutFlag("mesh")
            .withoutFlag("public-host")
            .env("KITH_HOME", home.toString())
            .start();
    try {
      // A generous bound: alone it answers in 4-5 s (docs/benchmarks.md), but this test shares the
      // two cores with another container test, which may be starting a whole compose stack.
      device.awaitHealthy(Duration.ofSeconds(30));
      System.out.printf(
          "java -jar kith.jar answered /health in %d ms%n",
          (System.nanoTime() - startedAt) / 1_000_000);

      // It is a one-device mesh of its own, and says so in its metrics.
      eventually(
          Duration.ofSeconds(5),
          () ->
              assertThat(Http.get("http://127.0.0.1:8080/metrics").body())
                  .contains("kith_devices{state=\"alive\"} 1.0")
                  .containsPattern("kith_device_info\\{device=\"[a-z0-9-]+\\.[a-z0-9-]+\""));
      assertThat(Files.isDirectory(home)).isTrue();

      // Ctrl-C: a clean leave and exit code 0, within 5 s.
      long interruptedAt = System.nanoTime();
      int code = device.ctrlC(Duration.ofSeconds(5));
      System.out.printf(
          "Ctrl-C stopped it in %d ms with exit code %d%n",
          (System.nanoTime() - interruptedAt) / 1_000_000, code);
      assertThat(code).isZero();
    } finally {
      device.close();
    }
  }
}
