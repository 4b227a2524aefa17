package dev.kith.chat.server;

/**
 * A token bucket of one session's stanzas: {@code perSecond} on average, bursts of twice that. A
 * session over it stops reading its socket until a token is back, as Prosody's limits do, so a fast
 * client is slowed down, not cut off.
 */
final class RateLimit {

  private final double perMilli;
  private final double burst;
  private double tokens;
  private long last = System.nanoTime();

  RateLimit(int perSecond) {
    this.perMilli = perSecond / 1000.0;
    this.burst = perSecond * 2.0;
    this.tokens = burst;
  }

  /** Takes a token; false when there was none (the stanza is still taken, the reader waits). */
  boolean take() {
    refill();
    tokens -= 1;
    return tokens >= 0;
  }

  /** How long until the bucket is back above zero. */
  long waitMillis() {
    refill();
    return tokens >= 0 ? 1 : Math.max(1, (long) Math.ceil(-tokens / perMilli));
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - last) / 1_000_000.0 * perMilli);
    last = now;
  }
}
