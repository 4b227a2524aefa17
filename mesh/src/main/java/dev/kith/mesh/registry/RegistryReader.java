package dev.kith.mesh.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Supplier;

/**
 * Reads the device registry for the API without waiting on a hung device. The registry is a
 * Hazelcast map, and a read touches the partitions a hung member owns: it blocks until the cluster
 * drops that member, seconds later, which is exactly when the API must say the device is suspect or
 * dead. So a read that takes longer than {@link #PATIENCE_MILLIS} is answered from the last list
 * read, and the read goes on in the background. At most one read runs at a time, so a hang ties up
 * one worker thread, not one per request.
 */
public final class RegistryReader {

  /** How long a caller waits for a fresh list before it gets the last one. */
  public static final long PATIENCE_MILLIS = 200;

  private final Vertx vertx;
  private final Supplier<Future<List<JsonObject>>> source;
  private volatile List<JsonObject> latest;
  private Future<List<JsonObject>> inFlight;

  public RegistryReader(Vertx vertx, DeviceRegistry registry) {
    this(vertx, registry::list);
  }

  /** A reader of any source of device lists, so tests can stand in for the registry. */
  public RegistryReader(Vertx vertx, Supplier<Future<List<JsonObject>>> source) {
    this.vertx = vertx;
    this.source = source;
  }

  /** The registry's entries, fresh if they come within the patience, else the last ones read. */
  public Future<List<JsonObject>> list() {
    Future<List<JsonObject>> fresh = read();
    List<JsonObject> fallback = latest;
    if (fallback == null) {
      return fresh;
    }
    if (fresh.isComplete()) {
      return fresh.succeeded() ? fresh : Future.succeededFuture(fallback);
    }
    Promise<List<JsonObject>> answer = Promise.promise();
    long timer = vertx.setTimer(PATIENCE_MILLIS, t -> answer.tryComplete(latest));
    fresh.onComplete(
        read -> {
          vertx.cancelTimer(timer);
          answer.tryComplete(read.succeeded() ? read.result() : latest);
        });
    return answer.future();
  }

  private synchronized Future<List<JsonObject>> read() {
    Future<List<JsonObject>> running = inFlight;
    if (running != null) {
      return running;
    }
    Future<List<JsonObject>> started = source.get();
    inFlight = started;
    // The read may already be over, in which case this runs at once and clears inFlight again.
    started.onComplete(
        read -> {
          synchronized (this) {
            if (inFlight == started) {
              inFlight = null;
            }
          }
          if (read.succeeded()) {
            latest = read.result();
          }
        });
    return started;
  }
}
