package dev.kith.mesh.spi;

import com.hazelcast.core.HazelcastInstance;
import dev.kith.mesh.Tempo;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.registry.DeviceRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * What a {@link MeshExtension} gets from the device: its clustered Vert.x instance, its
 * configuration, the Hazelcast instance behind the cluster (for coordination maps; blocking calls
 * belong on workers), the device registry, every service declared through the SPI, the metrics
 * registry, the context that service instances get ({@link ServiceContext}), and a future that
 * completes once the vault and the accounts run: nothing that needs them (a placed instance) starts
 * before.
 */
public record MeshContext(
    Vertx vertx,
    DeviceConfig config,
    HazelcastInstance hazelcast,
    DeviceRegistry registry,
    List<KithService> services,
    MeterRegistry metrics,
    ServiceContext serviceContext,
    Tempo tempo,
    Future<Void> vaultOpen) {

  public MeshContext {
    services = List.copyOf(services);
  }

  /** This device's name. */
  public String device() {
    return config.name();
  }
}
