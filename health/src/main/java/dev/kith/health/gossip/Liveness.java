package dev.kith.health.gossip;

import java.util.Locale;

/** How one device's {@link MeshView} sees another device. */
public enum Liveness {
  /** Heard within the suspect deadline, and a member of the cluster. */
  ALIVE,
  /** Silent for longer than the suspect deadline: maybe slow, maybe gone. Nothing moves yet. */
  SUSPECT,
  /** Silent for longer than the dead deadline, or dropped by the cluster: its services move. */
  DEAD,
  /** Said goodbye: it shut down cleanly. */
  LEFT;

  /** The lower-case name used in JSON and metrics. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
