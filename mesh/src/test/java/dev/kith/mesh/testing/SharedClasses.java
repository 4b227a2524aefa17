package dev.kith.mesh.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A class-data-sharing archive (the JDK's dynamic CDS) of the classes that a device loads, made
 * once per test JVM by one training device in the background, so that the device and CLI JVMs that
 * tests start map those classes instead of loading about 7,000 of them from jars: on two cores a
 * three-device mesh formed in 9-10 s instead of 11-13 s, with a quarter less CPU.
 *
 * <p>The archive must be made and used with the same JVM options and the same class path (or one
 * that extends it), and the class path may hold only jars: folders such as {@code target/classes}
 * are packed into jars first. Nothing here can fail a test: if the training device does not start
 * or leaves no archive, devices start without one, as they did before. A module turns it on with
 * {@code -Dkith.test.cds=true} (its pom's {@code kith.testCds}): mesh and mail, which start dozens
 * of device and CLI JVMs; in a module with a dozen, the training costs what it saves.
 */
final class SharedClasses {

  /** What a launcher runs: the class path to use and the archive option (or none). */
  record Plan(List<String> options, String classpath) {}

  private static final Map<String, CompletableFuture<Plan>> PLANS = new HashMap<>();
  private static final Duration TRAINING_DEADLINE = Duration.ofSeconds(90);

  private SharedClasses() {}

  /**
   * The archive option and class path for device JVMs that run {@code prefix} (the JVM's options)
   * with {@code classpath} (or with {@code jar}, when {@code classpath} is null). The first call
   * starts the training in the background and, like every call until the archive is ready, gets the
   * plain class path: the test goes on meanwhile, and the training mostly uses the CPU that its
   * waits leave idle.
   */
  static synchronized Plan plan(List<String> prefix, String classpath, Path jar) {
    Plan plain = new Plan(List.of(), classpath);
    if (!Boolean.parseBoolean(System.getProperty("kith.test.cds", "false"))) {
      return plain;
    }
    String key = classpath != null ? classpath : jar.toAbsolutePath().toString();
    CompletableFuture<Plan> training =
        PLANS.computeIfAbsent(
            key,
            k -> {
              CompletableFuture<Plan> done = new CompletableFuture<>();
              Thread trainer =
                  new Thread(() -> done.complete(train(prefix, classpath, jar)), "kith-cds");
              trainer.setDaemon(true);
              trainer.start();
              return done;
            });
    return training.getNow(plain);
  }

  private static Plan train(List<String> prefix, String classpath, Path jar) {
    try {
      Path dir = Path.of("target", "kith-cds", "jvm-" + ProcessHandle.current().pid());
      Files.createDirectories(dir);
      String jarred = classpath == null ? null : jarFolders(classpath, dir);
      Path archive = dir.resolve("classes.jsa").toAbsolutePath();
      List<String> command = new ArrayList<>(prefix);
      command.add("-XX:ArchiveClassesAtExit=" + archive);
      if (jarred == null) {
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
      } else {
        command.addAll(List.of("-cp", jarred, Launcher.MAIN_CLASS));
      }
      long started = System.nanoTime();
      try (DeviceProcess trainee =
          DeviceProcess.builder("training.cds").launcher(Launcher.of(command)).start()) {
        trainee.awaitReady(TRAINING_DEADLINE);
        trainee.stop(TRAINING_DEADLINE);
      }
      if (!Files.isRegularFile(archive)) {
        System.out.printf("[kith-test] no class archive was written; devices start without%n");
        return new Plan(List.of(), classpath);
      }
      System.out.printf(
          "[kith-test] class archive %s (%d MB) made in %d ms%n",
          archive, Files.size(archive) >> 20, (System.nanoTime() - started) / 1_000_000);
      return new Plan(List.of("-XX:SharedArchiveFile=" + archive), jarred);
    } catch (IOException | RuntimeException | AssertionError e) {
      System.out.printf("[kith-test] devices start without a class archive: %s%n", e);
      return new Plan(List.of(), classpath);
    }
  }

  /** The class path with each folder replaced by a jar of its files. */
  private static String jarFolders(String classpath, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    int n = 0;
    for (String entry : classpath.split(java.io.File.pathSeparator)) {
      Path path = Path.of(entry);
      if (Files.isDirectory(path)) {
        Path jar = dir.resolve("folder-" + n++ + ".jar").toAbsolutePath();
        pack(path, jar);
        out.add(jar.toString());
      } else if (Files.isRegularFile(path)) {
        out.add(entry);
      }
    }
    return String.join(java.io.File.pathSeparator, out);
  }

  private static void pack(Path folder, Path jar) throws IOException {
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file);
        Stream<Path> files = Files.walk(folder)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (f.equals(folder)) {
          continue;
        }
        String name = folder.relativize(f).toString().replace('\\', '/');
        if (Files.isDirectory(f)) {
          out.putNextEntry(new JarEntry(name + "/"));
        } else {
          out.putNextEntry(new JarEntry(name));
          try {
            Files.copy(f, out);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot pack " + f, e);
          }
        }
        out.closeEntry();
      }
    }
  }
}
