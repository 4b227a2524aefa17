package dev.kith.dns;

import dev.kith.dns.protocol.DnsAnswerer.Outcome;
import dev.kith.dns.protocol.DnsServer;
import dev.kith.dns.protocol.RateLimiter.Decision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts what the server did in {@link DnsMetrics}. */
final class DnsListener implements DnsServer.Listener {

  private static final Logger log = LoggerFactory.getLogger(DnsListener.class);

  private final DnsMetrics metrics;
  private final String device;

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

  @Override
  public void failed(String transport, Throwable cause) {
    metrics.dropped(transport, "failure");
    log.warn(
        "{}: the DNS server over {} failed on a packet: {}", device, transport, cause.toString());
  }
}
