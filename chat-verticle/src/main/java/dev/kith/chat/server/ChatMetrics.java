package dev.kith.chat.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * Chat's metrics on one device: {@code kith_chat_sessions} (open XMPP connections), {@code
 * kith_chat_stanzas_total{direction,kind}}, {@code kith_chat_logins_total{mechanism,result}},
 * {@code kith_chat_stream_errors_total{condition}} and {@code kith_chat_events_total{event}}.
 */
public final class ChatMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final List<Meter> meters = new ArrayList<>();

  public ChatMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void sessions(IntSupplier open) {
    meters.add(
        Gauge.builder("kith.chat.sessions", open, IntSupplier::getAsInt)
            .description("Open XMPP connections on this device")
            .register(registry));
  }

  void stanza(String direction, String kind) {
    count(
        "kith.chat.stanzas", "Stanzas through XMPP sessions", "direction", direction, "kind", kind);
  }

  void login(String mechanism, String result) {
    count("kith.chat.logins", "XMPP logins", "mechanism", mechanism, "result", result);
  }

  void streamError(String condition) {
    count("kith.chat.stream.errors", "XMPP stream errors sent", "condition", condition);
  }

  void event(String event) {
    count("kith.chat.events", "XMPP session events", "event", event);
  }

  private void count(String name, String help, String... tags) {
    String key = name + String.join("|", tags);
    counters
        .computeIfAbsent(
            key, k -> Counter.builder(name).description(help).tags(tags).register(registry))
        .increment();
  }

  /** Removes every meter: the server stopped. */
  public void close() {
    meters.forEach(registry::remove);
    counters.values().forEach(registry::remove);
  }
}
