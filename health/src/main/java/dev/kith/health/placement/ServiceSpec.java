package dev.kith.health.placement;

import dev.kith.mesh.spi.Placement;
import java.util.Objects;

/**
 * A service as the placer sees it: its name, where its instances may run, and what one instance
 * costs the device that hosts it. The cost is relative, in the same units as {@link
 * Candidate#cpuLoad()}, and only spreads instances; it never rules a device out.
 *
 * @param service the service's name, as the service SPI declares it
 * @param placement the policy its instances follow
 * @param load the relative CPU and power cost of one instance, 0 or more
 */
public record ServiceSpec(String service, Placement placement, double load) {

  public ServiceSpec {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(placement, "placement");
    if (!(load >= 0 && Double.isFinite(load))) {
      throw new IllegalArgumentException("placement: service " + service + " has load " + load);
    }
  }
}
