package dev.kith.mesh;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How fast a device's background work runs: at its normal pace, or {@link #SAVING_FACTOR} times
 * slower while the device saves power (it runs on battery).
 *
 * <p>Background work is what keeps a device's views fresh when no event says they changed: reading
 * the device registry and the placement map again in case a listener missed an entry, checking the
 * vault's replica sets, closing connections of removed devices. Events still act at once whatever
 * the tempo; only the safety-net rounds come less often. The health module sets the tempo from the
 * device's power; a device on mains, and every device that never hears otherwise, runs at the
 * normal pace.
 */
public final class Tempo {

  private static final Logger log = LoggerFactory.getLogger(Tempo.class);

  /** How many times longer a background period is while the device saves power. */
  public static final int SAVING_FACTOR = 4;

  private final String device;
  private volatile boolean saving;

  public Tempo(String device) {
    this.device = device;
  }

  /** Whether the device saves power now. */
  public boolean saving() {
    return saving;
  }

  /** Sets whether the device saves power; logs a change. Safe from any thread. */
  public void save(boolean saving) {
    if (this.saving != saving) {
      this.saving = saving;
      log.info(
          "{}: {}",
          device,
          saving
              ? "on battery: background rounds run " + SAVING_FACTOR + "x less often"
              : "on mains: background rounds run at the normal pace");
    }
  }

  /** The period to wait now for work whose normal period is {@code normalMillis}. */
  public long period(long normalMillis) {
    return saving ? normalMillis * SAVING_FACTOR : normalMillis;
  }

  /**
   * Runs {@code task} on the calling context every {@link #period} of {@code normalMillis}, each
   * wait measured at the tempo of its start, until the returned round is cancelled.
   */
  public Round every(Vertx vertx, long normalMillis, Runnable task) {
    Round round = new Round(vertx, normalMillis, task);
    round.schedule();
    return round;
  }

  /** Work that repeats at the device's tempo. */
  public final class Round {
    private final Vertx vertx;
    private final long normalMillis;
    private final Runnable task;
    private volatile boolean cancelled;
    private volatile long timer = -1;

    private Round(Vertx vertx, long normalMillis, Runnable task) {
      this.vertx = vertx;
      this.normalMillis = normalMillis;
      this.task = task;
    }

    private void schedule() {
      timer =
          vertx.setTimer(
              period(normalMillis),
              t -> {
                if (cancelled) {
                  return;
                }
                try {
                  task.run();
                } finally {
                  if (!cancelled) {
                    schedule();
                  }
                }
              });
    }

    /** Stops the rounds; one that runs now completes. */
    public void cancel() {
      cancelled = true;
      vertx.cancelTimer(timer);
    }
  }
}
