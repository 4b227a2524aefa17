package dev.kith.health.controller;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code kith_service_placement{service,owner,device}}: 1 for each instance where it runs. Every
 * device's {@link PlacementAgent} hands it the whole placement map after each sync, so every device
 * reports the whole mesh and a scrape of any one of them draws the state timeline.
 */
public final class PlacementMetrics {

  private final MultiGauge gauge;

  public PlacementMetrics(MeterRegistry metrics) {
    this.gauge =
        MultiGauge.builder("kith.service.placement")
            .description("1 where a service instance runs")
            .register(metrics);
  }

  /** Replaces the rows with the placements in {@code records}. */
  public void update(Collection<PlacementRecord> records) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (PlacementRecord r : records) {
      if (r.device() != null) {
        rows.add(
            MultiGauge.Row.of(
                Tags.of(
                    "service", r.service(),
                    "owner", r.owner() == null ? "" : r.owner(),
                    "device", r.device()),
                1));
      }
    }
    gauge.register(rows, true);
  }
}
