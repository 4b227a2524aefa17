package dev.kith.deploy.bench;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;

import dev.kith.deploy.bench.Testbed.Fault;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.Prober;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;

/**
 * One failover run: with the mesh whole, find the node X that hosts alice's probe, probe it every
 * 50 ms through another node, break X, and time how long until a probe is answered again by a node
 * other than X. Then read the move's detection and placement times where the system reports them,
 * undo the fault, and wait until the mesh is whole and stable again for the next run.
 *
 * <p>Measured from the instant just before the fault is injected: <em>serving again</em>, when the
 * first answer from another node arrived; <em>detection</em> and <em>placement</em>, Kith's {@code
 * detectedAt} and {@code placedAt} of the move ({@code /api/mesh/events}); for the baseline,
 * detection is when the probing node's Hazelcast membership first lacks X, and placement is the
 * same as serving again (Vert.x HA reports nothing finer). <em>Failed probes</em> counts the probes
 * sent from the fault until {@link #WATCH_AFTER} after serving again that got no 200.
 */
public final class FailoverRun {

  /** How often the prober sends a probe. */
  public static final Duration PROBE_PERIOD = Duration.ofMillis(50);

  /** How long one probe may take before it counts as failed. */
  public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

  /** How long probes are still watched for failures once the service answers again. */
  public static final Duration WATCH_AFTER = Duration.ofSeconds(2);

  /** How long the mesh must stay whole before a run starts. */
  private static final Duration STABLE_FOR = Duration.ofSeconds(3);

  /** The outcome of one run. Times are milliseconds after the fault; null where not known. */
  public record Result(
      SystemUnderTest system,
      Fault fault,
      int run,
      String from,
      String via,
      String to,
      Long detectionMillis,
      Long placementMillis,
      Long servingAgainMillis,
      int failedProbes,
      int probes,
      String note) {

    /** Whether the service did not answer again before the cap. */
    public boolean capped() {
      return servingAgainMillis == null;
    }

    @Override
    public String toString() {
      return String.format(
          "%s %s run %d: %s -> %s via %s: detection %s, placement %s, serving again %s,"
              + " failed probes %d of %d%s",
          system.option(),
          fault.option(),
          run,
          from,
          to == null ? "?" : to,
          via,
          ms(detectionMillis),
          ms(placementMillis),
          capped() ? "capped" : ms(servingAgainMillis),
          failedProbes,
          probes,
          note.isEmpty() ? "" : " (" + note + ")");
    }

    private static String ms(Long millis) {
      return millis == null ? "-" : millis + " ms";
    }
  }

  private final Testbed bed;
  private final SystemUnderTest system;
  private final Duration cap;
  private final Duration wholeTimeout;

  /**
   * Runs on {@code bed}, which runs {@code system}; a run waits at most {@code cap} for the service
   * to answer again, and the mesh gets {@code wholeTimeout} to become whole after a restore.
   */
  public FailoverRun(Testbed bed, SystemUnderTest system, Duration cap, Duration wholeTimeout) {
    this.bed = bed;
    this.system = system;
    this.cap = cap;
    this.wholeTimeout = wholeTimeout;
  }

  /** Waits until the mesh is whole and has stayed so for a few seconds. */
  public Duration awaitWholeAndStable() {
    long start = System.nanoTime();
    long end = start + wholeTimeout.toNanos();
    while (true) {
      eventually(
          Duration.ofNanos(Math.max(0, end - System.nanoTime())), () -> system.checkWhole(bed));
      try {
        allTheTime(STABLE_FOR, () -> system.checkWhole(bed));
        return Duration.ofNanos(System.nanoTime() - start);
      } catch (AssertionError e) {
        if (System.nanoTime() - end >= 0) {
          throw new AssertionError(
              "the mesh did not stay whole for "
                  + STABLE_FOR.toMillis()
                  + " ms within "
                  + wholeTimeout.toMillis()
                  + " ms",
              e);
        }
      }
    }
  }

  /** Runs {@code fault} once, restores the mesh, and returns what was measured. */
  public Result run(Fault fault, int run) {
    awaitWholeAndStable();
    String from = system.host(bed);
    int victim = bed.indexOf(from);
    int via = victim == 0 ? 1 : 0;
    String probeUrl = bed.httpUrl(via) + SystemUnderTest.PROBE_PATH;
    StringBuilder note = new StringBuilder();
    Long detection = null;
    Long placement = null;
    Long servingAgain;
    String to;
    int failed;
    int probes;
    try (Prober prober = Prober.start(probeUrl, PROBE_PERIOD, PROBE_TIMEOUT)) {
      eventually(
          Duration.ofSeconds(10),
          () -> {
            if (!prober.lastAnsweredBy(from, 5)) {
              throw new AssertionError(
                  "probes through " + bed.name(via) + " not answered by " + from);
            }
          });

      // Fault.
      long faultMillis = System.currentTimeMillis();
      long faultNanos = System.nanoTime();
      bed.inject(fault, victim);

      // Wait until another node answers, or the cap.
      long nextStatus = faultNanos;
      Optional<Prober.Sample> served = Optional.empty();
      while (System.nanoTime() - (faultNanos + cap.toNanos()) < 0) {
        served = prober.firstAnswerNotFrom(from, faultNanos);
        if (served.isPresent()) {
          break;
        }
        if (system == SystemUnderTest.BASELINE
            && detection == null
            && System.nanoTime() - nextStatus >= 0) {
          detection = baselineDetection(via, faultNanos);
          nextStatus = System.nanoTime() + PROBE_PERIOD.toNanos() * 2;
        }
        pause(Duration.ofMillis(10));
      }
      servingAgain = served.map(s -> toMillis(s.doneNanos() - faultNanos)).orElse(null);
      long watchedUntil;
      if (served.isPresent()) {
        watchedUntil = served.get().doneNanos() + WATCH_AFTER.toNanos();
        pause(Duration.ofNanos(watchedUntil - System.nanoTime()).plus(PROBE_TIMEOUT));
      } else {
        watchedUntil = System.nanoTime();
        note.append("no answer from another node within ").append(cap.toSeconds()).append(" s");
        pause(PROBE_TIMEOUT);
      }
      failed = prober.failedBetween(faultNanos, watchedUntil);
      probes = prober.sentBetween(faultNanos, watchedUntil);

      // The move, as the system reports it.
      to = served.map(Prober.Sample::device).orElse(null);
      if (system == SystemUnderTest.KITH) {
        Optional<SystemUnderTest.Move> move =
            kithMove(via, from, faultMillis, servingAgain != null);
        if (move.isPresent()) {
          detection = since(faultMillis, move.get().detectedAt());
          placement = since(faultMillis, move.get().placedAt());
          if (to != null && !to.equals(move.get().to())) {
            append(note, "moved to " + move.get().to() + " but first answered by " + to);
          }
        } else {
          append(note, "no move event from " + from);
        }
      } else {
        placement = servingAgain;
        if (detection == null && servingAgain != null) {
          detection = baselineDetection(via, faultNanos);
          if (detection != null) {
            // Membership was read after the answer came back: no finer than serving again.
            detection = Math.min(detection, servingAgain);
          }
        }
      }
    }

    // Recovery: undo the fault and wait for the mesh to be whole again.
    restore(fault, victim, note);
    return new Result(
        system,
        fault,
        run,
        from,
        bed.name(via),
        to,
        detection,
        placement,
        servingAgain,
        failed,
        probes,
        note.toString());
  }

  /**
   * Undoes the fault. Baseline nodes that were paused or cut off are restarted instead: with
   * Hazelcast's defaults a dropped member merges back only after 300 s. Where the mesh is not whole
   * in time, the broken node is restarted once.
   */
  private void restore(Fault fault, int victim, StringBuilder note) {
    if (system == SystemUnderTest.BASELINE && fault != Fault.KILL) {
      bed.restart(victim);
    } else {
      bed.restore(fault, victim);
    }
    try {
      awaitWholeAndStable();
    } catch (AssertionError e) {
      append(note, "restarted " + bed.name(victim) + " to make the mesh whole: " + firstLine(e));
      bed.restart(victim);
      awaitWholeAndStable();
    }
  }

  private Optional<SystemUnderTest.Move> kithMove(
      int via, String from, long faultMillis, boolean served) {
    try {
      return Optional.of(
          eventually(
              served ? Duration.ofSeconds(15) : Duration.ofSeconds(2),
              () -> system.move(bed, via, from, faultMillis).orElseThrow()));
    } catch (AssertionError e) {
      return Optional.empty();
    }
  }

  /**
   * Milliseconds after the fault at which {@code via} lacked a member, or null if it still has all.
   */
  private Long baselineDetection(int via, long faultNanos) {
    try {
      JsonObject status = Http.getJson(bed.httpUrl(via) + "/api/baseline/status");
      if (status.getInteger("members") < bed.size()) {
        return toMillis(System.nanoTime() - faultNanos);
      }
    } catch (RuntimeException | AssertionError e) {
      // Not known this time; asked again shortly.
    }
    return null;
  }

  private static Long since(long faultMillis, Long at) {
    return at == null ? null : at - faultMillis;
  }

  private static long toMillis(long nanos) {
    return Math.round(nanos / 1e6);
  }

  private static void append(StringBuilder note, String text) {
    if (note.length() > 0) {
      note.append("; ");
    }
    note.append(text);
  }

  private static String firstLine(Throwable e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static void pause(Duration duration) {
    if (duration.isNegative() || duration.isZero()) {
      return;
    }
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during a run", e);
    }
  }
}
