package dev.kith.mesh;

import dev.kith.mesh.registry.RegistryReader;
import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.MeshDirectory;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's {@link MeshDirectory}: the registry's devices with the state the extensions see
 * (health's gossip), their hosts from the addresses they registered, the extensions' failover
 * orders, and the names every service asks to publish.
 */
final class DeviceDirectory implements MeshDirectory {

  private static final Logger log = LoggerFactory.getLogger(DeviceDirectory.class);

  private final RegistryReader registry;
  private final Function<JsonObject, JsonObject> describe;
  private final Supplier<Future<Map<String, List<String>>>> failover;
  private final List<KithService> services;
  private final Supplier<ServiceContext> context;

  DeviceDirectory(
      RegistryReader registry,
      Function<JsonObject, JsonObject> describe,
      Supplier<Future<Map<String, List<String>>>> failover,
      List<KithService> services,
      Supplier<ServiceContext> context) {
    this.registry = registry;
    this.describe = describe;
    this.failover = failover;
    this.services = List.copyOf(services);
    this.context = context;
  }

  @Override
  public Future<List<Device>> devices() {
    return registry
        .list()
        .map(
            entries -> {
              List<Device> out = new ArrayList<>();
              for (JsonObject entry : entries) {
                JsonObject d = describe.apply(entry);
                String state = d.getString("state", "");
                out.add(
                    new Device(
                        d.getString("name"),
                        d.getString("owner"),
                        host(d.getString("httpUrl")),
                        state.equals("alive") || state.equals("suspect")));
              }
              return out;
            });
  }

  /** The host of a registered URL ({@code http://[::1]:8080} gives {@code ::1}), or null. */
  static String host(String url) {
    if (url == null) {
      return null;
    }
    try {
      String host = URI.create(url).getHost();
      return host == null ? null : host.replace("[", "").replace("]", "");
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public Future<Map<String, List<String>>> failoverOrders() {
    return failover.get();
  }

  @Override
  public Future<List<DnsName>> names() {
    ServiceContext ctx = context.get();
    List<Future<List<DnsName>>> each = new ArrayList<>();
    for (KithService service : services) {
      each.add(
          service
              .dnsNames(ctx)
              .recover(
                  e -> {
                    log.warn(
                        "{}: service {} could not list its DNS names: {}",
                        ctx.device(),
                        service.name(),
                        e.toString());
                    return Future.succeededFuture(List.of());
                  }));
    }
    return Future.join(each)
        .map(
            all -> {
              List<DnsName> out = new ArrayList<>();
              for (int i = 0; i < all.size(); i++) {
                List<DnsName> names = all.resultAt(i);
                out.addAll(names);
              }
              return out;
            });
  }
}
