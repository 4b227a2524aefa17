package dev.kith.deploy.bench;

import dev.kith.deploy.bench.FailoverRun.Result;
import dev.kith.deploy.bench.Testbed.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Turns the runs into Markdown tables: for each system and fault, detection, placement and
 * serving-again times as median, p95 and max over the runs, and the failed probes; then, for each
 * fault, the baseline's times divided by Kith's. A run that hit the cap counts as longer than the
 * cap in every time it lacks, and is shown as {@code >cap}.
 */
final class Report {

  private Report() {}

  /** Median, p95 (nearest rank) and max; infinity stands for a capped run. */
  record Stats(int count, double median, double p95, double max) {

    static Stats of(List<Double> values) {
      List<Double> sorted = new ArrayList<>(values);
      Collections.sort(sorted);
      int n = sorted.size();
      if (n == 0) {
        return new Stats(0, Double.NaN, Double.NaN, Double.NaN);
      }
      double median =
          n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
      double p95 = sorted.get((int) Math.ceil(0.95 * n) - 1);
      return new Stats(n, median, p95, sorted.get(n - 1));
    }
  }

  /** The per-system, per-fault table of times in seconds. */
  static String table(
      List<Result> results,
      List<SystemUnderTest> systems,
      List<Fault> faults,
      boolean loopback,
      Duration cap) {
    StringBuilder out = new StringBuilder();
    out.append("| system | fault | runs | detection (s) median / p95 / max")
        .append(" | placement (s) median / p95 / max | serving again (s) median / p95 / max")
        .append(" | failed probes median / max |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    for (SystemUnderTest system : systems) {
      for (Fault fault : faults) {
        List<Result> runs = select(results, system, fault);
        if (runs.isEmpty()) {
          continue;
        }
        Stats failed = Stats.of(runs.stream().map(r -> (double) r.failedProbes()).toList());
        out.append("| ")
            .append(system == SystemUnderTest.KITH ? "kith" : "baseline (Vert.x HA)")
            .append(" | ")
            .append(fault.how(loopback))
            .append(" | ")
            .append(runs.size())
            .append(" | ")
            .append(cell(times(runs, Result::detectionMillis), cap))
            .append(" | ")
            .append(cell(times(runs, Result::placementMillis), cap))
            .append(" | ")
            .append(cell(times(runs, Result::servingAgainMillis), cap))
            .append(" | ")
            .append(String.format(Locale.ROOT, "%.0f / %.0f", failed.median(), failed.max()))
            .append(" |\n");
      }
    }
    return out.toString();
  }

  /** For each fault, the baseline's serving-again and detection times divided by Kith's. */
  static String ratios(List<Result> results, List<Fault> faults, boolean loopback, Duration cap) {
    StringBuilder out = new StringBuilder();
    out.append("| fault | serving again, median: baseline / kith | ratio")
        .append(" | p95 ratio | max ratio | detection, median: baseline / kith | ratio |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    for (Fault fault : faults) {
      List<Result> kith = select(results, SystemUnderTest.KITH, fault);
      List<Result> base = select(results, SystemUnderTest.BASELINE, fault);
      if (kith.isEmpty() || base.isEmpty()) {
        continue;
      }
      Stats k = Stats.of(times(kith, Result::servingAgainMillis));
      Stats b = Stats.of(times(base, Result::servingAgainMillis));
      Stats kd = Stats.of(times(kith, Result::detectionMillis));
      Stats bd = Stats.of(times(base, Result::detectionMillis));
      out.append("| ")
          .append(fault.how(loopback))
          .append(" | ")
          .append(seconds(b.median(), cap))
          .append(" / ")
          .append(seconds(k.median(), cap))
          .append(" | ")
          .append(ratio(b.median(), k.median(), cap))
          .append(" | ")
          .append(ratio(b.p95(), k.p95(), cap))
          .append(" | ")
          .append(ratio(b.max(), k.max(), cap))
          .append(" | ")
          .append(seconds(bd.median(), cap))
          .append(" / ")
          .append(seconds(kd.median(), cap))
          .append(" | ")
          .append(ratio(bd.median(), kd.median(), cap))
          .append(" |\n");
    }
    return out.toString();
  }

  private static List<Result> select(List<Result> results, SystemUnderTest system, Fault fault) {
    return results.stream().filter(r -> r.system() == system && r.fault() == fault).toList();
  }

  /**
   * One time per run in seconds: infinity for a run that hit the cap without this time; a run that
   * was served but lacks this time (no move event) is left out.
   */
  private static List<Double> times(List<Result> runs, Function<Result, Long> time) {
    List<Double> out = new ArrayList<>();
    for (Result run : runs) {
      Long millis = time.apply(run);
      if (millis != null) {
        out.add(millis / 1000.0);
      } else if (run.capped()) {
        out.add(Double.POSITIVE_INFINITY);
      }
    }
    return out;
  }

  private static String cell(List<Double> values, Duration cap) {
    Stats stats = Stats.of(values);
    if (stats.count() == 0) {
      return "-";
    }
    return seconds(stats.median(), cap)
        + " / "
        + seconds(stats.p95(), cap)
        + " / "
        + seconds(stats.max(), cap);
  }

  private static String seconds(double value, Duration cap) {
    if (Double.isNaN(value)) {
      return "-";
    }
    if (Double.isInfinite(value)) {
      return ">" + cap.toSeconds();
    }
    return String.format(Locale.ROOT, "%.2f", value);
  }

  private static String ratio(double baseline, double kith, Duration cap) {
    if (Double.isNaN(baseline) || Double.isNaN(kith) || Double.isInfinite(kith) || kith <= 0) {
      return "-";
    }
    if (Double.isInfinite(baseline)) {
      return String.format(Locale.ROOT, ">%.1fx", cap.toSeconds() / kith);
    }
    return String.format(Locale.ROOT, "%.1fx", baseline / kith);
  }
}
