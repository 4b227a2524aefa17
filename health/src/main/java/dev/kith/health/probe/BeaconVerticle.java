package dev.kith.health.probe;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** The mesh's one beacon instance: answers with its device and its placement epoch. */
final class BeaconVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    JsonObject answer =
        new JsonObject()
            .put("device", config().getString("device"))
            .put("epoch", config().getLong("epoch", 0L));
    return vertx
        .eventBus()
        .consumer(BeaconService.ADDRESS, message -> message.reply(answer))
        .completion();
  }
}
