package dev.kith.mesh.spi.web;

import io.vertx.ext.web.Router;

/**
 * A set of HTTP routes that the edge mounts on its router: the accounts API, the vault API, device
 * trust, the mesh API, and each platform extension's. The edge mounts every module the same way, in
 * the order the device lists them, and knows none of them by name; each route declares who may call
 * it ({@link Access}) and fails with a status that the {@link ErrorWriter} answers.
 */
@FunctionalInterface
public interface RouteModule {

  /** Adds the module's routes, with their full paths ({@code /api/auth/login}). */
  void mount(Router router);
}
