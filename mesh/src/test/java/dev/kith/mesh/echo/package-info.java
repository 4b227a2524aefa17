/** The event-bus contract of the test-only echo service: what Vert.x codegen makes proxies of. */
@ModuleGen(name = "kith-echo", groupPackage = "dev.kith.mesh.echo")
package dev.kith.mesh.echo;

import io.vertx.codegen.annotations.ModuleGen;
