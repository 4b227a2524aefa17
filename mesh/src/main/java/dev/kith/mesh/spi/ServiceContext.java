package dev.kith.mesh.spi;

import dev.kith.mesh.config.DeviceConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/**
 * What the mesh hands a service when it mounts routes: the device's Vert.x instance (clustered, so
 * its event bus reaches every device), the device's configuration and its metrics registry.
 */
public record ServiceContext(Vertx vertx, DeviceConfig config, MeterRegistry metrics) {

  /** This device's name. */
  public String device() {
    return config.name();
  }
}
