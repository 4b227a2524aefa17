package dev.kith.mail.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;

/** The mesh's one outbound sender, which delivers the outbound queue to remote domains. */
@ProxyGen
@VertxGen
public interface Outbound {

  /** The address of the sender instance. */
  String ADDRESS = "kith.mail.outbound";

  /** Mail was queued: look at the queue now rather than at the next periodic scan. */
  Future<Void> wake();
}
