package dev.kith.health.placement;

import java.util.Comparator;
import java.util.Objects;

/**
 * One instance the controller places: a service, and the owner it serves, or no owner for a service
 * that runs once in the whole mesh. Instances order by service, then owner, with the mesh-wide
 * instance first; plans list their moves in this order.
 *
 * @param service the service's name
 * @param owner the owner the instance serves, or null for a {@code PER_MESH} service
 */
public record InstanceKey(String service, String owner) implements Comparable<InstanceKey> {

  private static final Comparator<InstanceKey> ORDER =
      Comparator.comparing(InstanceKey::service)
          .thenComparing(InstanceKey::owner, Comparator.nullsFirst(Comparator.naturalOrder()));

  public InstanceKey {
    Objects.requireNonNull(service, "service");
  }

  /** The instance of a service that runs once per mesh. */
  public static InstanceKey perMesh(String service) {
    return new InstanceKey(service, null);
  }

  @Override
  public int compareTo(InstanceKey other) {
    return ORDER.compare(this, other);
  }

  /** {@code probe/alice}, or just {@code outbound} for a per-mesh instance. */
  @Override
  public String toString() {
    return owner == null ? service : service + "/" + owner;
  }
}
