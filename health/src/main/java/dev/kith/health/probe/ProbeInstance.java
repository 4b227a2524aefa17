package dev.kith.health.probe;

import dev.kith.health.probe.api.Probe;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * One instance of the probe (one per owner) or of the beacon (one per mesh): it answers where it
 * runs. It holds no state, so it claims no fence and starts as soon as its consumer is registered.
 */
public final class ProbeInstance extends ServiceInstance implements Probe {

  /** An instance that serves {@link Probe} at {@code address}. */
  public ProbeInstance(InstanceContext context, String address) {
    super(context);
    serve(Probe.class, address, this);
  }

  @Override
  public Future<JsonObject> where() {
    JsonObject answer = new JsonObject();
    if (owner() != null) {
      answer.put("owner", owner());
    }
    return Future.succeededFuture(answer.put("device", device()).put("epoch", epoch()));
  }
}
