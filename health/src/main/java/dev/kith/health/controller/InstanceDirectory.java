package dev.kith.health.controller;

import dev.kith.mesh.spi.InstanceRouter;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.ServiceUnavailable;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * This device's answer to "which device's instance should take a request for this address?", from
 * the placement records of the agent's last sync and from the device's view of who is up.
 *
 * <p>A request for a placed instance goes to the copy of its address on the device the record names
 * ({@link InstanceRouter#onDevice}) once that instance runs; during a planned handoff, to the old
 * device until the new instance is ready (make-before-break). So a request never reaches a stale
 * registration: not a dead device's, whose event-bus registrations outlive it until the cluster
 * drops its member, and not a fenced instance on the far side of a healed partition. When the named
 * device is down, or the instance is not placed anywhere, the request fails fast with {@link
 * ServiceUnavailable}, which the edge answers with 503 and {@code Retry-After}.
 */
public final class InstanceDirectory {

  private final Map<String, KithService> services = new HashMap<>();
  private final Predicate<String> reachable;
  private volatile Map<String, PlacementRecord> byAddress = Map.of();
  private volatile List<PlacementRecord> records = List.of();

  /**
   * @param reachable whether a device may answer now (alive or merely suspect in this device's
   *     view, or not yet heard of)
   */
  public InstanceDirectory(List<KithService> services, Predicate<String> reachable) {
    services.forEach(s -> this.services.put(s.name(), s));
    this.reachable = reachable;
  }

  /** Replaces what the directory knows with the placement records of a sync. */
  public void update(Collection<PlacementRecord> records) {
    Map<String, PlacementRecord> next = new HashMap<>();
    for (PlacementRecord record : records) {
      KithService service = services.get(record.service());
      if (service != null) {
        service.addresses(record.owner()).forEach(address -> next.put(address, record));
      }
    }
    byAddress = Map.copyOf(next);
    this.records = List.copyOf(records);
  }

  /** The placement records of the last sync. */
  public List<PlacementRecord> records() {
    return records;
  }

  /**
   * Where a request for {@code address} goes, or {@code null} when no placement covers it.
   *
   * @throws ServiceUnavailable when it is placed but no instance can take the request now
   */
  public String route(String address) {
    PlacementRecord record = byAddress.get(address);
    if (record == null) {
      return null;
    }
    String instance = PlacementRecord.mapKey(record.key());
    if (record.device() == null) {
      throw new ServiceUnavailable(
          instance + " is not running: none of the devices it may run on is up");
    }
    boolean running = PlacementRecord.RUNNING.equals(record.state());
    if (running && reachable.test(record.device())) {
      return InstanceRouter.onDevice(address, record.device());
    }
    if (!running && record.previous() != null && reachable.test(record.previous())) {
      return InstanceRouter.onDevice(address, record.previous());
    }
    throw new ServiceUnavailable(
        running
            ? instance + " runs on " + record.device() + ", which is not answering; it will move"
            : instance + " is starting on " + record.device());
  }
}
