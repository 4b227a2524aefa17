package dev.kith.health.placement;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a placement decision depends on, so that the decision is a pure function of it. The
 * controller builds one from the service SPI, the configuration, the gossiped device view and the
 * placement map, and the power simulation builds one each simulated minute.
 *
 * @param services the services the SPI declares; no two with one name
 * @param owners the owners in the mesh; each gets one instance of every per-owner service
 * @param devices the devices the controller knows of; no two with one name. A device missing here
 *     counts as dead.
 * @param failover each owner's failover order, most preferred device first
 * @param current where each instance runs now; an instance missing here is not placed
 * @param takeoverOwners owners whose instances move back when a device earlier in their failover
 *     order returns
 * @param lowBatteryRatio below this battery level, a device that is not charging hands its
 *     instances off
 * @param nowMillis now, on the clock of {@link Candidate#aliveSinceMillis()}
 * @param takeoverStableMillis how long a device must have been alive before instances move to it by
 *     takeover or power handoff, so a device that flaps does not drag them along
 */
public record PlacementInput(
    List<ServiceSpec> services,
    Set<String> owners,
    List<Candidate> devices,
    Map<String, List<String>> failover,
    Map<InstanceKey, Assignment> current,
    Set<String> takeoverOwners,
    double lowBatteryRatio,
    long nowMillis,
    long takeoverStableMillis) {

  public PlacementInput {
    services = List.copyOf(services);
    owners = Set.copyOf(owners);
    devices = List.copyOf(devices);
    failover = Map.copyOf(failover);
    current = Map.copyOf(current);
    takeoverOwners = Set.copyOf(takeoverOwners);
    if (!(lowBatteryRatio >= 0 && lowBatteryRatio <= 1)) {
      throw new IllegalArgumentException(
          "placement: low battery ratio " + lowBatteryRatio + " is outside 0..1");
    }
    if (takeoverStableMillis < 0) {
      throw new IllegalArgumentException(
          "placement: takeover stable time " + takeoverStableMillis + " ms is negative");
    }
    requireUnique(services.stream().map(ServiceSpec::service).toList(), "service");
    requireUnique(devices.stream().map(Candidate::device).toList(), "device");
  }

  /** The owner's failover order, most preferred first; empty if none is configured. */
  public List<String> failoverOf(String owner) {
    return owner == null ? List.of() : failover.getOrDefault(owner, List.of());
  }

  private static void requireUnique(List<String> names, String what) {
    if (Set.copyOf(names).size() != names.size()) {
      throw new IllegalArgumentException(
          "placement: a " + what + " name appears twice in " + names.stream().sorted().toList());
    }
    names.forEach(name -> Objects.requireNonNull(name, what));
  }
}
