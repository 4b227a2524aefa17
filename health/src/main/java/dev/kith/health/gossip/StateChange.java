package dev.kith.health.gossip;

/**
 * One device's state changed in a {@link MeshView}. The placement controller subscribes to these
 * with {@link MeshView#onChange}.
 *
 * @param device the device whose state changed
 * @param from its state before, or {@code null} when the view first hears of the device
 * @param to its state now
 * @param incarnation the incarnation that {@code to} is about; a device that restarted before it
 *     was declared dead shows up as a change from ALIVE to ALIVE with a new incarnation, because
 *     whatever the old process ran is gone
 * @param atMillis the observer's wall clock at the change, in epoch milliseconds
 * @param silenceMillis how long the device had been silent at the change
 */
public record StateChange(
    String device,
    Liveness from,
    Liveness to,
    long incarnation,
    long atMillis,
    long silenceMillis) {

  /** Whether the device is new to the view. */
  public boolean firstSeen() {
    return from == null;
  }
}
