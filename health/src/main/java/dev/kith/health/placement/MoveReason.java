package dev.kith.health.placement;

/** Why an instance is placed or moved; it labels events and the failover metric. */
public enum MoveReason {
  /** It was not placed yet. */
  NEW("new"),
  /**
   * Its device is gone: dead, left, unknown, or no longer allowed to host it (an owner-only service
   * on another owner's device).
   */
  FAILED("failed"),
  /** Its device is on battery below the threshold and not charging. */
  LOW_BATTERY("low-battery"),
  /** An operator drained its device. */
  DRAIN("drain"),
  /** A device earlier in the owner's failover order came back, and the owner wants it used. */
  TAKEOVER("takeover"),
  /**
   * It moved off a discharging battery to a device on mains (or charging) that its owner prefers at
   * least as much, even with takeover off.
   */
  POWER("power");

  private final String wireName;

  MoveReason(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in JSON, metrics and logs. */
  public String wireName() {
    return wireName;
  }
}
