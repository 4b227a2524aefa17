package dev.kith.dns;

import dev.kith.dns.protocol.ZoneSnapshot;
import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.MeshDirectory;
import dev.kith.mesh.spi.MeshDirectory.Device;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Record;

/**
 * The zones this device answers from, rebuilt from its view of the mesh at once when a device is
 * lost (a failover reaches DNS within the failure detector's time), and every {@link
 * #REFRESH_MILLIS} for everything else (a device that returns, a new site, a changed failover
 * order): a rebuild reads the device registry, which an idle device should not do every second. A
 * rebuild that yields the same records keeps the snapshot and its serial.
 */
final class DnsZones {

  static final long REFRESH_MILLIS = 5000;

  private static final Logger log = LoggerFactory.getLogger(DnsZones.class);

  private final MeshDirectory directory;
  private final List<String> configuredZones;
  private final String self;
  private final DnsMetrics metrics;
  private volatile ZoneSnapshot snapshot = ZoneSnapshot.EMPTY;
  private List<Record> records = List.of();
  private List<String> zones = List.of();
  private long serial;
  private boolean refreshing;
  private String lastProblem;

  DnsZones(MeshDirectory directory, List<String> configuredZones, String self, DnsMetrics metrics) {
    this.directory = directory;
    this.configuredZones = configuredZones;
    this.self = self;
    this.metrics = metrics;
  }

  /** What the server answers from now. */
  ZoneSnapshot snapshot() {
    return snapshot;
  }

  /** Reads the view of the mesh and rebuilds the zones if they changed. On the event loop. */
  Future<Void> refresh() {
    if (refreshing) {
      return Future.succeededFuture();
    }
    refreshing = true;
    return Future.all(directory.devices(), directory.failoverOrders(), directory.names())
        .map(
            all -> {
              List<Device> devices = all.resultAt(0);
              Map<String, List<String>> failover = all.resultAt(1);
              List<DnsName> names = all.resultAt(2);
              apply(ZoneBuilder.zones(configuredZones, names), devices, failover, names);
              return (Void) null;
            })
        .onFailure(this::problem)
        .onComplete(done -> refreshing = false);
  }

  private void apply(
      List<String> nowZones,
      List<Device> devices,
      Map<String, List<String>> failover,
      List<DnsName> names) {
    List<Record> now = ZoneBuilder.records(nowZones, devices, failover, names);
    if (now.equals(records) && nowZones.equals(zones)) {
      return;
    }
    serial = Math.max(serial + 1, System.currentTimeMillis() / 1000);
    snapshot = ZoneBuilder.snapshot(nowZones, now, self, serial);
    if (!nowZones.equals(zones)) {
      log.info("{} answers DNS for {}", self, nowZones.isEmpty() ? "no zone yet" : nowZones);
    }
    records = now;
    zones = nowZones;
    metrics.records(now.size());
    lastProblem = null;
  }

  private void problem(Throwable e) {
    metrics.refreshFailed();
    String problem = e.toString();
    if (!problem.equals(lastProblem)) {
      lastProblem = problem;
      log.warn(
          "{} could not rebuild its DNS zones ({}); it answers from the last ones and retries",
          self,
          problem);
    }
  }
}
