package dev.kith.health.probe;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** One owner's probe instance: answers with its owner, its device and its placement epoch. */
final class ProbeVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    String owner = config().getString("owner");
    JsonObject answer =
        new JsonObject()
            .put("owner", owner)
            .put("device", config().getString("device"))
            .put("epoch", config().getLong("epoch", 0L));
    return vertx
        .eventBus()
        .consumer(ProbeService.address(owner), message -> message.reply(answer))
        .completion();
  }
}
