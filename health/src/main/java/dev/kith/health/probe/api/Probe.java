package dev.kith.health.probe.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What a probe or beacon instance answers: where it runs. Every device's routes hold a proxy of it
 * ({@code ServiceContext#proxy}); the instance, wherever the controller placed it, implements it.
 */
@ProxyGen
@VertxGen
public interface Probe {

  /** The address of the beacon, the mesh's one instance. */
  String BEACON = "kith.beacon";

  /** The address of {@code owner}'s probe instance. */
  static String probeOf(String owner) {
    return "kith.probe." + owner;
  }

  /**
   * {@code {"device": .., "epoch": ..}}, and {@code "owner"} for a per-owner probe: the device the
   * instance runs on and its placement epoch.
   */
  Future<JsonObject> where();
}
