package dev.kith.health.gossip;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gauges of every device a {@link MeshView} knows: {@code kith_device_up{device}} (1 while ALIVE,
 * else 0), {@code kith_device_battery_ratio{device}} and {@code kith_device_on_mains{device}}
 * (1/0). A device's gauges are registered when the view first hears of it, and stay, so that a dead
 * device shows as 0 rather than vanishing. Gauges read the view's snapshot, so a scrape never
 * waits; a device whose status is not known yet reads NaN.
 */
public final class DeviceMetrics {

  private final MeterRegistry registry;
  private final MeshView view;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  public DeviceMetrics(MeterRegistry registry, MeshView view) {
    this.registry = registry;
    this.view = view;
    register(view.self());
    view.onChange(change -> register(change.device()));
  }

  private void register(String device) {
    if (!registered.add(device)) {
      return;
    }
    Gauge.builder("kith.device.up", view, v -> up(v, device))
        .description("1 while the device is alive in this device's view, else 0")
        .tag("device", device)
        .strongReference(true)
        .register(registry);
    Gauge.builder("kith.device.battery.ratio", view, v -> batteryLevel(v, device))
        .description("The device's battery level from 0 to 1 (1 without a battery)")
        .tag("device", device)
        .strongReference(true)
        .register(registry);
    Gauge.builder("kith.device.on.mains", view, v -> onMains(v, device))
        .description("1 while the device runs from mains, else 0")
        .tag("device", device)
        .strongReference(true)
        .register(registry);
  }

  private static double up(MeshView view, String device) {
    return view.observed(device).map(o -> o.state() == Liveness.ALIVE ? 1.0 : 0.0).orElse(0.0);
  }

  private static double batteryLevel(MeshView view, String device) {
    return view.observed(device).map(o -> o.status().power().batteryLevel()).orElse(Double.NaN);
  }

  private static double onMains(MeshView view, String device) {
    return view.observed(device)
        .map(o -> o.status().power().onMains() ? 1.0 : 0.0)
        .orElse(Double.NaN);
  }
}
