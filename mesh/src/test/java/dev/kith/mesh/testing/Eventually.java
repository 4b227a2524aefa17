package dev.kith.mesh.testing;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Assertions about things that change over time, so that tests never sleep and then assert. {@link
 * #eventually} polls until an assertion passes or its deadline passes, and then fails with the last
 * failure and how long it waited; {@link #allTheTime} asserts continuously for a whole period and
 * fails at the first moment the assertion stops holding. Failures are {@link AssertionError}s or
 * exceptions thrown by the block; other errors (out of memory, for example) propagate at once.
 */
public final class Eventually {

  /** How long to wait between two attempts. */
  public static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  private Eventually() {}

  /**
   * Runs {@code assertion} every {@link #POLL_INTERVAL} until it passes, and returns how long that
   * took. When {@code deadline} has passed, throws an {@link AssertionError} that carries the last
   * failure as its cause.
   */
  public static Duration eventually(Duration deadline, ThrowingRunnable assertion) {
    long start = System.nanoTime();
    eventually(
        deadline,
        () -> {
          assertion.run();
          return null;
        });
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /**
   * Calls {@code supplier} every {@link #POLL_INTERVAL} until it returns without throwing, and
   * returns its value. When {@code deadline} has passed, throws an {@link AssertionError} that
   * carries the last failure as its cause.
   */
  public static <T> T eventually(Duration deadline, Callable<T> supplier) {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    int attempts = 0;
    Throwable last;
    while (true) {
      attempts++;
      try {
        return supplier.call();
      } catch (AssertionError | Exception e) {
        last = e;
      }
      if (System.nanoTime() - end >= 0) {
        break;
      }
      pause(Math.min(POLL_INTERVAL.toNanos(), Math.max(0, end - System.nanoTime())));
    }
    throw new AssertionError(
        String.format(
            "Still failing after waiting %d ms (deadline %d ms, %d attempts): %s",
            Duration.ofNanos(System.nanoTime() - start).toMillis(),
            deadline.toMillis(),
            attempts,
            last),
        last);
  }

  /**
   * Runs {@code assertion} every {@link #POLL_INTERVAL} for the whole {@code period}, and fails as
   * soon as one run fails, saying how long it had held.
   */
  public static void allTheTime(Duration period, ThrowingRunnable assertion) {
    long start = System.nanoTime();
    long end = start + period.toNanos();
    int attempts = 0;
    while (true) {
      attempts++;
      try {
        assertion.run();
      } catch (AssertionError | Exception e) {
        throw new AssertionError(
            String.format(
                "Stopped holding after %d ms of %d ms (attempt %d): %s",
                Duration.ofNanos(System.nanoTime() - start).toMillis(),
                period.toMillis(),
                attempts,
                e),
            e);
      }
      if (System.nanoTime() - end >= 0) {
        return;
      }
      pause(Math.min(POLL_INTERVAL.toNanos(), Math.max(0, end - System.nanoTime())));
    }
  }

  private static void pause(long nanos) {
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while waiting", e);
    }
  }
}
