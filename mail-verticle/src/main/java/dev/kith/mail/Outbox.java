package dev.kith.mail;

import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import java.util.List;

/**
 * The outbound queue: remote recipients' mail waiting for the one-per-mesh sender. CONTRACT ONLY:
 * the outbound helper replaces this file.
 */
public final class Outbox {

  private Outbox() {}

  /**
   * Queues a message that {@code sender} stored in their vault as object {@code objectId}, for each
   * of {@code recipients} (remote addresses). The future completes once the queue entries are
   * durable (the vault's write quorum); then the outbound sender is told to look.
   */
  public static Future<Void> enqueue(
      ServiceContext context,
      String sender,
      String objectId,
      String messageId,
      String envelopeFrom,
      List<String> recipients) {
    return Future.failedFuture(new UnsupportedOperationException("not yet"));
  }
}
