package dev.kith.mesh.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("The registry reader")
class RegistryReaderTest {

  private static final List<JsonObject> FIRST = List.of(new JsonObject().put("name", "d1.alice"));
  private static final List<JsonObject> SECOND = List.of(new JsonObject().put("name", "d2.alice"));

  /** Hands out the given reads in order and counts how many were started. */
  private static final class Reads implements Supplier<Future<List<JsonObject>>> {
    final Deque<Future<List<JsonObject>>> queue = new ArrayDeque<>();
    final AtomicInteger started = new AtomicInteger();

    Reads then(Future<List<JsonObject>> read) {
      queue.add(read);
      return this;
    }

    @Override
    public Future<List<JsonObject>> get() {
      started.incrementAndGet();
      return queue.remove();
    }
  }

  @Test
  @DisplayName("answers with a read that was over before it was looked at")
  void readAlreadyOver(Vertx vertx, VertxTestContext test) {
    // A registry read can finish on its worker before the caller registers a handler.
    Reads reads = new Reads().then(Future.succeededFuture(FIRST));
    RegistryReader reader = new RegistryReader(vertx, reads);

    vertx.runOnContext(
        v ->
            reader
                .list()
                .onComplete(
                    test.succeeding(
                        devices ->
                            test.verify(
                                () -> {
                                  assertThat(devices).isEqualTo(FIRST);
                                  test.completeNow();
                                }))));
  }

  @Test
  @DisplayName("answers with the last list when a read hangs, and starts no second read meanwhile")
  void hangingRead(Vertx vertx, VertxTestContext test) {
    Promise<List<JsonObject>> hanging = Promise.promise();
    Reads reads = new Reads().then(Future.succeededFuture(FIRST)).then(hanging.future());
    RegistryReader reader = new RegistryReader(vertx, reads);

    vertx.runOnContext(
        v ->
            reader
                .list()
                .compose(first -> reader.list())
                .compose(
                    fallback -> {
                      test.verify(() -> assertThat(fallback).isEqualTo(FIRST));
                      return reader.list();
                    })
                .onComplete(
                    test.succeeding(
                        again ->
                            test.verify(
                                () -> {
                                  assertThat(again).isEqualTo(FIRST);
                                  assertThat(reads.started).hasValue(2);
                                  // Once the hung read returns, its list is the one served.
                                  hanging.complete(SECOND);
                                  reads.then(Future.succeededFuture(SECOND));
                                  reader
                                      .list()
                                      .onComplete(
                                          test.succeeding(
                                              fresh ->
                                                  test.verify(
                                                      () -> {
                                                        assertThat(fresh).isEqualTo(SECOND);
                                                        test.completeNow();
                                                      })));
                                }))));
  }

  @Test
  @DisplayName("falls back to the last list when a read fails")
  void failedRead(Vertx vertx, VertxTestContext test) {
    Reads reads =
        new Reads()
            .then(Future.succeededFuture(FIRST))
            .then(Future.failedFuture(new IllegalStateException("partition lost")));
    RegistryReader reader = new RegistryReader(vertx, reads);

    vertx.runOnContext(
        v ->
            reader
                .list()
                .compose(first -> reader.list())
                .onComplete(
                    test.succeeding(
                        devices ->
                            test.verify(
                                () -> {
                                  assertThat(devices).isEqualTo(FIRST);
                                  test.completeNow();
                                }))));
  }
}
