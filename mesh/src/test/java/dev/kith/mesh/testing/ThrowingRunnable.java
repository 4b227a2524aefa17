package dev.kith.mesh.testing;

/**
 * An assertion block that may throw anything a test throws: an {@link AssertionError} from AssertJ,
 * or a checked exception from I/O. {@link Eventually} retries it until it passes.
 */
@FunctionalInterface
public interface ThrowingRunnable {

  /** Runs the block; returning normally means it passed. */
  void run() throws Exception;
}
