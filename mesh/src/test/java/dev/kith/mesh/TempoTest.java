package dev.kith.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A device's rounds run at the normal pace, four times slower while it saves power, until
 * cancelled.
 */
@ExtendWith(VertxExtension.class)
class TempoTest {

  @Test
  void periodsStretchWhileSaving() {
    Tempo tempo = new Tempo("laptop.alice");
    assertThat(tempo.saving()).isFalse();
    assertThat(tempo.period(500)).isEqualTo(500);

    tempo.save(true);
    assertThat(tempo.period(500)).isEqualTo(2000);

    tempo.save(false);
    assertThat(tempo.period(500)).isEqualTo(500);
  }

  @Test
  void roundsFollowTheTempoAndStopWhenCancelled(Vertx vertx, VertxTestContext test)
      throws Exception {
    Tempo tempo = new Tempo("laptop.alice");
    List<Long> runs = new ArrayList<>();
    vertx.runOnContext(
        v -> {
          Tempo.Round[] round = new Tempo.Round[1];
          round[0] =
              tempo.every(
                  vertx,
                  20,
                  () -> {
                    runs.add(System.nanoTime());
                    if (runs.size() == 3) {
                      tempo.save(true); // the next wait is 80 ms, not 20
                    } else if (runs.size() == 4) {
                      round[0].cancel();
                      // Long enough for two more rounds at the saving pace: none may come.
                      vertx.setTimer(
                          200,
                          t ->
                              test.verify(
                                  () -> {
                                    assertThat(runs).hasSize(4);
                                    long gap = runs.get(3) - runs.get(2);
                                    assertThat(gap)
                                        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(80));
                                    test.completeNow();
                                  }));
                    }
                  });
        });
    assertThat(test.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    if (test.failed()) {
      throw new AssertionError(test.causeOfFailure());
    }
  }
}
