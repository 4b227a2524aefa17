package dev.kith.mesh.spi;

/** Where a service's instances run. The placement controller honours it; see DESIGN.md. */
public enum Placement {
  /** One instance on every device: stateless front parts. */
  EVERY_DEVICE("every-device"),
  /** One instance per owner, only on that owner's own devices (chat). */
  PER_OWNER_OWN_DEVICES("per-owner-own-devices"),
  /** One instance per owner, on any trusted device (mail, social). */
  PER_OWNER_ANYWHERE("per-owner-anywhere"),
  /** One instance in the whole mesh (the outbound mail queue). */
  PER_MESH("per-mesh");

  private final String wireName;

  Placement(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in JSON and logs. */
  public String wireName() {
    return wireName;
  }
}
