package dev.kith.web;

import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;

/** Starts this device's web service once the vault runs, and stops it on undeploy. */
final class WebInstance extends ServiceInstance {

  private final Web web;

  WebInstance(InstanceContext context, Web web) {
    super(context);
    this.web = web;
  }

  @Override
  protected Future<Void> open() {
    return web.start();
  }

  @Override
  protected Future<Void> close() {
    return web.stop();
  }
}
