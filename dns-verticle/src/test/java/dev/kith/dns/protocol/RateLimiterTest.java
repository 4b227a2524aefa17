package dev.kith.dns.protocol;

import static dev.kith.dns.protocol.RateLimiter.Decision.ALLOW;
import static dev.kith.dns.protocol.RateLimiter.Decision.DROP;
import static dev.kith.dns.protocol.RateLimiter.Decision.SLIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.dns.protocol.RateLimiter.Decision;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  static final long MILLI = 1_000_000L;
  static final long SECOND = 1_000 * MILLI;

  /** The fake clock: starts far from zero, as {@link System#nanoTime()} may. */
  long now = 123_456_789_000L;

  @Test
  @DisplayName("A network gets a full burst, then limited replies alternate DROP and SLIP")
  void burstThenSlipAndDrop() {
    RateLimiter limiter = new RateLimiter(20, 100);

    assertThat(take(limiter, "192.0.2.1", 20)).containsOnly(ALLOW);
    assertThat(take(limiter, "192.0.2.1", 6)).containsExactly(DROP, SLIP, DROP, SLIP, DROP, SLIP);
  }

  @Test
  @DisplayName("Tokens come back at the configured rate, up to one burst")
  void refills() {
    RateLimiter limiter = new RateLimiter(20, 100);
    take(limiter, "192.0.2.1", 20);

    now += 50 * MILLI; // one token at 20 per second
    assertThat(take(limiter, "192.0.2.1", 2)).containsExactly(ALLOW, DROP);

    now += 10 * SECOND; // far more than a burst's worth
    // A burst again, no more; the limited count goes on, so this one is the second: a slip.
    assertThat(take(limiter, "192.0.2.1", 21)).startsWith(nTimes(ALLOW, 20)).endsWith(SLIP);
  }

  @Test
  @DisplayName("IPv4 clients in one /24 share a bucket; the next /24 has its own")
  void ipv4Slash24() {
    RateLimiter limiter = new RateLimiter(5, 100);

    assertThat(take(limiter, "192.0.2.1", 3)).containsOnly(ALLOW);
    assertThat(take(limiter, "192.0.2.200", 3)).containsExactly(ALLOW, ALLOW, DROP);
    assertThat(take(limiter, "192.0.3.1", 5)).containsOnly(ALLOW);
  }

  @Test
  @DisplayName("IPv6 clients in one /56 share a bucket; the next /56 has its own")
  void ipv6Slash56() {
    RateLimiter limiter = new RateLimiter(5, 100);

    assertThat(take(limiter, "2001:db8:0:ff::1", 3)).containsOnly(ALLOW);
    assertThat(take(limiter, "2001:db8:0:0::2", 3)).containsExactly(ALLOW, ALLOW, DROP);
    assertThat(take(limiter, "2001:db8:0:100::1", 5)).containsOnly(ALLOW);
  }

  @Test
  @DisplayName("No more than the maximum of networks is kept; the least recent goes first")
  void memoryBound() {
    RateLimiter limiter = new RateLimiter(1, 3);
    for (int i = 0; i < 1000; i++) {
      take(limiter, "10." + (i / 256) + "." + (i % 256) + ".1", 1);
    }
    assertThat(limiter.trackedNetworks()).isEqualTo(3);

    // 10.0.0.0/24 was evicted long ago, so it starts again with a full bucket.
    assertThat(take(limiter, "10.0.0.1", 1)).containsExactly(ALLOW);
    assertThat(take(limiter, "10.3.231.1", 1)).containsExactly(DROP);
  }

  @Test
  @DisplayName("A rate of 0 allows everything and tracks nothing")
  void unlimited() {
    RateLimiter limiter = new RateLimiter(0, 10);

    assertThat(take(limiter, "192.0.2.1", 1000)).containsOnly(ALLOW);
    assertThat(limiter.trackedNetworks()).isZero();
  }

  @Test
  @DisplayName("Negative rates and empty tables are rejected")
  void validates() {
    assertThatThrownBy(() -> new RateLimiter(-1, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RateLimiter(10, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  private List<Decision> take(RateLimiter limiter, String client, int count) {
    InetAddress address = address(client);
    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      decisions.add(limiter.check(address, now));
    }
    return decisions;
  }

  private static Decision[] nTimes(Decision decision, int count) {
    Decision[] decisions = new Decision[count];
    Arrays.fill(decisions, decision);
    return decisions;
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
