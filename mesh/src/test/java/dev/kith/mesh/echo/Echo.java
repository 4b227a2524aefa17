package dev.kith.mesh.echo;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** The echo service's contract: what one instance answers. */
@ProxyGen
@VertxGen
public interface Echo {

  /** The same object, plus the name of the device whose instance answered. */
  Future<JsonObject> echo(JsonObject body);

  /** Fails with {@code status} and {@code message}, as an instance reports a failure. */
  Future<JsonObject> fail(int status, String message);

  /** Throws instead of failing its future: what a bug in an instance looks like. */
  Future<JsonObject> crash();
}
