package dev.kith.health.sampling;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Samples a device's load and capacity: system CPU use, the JVM heap, and free disk in the device's
 * home directory, where its vault lives. It is meant to run once a second, so it keeps what is
 * costly to find (the home directory's file store, which the JDK finds by reading the mount table)
 * and asks only for current figures each time. It never throws: a figure the platform will not give
 * is NaN or -1, and the next sample tries again. The disk query is a system call that a hung
 * network file system can stall, so callers sample on a worker.
 */
public final class LoadSampler {

  private final Path home;
  private final OperatingSystemMXBean os;
  private final Runtime runtime;
  private volatile FileStore store;

  public LoadSampler(Path home) {
    this(home, ManagementFactory.getOperatingSystemMXBean(), Runtime.getRuntime());
  }

  /** A sampler reading the given beans, so tests can stand in for platforms that hide figures. */
  LoadSampler(Path home, OperatingSystemMXBean os, Runtime runtime) {
    this.home = home;
    this.os = os;
    this.runtime = runtime;
  }

  /** The figures now. Never throws. */
  public LoadStatus sample() {
    return new LoadStatus(cpuLoad(), heapUsedBytes(), heapMaxBytes(), freeDiskBytes());
  }

  double cpuLoad() {
    try {
      if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
        // Container-aware since JDK 14; negative until the JVM has two readings to compare.
        double load = sun.getCpuLoad();
        if (load >= 0.0 && load <= 1.0) {
          return load;
        }
      }
      double average = os.getSystemLoadAverage();
      int cpus = os.getAvailableProcessors();
      if (average < 0 || cpus <= 0) {
        return Double.NaN;
      }
      // The load average counts runnable threads, so a busy machine can exceed one per core.
      return Math.min(1.0, average / cpus);
    } catch (RuntimeException | LinkageError e) {
      return Double.NaN;
    }
  }

  private long heapUsedBytes() {
    long used = runtime.totalMemory() - runtime.freeMemory();
    return used >= 0 ? used : -1;
  }

  private long heapMaxBytes() {
    long max = runtime.maxMemory();
    return max > 0 && max != Long.MAX_VALUE ? max : -1;
  }

  private long freeDiskBytes() {
    try {
      FileStore known = store;
      if (known == null) {
        known = Files.getFileStore(home);
        store = known;
      }
      return known.getUsableSpace();
    } catch (IOException | RuntimeException e) {
      // The home may be created later or remounted; find its store afresh next time.
      store = null;
      return -1;
    }
  }
}
