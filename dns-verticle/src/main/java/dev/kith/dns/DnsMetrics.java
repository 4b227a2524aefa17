package dev.kith.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The DNS server's metrics: {@code kith_dns_queries_total{transport,type,result}}, {@code
 * kith_dns_dropped_total{transport,reason}}, {@code kith_dns_limited_total{decision}}, {@code
 * kith_dns_records} and {@code kith_dns_refresh_failures_total}.
 */
final class DnsMetrics {

  /** Query types counted by name; the rest as {@code OTHER}, so a client cannot grow the series. */
  private static final Set<String> TYPES =
      Set.of("A", "AAAA", "CNAME", "MX", "SRV", "NS", "SOA", "TXT", "ANY", "PTR", "NONE");

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final AtomicLong records = new AtomicLong();
  private final Counter refreshFailures;

  DnsMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("kith.dns.records", records, AtomicLong::get)
        .description("Records in the zones this device answers from")
        .register(registry);
    refreshFailures =
        Counter.builder("kith.dns.refresh.failures")
            .description("Rebuilds of the zones that could not read the mesh's view")
            .register(registry);
  }

  void answered(String transport, String qtype, String result) {
    String type = TYPES.contains(qtype) ? qtype : "OTHER";
    String r = result.toLowerCase(Locale.ROOT);
    counters
        .computeIfAbsent(
            "q|" + transport + "|" + type + "|" + r,
            k ->
                Counter.builder("kith.dns.queries")
                    .description("DNS queries answered, by transport, query type and result")
                    .tag("transport", transport)
                    .tag("type", type)
                    .tag("result", r)
                    .register(registry))
        .increment();
  }

  void dropped(String transport, String reason) {
    counters
        .computeIfAbsent(
            "d|" + transport + "|" + reason,
            k ->
                Counter.builder("kith.dns.dropped")
                    .description("DNS packets dropped unanswered (malformed, too large, ...)")
                    .tag("transport", transport)
                    .tag("reason", reason)
                    .register(registry))
        .increment();
  }

  void limited(String decision) {
    String d = decision.toLowerCase(Locale.ROOT);
    counters
        .computeIfAbsent(
            "l|" + d,
            k ->
                Counter.builder("kith.dns.limited")
                    .description(
                        "UDP answers held back by the rate limit: slipped (truncated) or dropped")
                    .tag("decision", d)
                    .register(registry))
        .increment();
  }

  void records(int count) {
    records.set(count);
  }

  void refreshFailed() {
    refreshFailures.increment();
  }
}
