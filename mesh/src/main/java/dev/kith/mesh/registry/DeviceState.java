package dev.kith.mesh.registry;

import java.util.Locale;

/** How the mesh sees a device. */
public enum DeviceState {
  /** A member of the cluster. */
  ALIVE,
  /** Gone without saying goodbye: crashed, hung or cut off, and dropped by the cluster. */
  DEAD,
  /** Shut down cleanly. */
  LEFT;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
