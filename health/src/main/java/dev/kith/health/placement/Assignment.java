package dev.kith.health.placement;

import java.util.Objects;

/**
 * Where an instance was placed, under which controller epoch, and since when.
 *
 * @param device the device told to run the instance
 * @param epoch the controller epoch of the placement, which fences stale instances
 * @param sinceMillis when the placement was made
 */
public record Assignment(String device, long epoch, long sinceMillis) {

  public Assignment {
    Objects.requireNonNull(device, "device");
  }
}
