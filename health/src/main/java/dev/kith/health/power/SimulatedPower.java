package dev.kith.health.power;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * A power source that follows a script instead of hardware, for containers and demos, where {@code
 * /sys/class/power_supply} shows the host's battery or none. It is written as a spec: {@code
 * mains}, or {@code battery:LEVEL[:charging|discharging[:PERCENT_PER_MINUTE]]}, for example {@code
 * battery:0.80:discharging:0.5} (80%, losing half a percentage point a minute) or {@code
 * battery:0.30:charging:2}. The level moves linearly with the time on an injected monotonic clock,
 * and stops at 0 and 1. {@link #set} changes the level and direction at run time, as the {@code PUT
 * /api/mesh/devices/{name}/power} endpoint does, keeping the rate. Safe to use from several
 * threads.
 */
public final class SimulatedPower implements PowerSource {

  static final String GRAMMAR =
      "expected 'mains' or 'battery:LEVEL[:charging|discharging[:PERCENT_PER_MINUTE]]'";
  private static final Pattern NUMBER = Pattern.compile("-?(\\d+(\\.\\d*)?|\\.\\d+)");
  private static final double NANOS_PER_MINUTE = 60e9;
  private static final int MAX_SHOWN = 60;

  private final LongSupplier nanos;
  private boolean mains;
  private double levelAtAnchor;
  private long anchorNanos;
  private boolean charging;
  private double percentPerMinute;

  private SimulatedPower(
      LongSupplier nanos, boolean mains, double level, boolean charging, double percentPerMinute) {
    this.nanos = nanos;
    this.mains = mains;
    this.levelAtAnchor = level;
    this.anchorNanos = nanos.getAsLong();
    this.charging = charging;
    this.percentPerMinute = percentPerMinute;
  }

  /** A source on mains, for tests that later unplug it. */
  public static SimulatedPower mains(LongSupplier nanos) {
    return new SimulatedPower(nanos, true, 1.0, false, 0);
  }

  /** Parses a spec on the system's monotonic clock. */
  public static SimulatedPower parse(String spec) {
    return parse(spec, System::nanoTime);
  }

  /**
   * Parses a spec, with the level moving on the given clock.
   *
   * @param nanos a monotonic clock in nanoseconds, like {@link System#nanoTime()}
   * @throws IllegalArgumentException with a one-line message that quotes the spec and names the
   *     part that is wrong
   */
  public static SimulatedPower parse(String spec, LongSupplier nanos) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("power: empty spec; " + GRAMMAR);
    }
    String[] parts = spec.trim().split(":", -1);
    String kind = parts[0].trim().toLowerCase(Locale.ROOT);
    if (kind.equals("mains")) {
      if (parts.length > 1) {
        throw invalid(spec, "'mains' takes nothing after it");
      }
      return mains(nanos);
    }
    if (!kind.equals("battery")) {
      throw invalid(spec, "unknown source '" + shown(parts[0]) + "'; " + GRAMMAR);
    }
    if (parts.length < 2) {
      throw invalid(spec, "the level is missing; " + GRAMMAR);
    }
    if (parts.length > 4) {
      throw invalid(spec, "unexpected '" + shown(parts[4]) + "' after the rate; " + GRAMMAR);
    }
    double level = number(spec, "level", parts[1]);
    if (level > 1.0 || level < 0.0) {
      throw invalid(
          spec, "level " + shown(parts[1]) + " is outside 0..1 (a fraction: 0.80 means 80%)");
    }
    boolean charging = false;
    if (parts.length > 2) {
      String state = parts[2].trim().toLowerCase(Locale.ROOT);
      if (!state.equals("charging") && !state.equals("discharging")) {
        throw invalid(spec, "state '" + shown(parts[2]) + "' must be 'charging' or 'discharging'");
      }
      charging = state.equals("charging");
    }
    double rate = 0;
    if (parts.length > 3) {
      rate = number(spec, "rate", parts[3]);
      if (rate < 0) {
        throw invalid(
            spec,
            "rate "
                + shown(parts[3])
                + " must not be negative; say 'charging' or 'discharging' for the direction");
      }
    }
    return new SimulatedPower(nanos, false, level, charging, rate);
  }

  @Override
  public synchronized PowerStatus read() {
    return mains ? PowerStatus.MAINS : PowerStatus.battery(levelNow(), charging);
  }

  /**
   * Sets the battery level and direction from now on, keeping the rate. A source on mains becomes a
   * battery one whose level holds still until a spec with a rate replaces it.
   *
   * @throws IllegalArgumentException if the level is outside 0..1
   */
  public synchronized void set(double level, boolean charging) {
    set(level, charging, percentPerMinute);
  }

  /**
   * Sets the battery level, direction and rate from now on.
   *
   * @param percentPerMinute how many percentage points the level moves a minute
   * @throws IllegalArgumentException if the level is outside 0..1 or the rate is negative
   */
  public synchronized void set(double level, boolean charging, double percentPerMinute) {
    if (!(level >= 0.0 && level <= 1.0)) {
      throw new IllegalArgumentException("power: level " + level + " is outside 0..1");
    }
    if (!(percentPerMinute >= 0.0 && Double.isFinite(percentPerMinute))) {
      throw new IllegalArgumentException(
          "power: rate " + percentPerMinute + " must be a number of percent per minute, 0 or more");
    }
    this.mains = false;
    this.levelAtAnchor = level;
    this.anchorNanos = nanos.getAsLong();
    this.charging = charging;
    this.percentPerMinute = percentPerMinute;
  }

  /** Plugs the device in: it reports mains until the next {@link #set}. */
  public synchronized void setMains() {
    this.levelAtAnchor = levelNow();
    this.anchorNanos = nanos.getAsLong();
    this.mains = true;
  }

  /** The spec that would recreate this source as it is now. */
  public synchronized String toSpec() {
    if (mains) {
      return "mains";
    }
    DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
    return "battery:"
        + new DecimalFormat("0.00##", symbols).format(levelNow())
        + (charging ? ":charging:" : ":discharging:")
        + new DecimalFormat("0.###", symbols).format(percentPerMinute);
  }

  @Override
  public String toString() {
    return "SimulatedPower[" + toSpec() + "]";
  }

  private double levelNow() {
    if (mains) {
      return levelAtAnchor;
    }
    double minutes = (nanos.getAsLong() - anchorNanos) / NANOS_PER_MINUTE;
    double change = percentPerMinute / 100.0 * minutes;
    double level = charging ? levelAtAnchor + change : levelAtAnchor - change;
    return Math.max(0.0, Math.min(1.0, level));
  }

  private static double number(String spec, String what, String text) {
    String trimmed = text.trim();
    // Double.parseDouble would also take "NaN", "Infinity", "0x1p3" and "0.5d".
    if (!NUMBER.matcher(trimmed).matches()) {
      throw invalid(spec, what + " '" + shown(trimmed) + "' is not a number");
    }
    return Double.parseDouble(trimmed);
  }

  private static IllegalArgumentException invalid(String spec, String problem) {
    return new IllegalArgumentException("power: '" + shown(spec) + "': " + problem);
  }

  /** The spec as an error quotes it: on one line and short, whatever the environment held. */
  private static String shown(String text) {
    String line = text.trim().replaceAll("\\p{Cntrl}", "?");
    return line.length() > MAX_SHOWN ? line.substring(0, MAX_SHOWN) + "..." : line;
  }
}
