package dev.kith.deploy.bench;

import dev.kith.deploy.bench.FailoverRun.Result;
import dev.kith.deploy.bench.Testbed.Fault;
import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.Docker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The failover benchmark (issue 3, item 9): how fast alice's probe, a one-per-owner service,
 * answers again through another device after the device hosting it fails, for Kith and for plain
 * Vert.x HA with default Hazelcast settings ({@link HaBaselineNode}), in the same run. For each
 * system it starts a mesh, then runs each fault on the hosting device {@code --runs} times (see
 * {@link FailoverRun}), and prints each run, then Markdown tables of median, p95 and max times and
 * the baseline / Kith ratios. Containers come from the local image ({@code -Dkith.image}); with
 * {@code --loopback} the nodes are JVM processes on 127.0.0.1 instead.
 */
public final class FailoverBenchmark {

  private static final String USAGE =
      """
      Usage: FailoverBenchmark [--runs N] [--faults kill,pause,disconnect] [--systems kith,baseline]
                               [--devices N] [--cap-seconds S] [--loopback] [--jar PATH]
        --runs N          runs per system and fault (default 10)
        --faults LIST     faults to inject on the hosting device (default kill,pause,disconnect;
                          with --loopback: kill,pause, as kill -9 and SIGSTOP)
        --systems LIST    kith, baseline or both (default kith,baseline)
        --devices N       devices per mesh, at least 2 (default 3)
        --cap-seconds S   longest wait for the service to answer again (default 180)
        --loopback        JVM processes on 127.0.0.1 instead of containers
        --jar PATH        kith.jar for --loopback (default: kith.jar next to the test classes)
      """;

  private FailoverBenchmark() {}

  /** Options, as parsed from the command line. */
  record Options(
      int runs,
      List<Fault> faults,
      List<SystemUnderTest> systems,
      int devices,
      Duration cap,
      boolean loopback,
      Path jar) {

    static Options parse(String[] args) {
      int runs = 10;
      List<Fault> faults = null;
      List<SystemUnderTest> systems = List.of(SystemUnderTest.KITH, SystemUnderTest.BASELINE);
      int devices = 3;
      Duration cap = Duration.ofSeconds(180);
      boolean loopback = false;
      Path jar = ContainerTestbed.classesFolder().resolveSibling("kith.jar");
      for (int i = 0; i < args.length; i++) {
        String key = args[i];
        if (key.equals("--loopback")) {
          loopback = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(
              key.startsWith("--") ? key + " needs a value" : "unknown argument '" + key + "'");
        }
        String value = args[++i];
        switch (key) {
          case "--runs" -> runs = positive(key, value, 1);
          case "--faults" -> faults = Fault.parseList(value);
          case "--systems" -> systems = SystemUnderTest.parseList(value);
          case "--devices" -> devices = positive(key, value, 2);
          case "--cap-seconds" -> cap = Duration.ofSeconds(positive(key, value, 1));
          case "--jar" -> jar = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option '" + key + "'");
        }
      }
      if (faults == null) {
        faults =
            loopback
                ? List.of(Fault.KILL, Fault.PAUSE)
                : List.of(Fault.KILL, Fault.PAUSE, Fault.DISCONNECT);
      }
      if (loopback && faults.contains(Fault.DISCONNECT)) {
        throw new IllegalArgumentException(
            "--faults disconnect needs containers: loopback has no network to cut");
      }
      if (loopback && !Files.isRegularFile(jar)) {
        throw new IllegalArgumentException(
            "no kith.jar at "
                + jar
                + "; build it (mvn -B -ntp -q install -DskipTests) or pass --jar");
      }
      return new Options(runs, faults, systems, devices, cap, loopback, jar);
    }

    private static int positive(String key, String value, int min) {
      try {
        int n = Integer.parseInt(value);
        if (n >= min) {
          return n;
        }
      } catch (NumberFormatException e) {
        // Reported below.
      }
      throw new IllegalArgumentException(
          key + " needs a whole number of at least " + min + ", not '" + value + "'");
    }
  }

  /**
   * Runs the benchmark; exits 2 on bad arguments or when containers are asked for without Docker.
   */
  public static void main(String[] args) {
    if (List.of(args).contains("--help")) {
      System.out.print(USAGE);
      return;
    }
    Options options;
    try {
      options = Options.parse(args);
      if (!options.loopback() && !Docker.available()) {
        throw new IllegalArgumentException(
            "no Docker engine is reachable; start one, or use --loopback");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("FailoverBenchmark: " + e.getMessage() + "\n" + USAGE);
      System.exit(2);
      return;
    }
    System.out.println(run(options));
  }

  /** Runs every system and fault that {@code options} name, and returns the report. */
  static String run(Options options) {
    Instant started = Instant.now();
    String setting = setting(options);
    System.out.println("Failover benchmark, " + setting);
    List<Result> results = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (SystemUnderTest system : options.systems()) {
      long start = System.nanoTime();
      System.out.printf("[bench] starting %d %s nodes%n", options.devices(), system.option());
      try (Testbed bed = startTestbed(system, options)) {
        FailoverRun runner = new FailoverRun(bed, system, options.cap(), Duration.ofSeconds(180));
        System.out.printf(
            "[bench] %s mesh whole after %d ms%n",
            system.option(), runner.awaitWholeAndStable().toMillis());
        for (Fault fault : options.faults()) {
          for (int run = 1; run <= options.runs(); run++) {
            Result result = runner.run(fault, run);
            results.add(result);
            System.out.println("[bench] " + result);
          }
        }
      } catch (RuntimeException | AssertionError e) {
        String problem = system.option() + " stopped early: " + e;
        problems.add(problem);
        System.out.println("[bench] ERROR " + problem);
        e.printStackTrace(System.out);
      }
      System.out.printf(
          "[bench] %s done in %d s%n",
          system.option(), Duration.ofNanos(System.nanoTime() - start).toSeconds());
    }
    StringBuilder report = new StringBuilder();
    report
        .append("\n## Failover benchmark results\n\n")
        .append(setting)
        .append(", started ")
        .append(started)
        .append(", took ")
        .append(Duration.between(started, Instant.now()).toMinutes())
        .append(" min.\n\n")
        .append(
            Report.table(
                results, options.systems(), options.faults(), options.loopback(), options.cap()))
        .append('\n')
        .append(Report.ratios(results, options.faults(), options.loopback(), options.cap()));
    for (Result result : results) {
      if (!result.note().isEmpty()) {
        report.append("\nNote: ").append(result);
      }
    }
    for (String problem : problems) {
      report.append("\nERROR: ").append(problem);
    }
    return report.append('\n').toString();
  }

  private static Testbed startTestbed(SystemUnderTest system, Options options) {
    return options.loopback()
        ? LoopbackTestbed.start(system, options.devices(), options.jar())
        : ContainerTestbed.start(system, options.devices());
  }

  private static String setting(Options options) {
    return String.format(
        "%d %s, %s, %d run(s) per fault, probe every %d ms with a %d ms timeout, cap %d s,"
            + " %d cores",
        options.devices(),
        options.loopback()
            ? "JVM processes on 127.0.0.1"
            : "containers from " + ContainerMesh.IMAGE,
        String.join(" and ", options.systems().stream().map(SystemUnderTest::option).toList()),
        options.runs(),
        FailoverRun.PROBE_PERIOD.toMillis(),
        FailoverRun.PROBE_TIMEOUT.toMillis(),
        options.cap().toSeconds(),
        Runtime.getRuntime().availableProcessors());
  }
}
