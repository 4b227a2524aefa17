package dev.kith.mesh.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A hybrid logical clock")
class HlcTest {

  @Test
  @DisplayName("keeps increasing when the wall clock stalls or goes backwards")
  void monotonicUnderABackwardClock() {
    AtomicLong wall = new AtomicLong(10_000);
    Hlc clock = new Hlc(wall::get);
    long[] walls = {10_000, 10_000, 9_000, 500, 10_001, 10_001, 2_000, 20_000};

    long previous = -1;
    for (long w : walls) {
      wall.set(w);
      long t = clock.now();
      assertThat(t).as("at wall clock %d", w).isGreaterThan(previous);
      previous = t;
    }

    // Back on a sane clock, timestamps carry the wall clock again with a fresh counter.
    assertThat(Hlc.millis(previous)).isEqualTo(20_000);
    assertThat(Hlc.counter(previous)).isZero();
  }

  @Test
  @DisplayName("stays within the same millisecond while the wall clock runs backwards")
  void counterCarriesTheBackwardStretch() {
    AtomicLong wall = new AtomicLong(10_000);
    Hlc clock = new Hlc(wall::get);
    clock.now();

    wall.set(4_000);
    long t = clock.now();

    assertThat(Hlc.millis(t)).isEqualTo(10_000);
    assertThat(Hlc.counter(t)).isEqualTo(1);
  }

  @Test
  @DisplayName("jumps past a remote timestamp that is ahead of its own, and stays past it")
  void observeRemoteAhead() {
    AtomicLong wall = new AtomicLong(1_000);
    Hlc clock = new Hlc(wall::get);
    clock.now();
    long remote = Hlc.of(5_000, 7);

    long received = clock.observe(remote);
    long next = clock.now();

    assertThat(received).isEqualTo(Hlc.of(5_000, 8));
    assertThat(next).isEqualTo(Hlc.of(5_000, 9));
  }

  @Test
  @DisplayName("takes the larger counter when local and remote share a millisecond")
  void observeSameMillisecond() {
    AtomicLong wall = new AtomicLong(1_000);
    Hlc clock = new Hlc(wall::get);
    clock.now();
    clock.now(); // 1000.1

    assertThat(clock.observe(Hlc.of(1_000, 5))).isEqualTo(Hlc.of(1_000, 6));
    assertThat(clock.observe(Hlc.of(1_000, 2))).isEqualTo(Hlc.of(1_000, 7));
  }

  @Test
  @DisplayName("follows its own wall clock when a remote timestamp is behind it")
  void observeRemoteBehind() {
    AtomicLong wall = new AtomicLong(8_000);
    Hlc clock = new Hlc(wall::get);

    assertThat(clock.observe(Hlc.of(3_000, 40))).isEqualTo(Hlc.of(8_000, 0));
  }

  @Test
  @DisplayName("moves to the next millisecond when the counter overflows")
  void counterOverflow() {
    Hlc clock = new Hlc(() -> 1_000);
    long t = 0;
    for (int i = 0; i <= Hlc.MAX_COUNTER; i++) {
      t = clock.now();
    }
    assertThat(t).isEqualTo(Hlc.of(1_000, Hlc.MAX_COUNTER));

    long overflowed = clock.now();

    assertThat(overflowed).isEqualTo(Hlc.of(1_001, 0)).isGreaterThan(t);
    assertThat(clock.now()).isEqualTo(Hlc.of(1_001, 1));
  }

  @Test
  @DisplayName("moves to the next millisecond when a remote timestamp has a full counter")
  void observeOverflow() {
    Hlc clock = new Hlc(() -> 1_000);

    assertThat(clock.observe(Hlc.of(2_000, Hlc.MAX_COUNTER))).isEqualTo(Hlc.of(2_001, 0));
  }

  @Test
  @DisplayName("packs milliseconds and counter into a long that orders like the pair")
  void packing() {
    long t = Hlc.of(1_700_000_000_123L, 42);

    assertThat(Hlc.millis(t)).isEqualTo(1_700_000_000_123L);
    assertThat(Hlc.counter(t)).isEqualTo(42);
    assertThat(Hlc.of(5, Hlc.MAX_COUNTER)).isLessThan(Hlc.of(6, 0));
    assertThat(Hlc.of(Hlc.MAX_MILLIS, Hlc.MAX_COUNTER)).isPositive();
    assertThat(Hlc.format(t)).isEqualTo("1700000000123.42");
  }

  @Test
  @DisplayName("rejects out-of-range parts and negative remote timestamps")
  void validation() {
    Hlc clock = new Hlc(() -> 1_000);

    assertThatThrownBy(() -> Hlc.of(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hlc.of(Hlc.MAX_MILLIS + 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hlc.of(0, Hlc.MAX_COUNTER + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> clock.observe(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
  }
}
