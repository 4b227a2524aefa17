package dev.kith.mesh.spi;

import dev.kith.mesh.vault.Fence;
import dev.kith.mesh.vault.Vault;

/**
 * What one placed instance of a service is: which service, whose (for per-owner services), on which
 * device, and under which placement epoch, with the device's {@link ServiceContext}. The placement
 * controller raises the epoch each time it places the instance anew, so the epoch orders the
 * instances that ever ran: the {@link #vault()} an instance writes through carries it on every
 * record write, and a replica refuses a write whose epoch is below the highest it has seen for the
 * service (a fencing token, see docs/vault.md).
 *
 * @param service the service's name, which is also the scope of its fence
 * @param owner the owner of a per-owner instance, else {@code null}
 * @param device the device the instance runs on
 * @param epoch the placement epoch; 0 for instances that are not placed (every-device services)
 * @param services the device's context
 */
public record InstanceContext(
    String service, String owner, String device, long epoch, ServiceContext services) {

  /** The fence of this instance's writes, or {@code null} when it is not placed (epoch 0). */
  public Fence fence() {
    return epoch > 0 ? new Fence(service, epoch) : null;
  }

  /** The vault as this instance sees it: every record write carries its fence. */
  public Vault vault() {
    Fence fence = fence();
    return fence == null ? services.vault() : services.vault().fenced(fence);
  }
}
