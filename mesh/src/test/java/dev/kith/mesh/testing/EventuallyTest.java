package dev.kith.mesh.testing;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventuallyTest {

  @Test
  @DisplayName("eventually retries until the assertion passes")
  void retriesUntilPass() {
    AtomicInteger calls = new AtomicInteger();

    eventually(Duration.ofSeconds(5), () -> assertThat(calls.incrementAndGet()).isGreaterThan(3));

    assertThat(calls).hasValue(4);
  }

  @Test
  @DisplayName("eventually returns the value of the first call that does not throw")
  void returnsValue() {
    AtomicInteger calls = new AtomicInteger();

    String value =
        eventually(
            Duration.ofSeconds(5),
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("not yet");
              }
              return "done";
            });

    assertThat(value).isEqualTo("done");
  }

  @Test
  @DisplayName("eventually fails after its deadline with the last failure and the time waited")
  void failsAfterDeadline() {
    assertThatThrownBy(
            () ->
                eventually(
                    Duration.ofMillis(300),
                    () -> {
                      throw new IllegalStateException("never");
                    }))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Still failing after waiting")
        .hasMessageContaining("never")
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("allTheTime fails at the first moment the assertion stops holding")
  void allTheTimeFailsFast() {
    AtomicInteger calls = new AtomicInteger();

    assertThatThrownBy(
            () ->
                allTheTime(
                    Duration.ofSeconds(30),
                    () -> assertThat(calls.incrementAndGet()).isLessThan(3)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Stopped holding");
    assertThat(calls).hasValue(3);
  }

  @Test
  @DisplayName("allTheTime keeps asserting for the whole period")
  void allTheTimeHolds() {
    AtomicInteger calls = new AtomicInteger();
    long start = System.nanoTime();

    allTheTime(Duration.ofMillis(350), calls::incrementAndGet);

    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(350));
    assertThat(calls.get()).isGreaterThanOrEqualTo(3);
  }
}
