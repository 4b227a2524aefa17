package dev.kith.health.power;

import java.util.Optional;

/**
 * The power source a device reads, which a {@link PowerRequest} can replace at run time. Until the
 * first request it reads the configured source; a request turns it into a {@link SimulatedPower}
 * with the requested state, or changes the simulated one in place (keeping its rate). A request
 * replaces even a real battery reading: that is for demos and tests, where one wants to see
 * services leave a device on a low battery without draining one. Each change bumps {@link
 * #generation()}, so a reading taken before the change can be told apart. Safe to use from several
 * threads; {@link #read()} may touch files, like the source it wraps.
 */
public final class SwitchablePower implements PowerSource {

  private volatile PowerSource source;
  private volatile long generation;

  public SwitchablePower(PowerSource initial) {
    this.source = initial;
  }

  @Override
  public PowerStatus read() {
    return source.read();
  }

  @Override
  public Optional<String> lastProblem() {
    return source.lastProblem();
  }

  /** The source read now. */
  public PowerSource current() {
    return source;
  }

  /** How many times a request has changed the source. */
  public long generation() {
    return generation;
  }

  /**
   * Applies a request and returns the power from now on. Never touches files, so it may run on an
   * event loop.
   */
  public synchronized PowerStatus apply(PowerRequest request) {
    SimulatedPower simulated =
        source instanceof SimulatedPower s ? s : SimulatedPower.mains(System::nanoTime);
    if (request.mains()) {
      simulated.setMains();
    } else {
      simulated.set(request.level(), request.charging());
    }
    source = simulated;
    generation++;
    return simulated.read();
  }
}
