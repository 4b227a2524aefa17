package dev.kith.health.power;

import java.util.Optional;

/**
 * Where a device learns how it is powered: the Linux kernel's power supply class on real hardware,
 * or a simulation in containers and demos. A reading never fails; a source that cannot tell reports
 * mains, so a device is never drained of its services because a file was missing, and says why
 * through {@link #lastProblem()}. Readings may touch the file system, so callers take them off the
 * event loop.
 */
public interface PowerSource {

  /** The power status now. Never throws. */
  PowerStatus read();

  /** Why the last reading was a guess, in one line; empty when it was not. */
  default Optional<String> lastProblem() {
    return Optional.empty();
  }
}
