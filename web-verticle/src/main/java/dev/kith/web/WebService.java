package dev.kith.web;

import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Personal web sites: published once through any device ({@code kith publish}, or the API under
 * {@code /api/web/}), kept in the owner's vault, and served by every device, by {@code Host}, on
 * the edge's HTTP port and on {@code web-port}. See docs/web.md.
 */
public final class WebService implements KithService {

  private Web web;

  private synchronized Web web(ServiceContext context) {
    if (web == null) {
      web = new Web(context);
    }
    return web;
  }

  @Override
  public String name() {
    return "web";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public WebInstance newInstance(InstanceContext context) {
    return new WebInstance(context, web(context.services()));
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }

  @Override
  public void routes(Router router, ServiceContext context) {
    new WebRoutes(web(context)).mount(router);
  }

  @Override
  public void uploadRoutes(Router router, ServiceContext context) {
    new WebUploads(web(context), context.vertx()).mount(router);
  }

  @Override
  public Handler<RoutingContext> hostHandler(ServiceContext context) {
    return web(context)::hostHandler;
  }

  @Override
  public Future<List<DnsName>> dnsNames(ServiceContext context) {
    return Future.succeededFuture(web(context).domains().stream().map(DnsName::site).toList());
  }
}
