package dev.kith.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web service's meters: {@code kith_web_requests_total{site,code}}, {@code
 * kith_web_bytes_total{site}}, {@code kith_web_cache_total{result}} (hit or miss), {@code
 * kith_web_cache_bytes} and {@code kith_web_publishes_total{result}}.
 */
final class WebMetrics {

  private final MeterRegistry registry;
  private final Map<String, Map<Integer, Counter>> requests = new ConcurrentHashMap<>();
  private final Map<String, Counter> bytes = new ConcurrentHashMap<>();
  private final Counter hits;
  private final Counter misses;
  private final Counter published;
  private final Counter refused;

  WebMetrics(MeterRegistry registry, ObjectCache cache) {
    this.registry = registry;
    this.hits = cacheCounter("hit");
    this.misses = cacheCounter("miss");
    Gauge.builder("kith.web.cache.bytes", cache, ObjectCache::bytes)
        .description("Bytes of site files this device keeps in memory")
        .register(registry);
    this.published = publishes("ok");
    this.refused = publishes("refused");
  }

  private Counter cacheCounter(String result) {
    return Counter.builder("kith.web.cache")
        .description("Site file reads answered from this device's memory (hit) or the vault (miss)")
        .tag("result", result)
        .register(registry);
  }

  private Counter publishes(String result) {
    return Counter.builder("kith.web.publishes")
        .description("Site versions published through this device, and publishes refused")
        .tag("result", result)
        .register(registry);
  }

  /** One answered request: its site ("-" for none) and status. */
  void request(String site, int status, long bodyBytes) {
    requests
        .computeIfAbsent(site, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            status,
            k ->
                Counter.builder("kith.web.requests")
                    .description("HTTP requests for sites, by site and status")
                    .tags("site", site, "code", String.valueOf(status))
                    .register(registry))
        .increment();
    if (bodyBytes > 0) {
      bytes
          .computeIfAbsent(
              site,
              k ->
                  Counter.builder("kith.web.bytes")
                      .description("Body bytes served for sites")
                      .tag("site", site)
                      .register(registry))
          .increment(bodyBytes);
    }
  }

  void cache(boolean hit) {
    (hit ? hits : misses).increment();
  }

  void publish(boolean ok) {
    (ok ? published : refused).increment();
  }
}
