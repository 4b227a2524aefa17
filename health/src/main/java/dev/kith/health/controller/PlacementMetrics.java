package dev.kith.health.controller;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kith_service_placement{service,owner,device}}: 1 for each instance where it runs, read
 * from the placement map every second so that every device reports the whole mesh and a scrape of
 * any one of them draws the state timeline.
 */
public final class PlacementMetrics {

  private static final Logger log = LoggerFactory.getLogger(PlacementMetrics.class);
  private static final long REFRESH_MILLIS = 1000;

  private final MultiGauge gauge;
  private final PlacementStore store;
  private final Vertx vertx;

  public PlacementMetrics(MeterRegistry metrics, PlacementStore store, Vertx vertx) {
    this.gauge =
        MultiGauge.builder("kith.service.placement")
            .description("1 where a service instance runs")
            .register(metrics);
    this.store = store;
    this.vertx = vertx;
  }

  public void start() {
    vertx.setPeriodic(REFRESH_MILLIS, t -> refresh());
  }

  private void refresh() {
    store
        .placements()
        .onSuccess(
            records -> {
              List<MultiGauge.Row<?>> rows = new ArrayList<>();
              for (PlacementRecord r : records.values()) {
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
            })
        .onFailure(e -> log.debug("placement metrics not refreshed: {}", e.toString()));
  }
}
