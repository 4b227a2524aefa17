package dev.kith.dns;

import dev.kith.dns.protocol.DnsAnswerer.Outcome;
import dev.kith.dns.protocol.DnsServer;
import dev.kith.dns.protocol.RateLimiter.Decision;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts what the server did in {@link DnsMetrics}. */
final class DnsListener implements DnsServer.Listener {

  private static final Logger log = LoggerFactory.getLogger(DnsListener.class);

  private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final DnsMetrics metrics;
  private final String device;
  private final AtomicLong failuresSinceLog = new AtomicLong();
  private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

  DnsListener(DnsMetrics metrics, String device) {
    this.metrics = metrics;
    this.device = device;
  }

  @Override
  public void answered(String transport, String qtype, Outcome outcome) {
    metrics.answered(transport, qtype, outcome.name());
  }

  @Override
  public void dropped(String transport, String reason) {
    metrics.dropped(transport, reason);
  }

  @Override
  public void limited(Decision decision) {
    metrics.limited(decision.name());
  }

  /**
   * Counts every failure and logs at most one warning per {@link #LOG_EVERY_NANOS}, with how many
   * there were: a flood with forged source addresses fails every send.
   */
  @Override
  public void failed(String transport, Throwable cause) {
    metrics.dropped(transport, "failure");
    long now = System.nanoTime();
    long unlogged = failuresSinceLog.incrementAndGet();
    long last = lastLogNanos.get();
    if (now - last >= LOG_EVERY_NANOS && lastLogNanos.compareAndSet(last, now)) {
      failuresSinceLog.addAndGet(-unlogged);
      log.warn(
          "{}: the DNS server failed on {} {} packet(s) since the last warning; the latest: {}",
          device,
          unlogged,
          transport,
          cause.toString());
    }
  }
}
