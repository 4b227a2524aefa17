package dev.kith.health.placement;

import dev.kith.health.power.PowerStatus;
import java.util.Objects;

/**
 * A device as the controller last heard of it through gossip, offered to the placer as a home for
 * instances.
 *
 * @param device the device's name, {@code NAME.OWNER}
 * @param owner the owner of the device
 * @param alive whether the failure detector counts it alive (not suspect, dead or left)
 * @param drained whether an operator asked for everything to move off it
 * @param power how it is powered
 * @param cpuLoad its CPU use, in the units of {@link ServiceSpec#load()}; NaN when unknown, which
 *     ranks after every known load
 * @param freeDiskBytes the space it may still write, or -1 when unknown
 * @param aliveSinceMillis when it last became alive, on the clock of {@link
 *     PlacementInput#nowMillis()}
 */
public record Candidate(
    String device,
    String owner,
    boolean alive,
    boolean drained,
    PowerStatus power,
    double cpuLoad,
    long freeDiskBytes,
    long aliveSinceMillis) {

  public Candidate {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(power, "power");
  }

  /** Whether it is alive and not drained: what every policy requires of a device. */
  public boolean available() {
    return alive && !drained;
  }

  /** On its battery and not charging, so every service it hosts shortens its life. */
  public boolean discharging() {
    return power.isBattery() && !power.charging();
  }

  /** Discharging and below the ratio: it should hand its services off. */
  public boolean low(double lowBatteryRatio) {
    return discharging() && power.batteryLevel() < lowBatteryRatio;
  }
}
