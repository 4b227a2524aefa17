package dev.kith.mesh.spi;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * What this device knows now of the mesh: its enrolled devices with their addresses and liveness,
 * each owner's failover order, and the names the services ask to publish. For services that tell
 * the outside world where things are (the DNS server). Every answer is this device's own view, read
 * locally; it changes within the failure detector's time after a device dies or returns.
 */
public interface MeshDirectory {

  /**
   * One enrolled device.
   *
   * @param name its name, {@code NAME.OWNER}
   * @param host the address others reach it at (its public host: an IP address or a host name)
   * @param alive whether this device's view has it alive (alive or merely suspect)
   */
  record Device(String name, String owner, String host, boolean alive) {}

  /** Every enrolled device that has not been removed, sorted by name. */
  Future<List<Device>> devices();

  /** Each owner's failover order: device names, preferred first (owners without one: absent). */
  Future<Map<String, List<String>>> failoverOrders();

  /** The names every service asks to publish ({@link KithService#dnsNames}). */
  Future<List<DnsName>> names();

  /** A directory of one device that knows nothing else: for contexts without a mesh. */
  MeshDirectory NONE =
      new MeshDirectory() {
        @Override
        public Future<List<Device>> devices() {
          return Future.succeededFuture(List.of());
        }

        @Override
        public Future<Map<String, List<String>>> failoverOrders() {
          return Future.succeededFuture(Map.of());
        }

        @Override
        public Future<List<DnsName>> names() {
          return Future.succeededFuture(List.of());
        }
      };
}
