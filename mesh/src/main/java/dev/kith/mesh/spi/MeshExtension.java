package dev.kith.mesh.spi;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Map;

/**
 * A part of the platform that runs on every device beside the runtime itself: health gossip,
 * failure detection and the placement controller live behind this interface, so that {@code mesh/}
 * knows none of them by name. Implementations are found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.kith.mesh.spi.MeshExtension}).
 *
 * <p>A device starts its extensions after it has joined the mesh and claimed its name, and before
 * its edge listens; it is ready only when every extension's {@link #start} has completed. It stops
 * them, in reverse order, before it leaves the mesh.
 */
public interface MeshExtension {

  /** A short name for logs. */
  String name();

  /** Starts the extension; the device is not ready until the future completes. */
  Future<Void> start(MeshContext mesh);

  /**
   * Adds routes to the edge's router, with full paths that start with {@code /api/mesh/}. A path
   * the mesh already answers ({@code /api/mesh/devices}) is extended through {@link
   * #describeDevice} and {@link #placedInstances}, never mounted twice.
   */
  default void routes(Router router) {}

  /**
   * A device's registry entry as {@code /api/mesh/devices} shows it, with what this extension knows
   * of the device added (health adds its state as gossip sees it, power, load, and the instances it
   * runs); the entry itself for no opinion. Called on the event loop for every listed device: it
   * must be cheap.
   */
  default JsonObject describeDevice(JsonObject entry) {
    return entry;
  }

  /**
   * The service instances this extension placed, as {@code /api/mesh/services} lists them ({@code
   * service, owner, device, epoch, since, state}), or {@code null} when it places none.
   */
  default Future<List<JsonObject>> placedInstances() {
    return null;
  }

  /**
   * Where a request for a service address should go now (see {@link InstanceRouter}), or {@code
   * null} when this extension does not place that address. Called on every request from the edge's
   * event loop: it must be cheap and must not block.
   *
   * @throws ServiceUnavailable when the address is placed but no instance can answer now
   */
  default String route(String address) {
    return null;
  }

  /**
   * Orders devices by how well they suit keeping vault replicas, best first, or returns {@code
   * null} for no opinion. Called on a worker when the vault chooses replica devices.
   */
  default List<String> rankForStorage(List<String> devices) {
    return null;
  }

  /**
   * Each owner's failover order as the mesh knows it (devices publish their configured orders), or
   * {@code null} for no opinion.
   */
  default Future<Map<String, List<String>>> failoverOrders() {
    return null;
  }

  /** Stops the extension, for a clean leave. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
