package dev.kith.mesh.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link KnownPeers} up to date while a device runs: every device of the registry with a
 * cluster address, but this one and removed ones, so that the device joins them after a restart
 * without {@code --join}. Writes only when something changed, on a worker; a failed write is logged
 * and tried again on the next change.
 */
public final class PeerKeeper {

  private static final Logger log = LoggerFactory.getLogger(PeerKeeper.class);

  private final Vertx vertx;
  private final Path home;
  private final String device;
  private volatile Map<String, String> saved;
  private volatile boolean writing;

  public PeerKeeper(Vertx vertx, Path home, String device) {
    this.vertx = vertx;
    this.home = home;
    this.device = device;
  }

  /**
   * The registry's devices as the API lists them ({@code name}, {@code clusterAddress}), and the
   * names of removed devices.
   */
  public void seen(List<JsonObject> devices, Collection<String> removed) {
    Map<String, String> listed = new LinkedHashMap<>();
    for (JsonObject d : devices) {
      String name = d.getString("name");
      String address = d.getString("clusterAddress");
      if (name != null
          && !name.equals(device)
          && address != null
          && KnownPeers.isHostAndPort(address)
          && !removed.contains(name)) {
        listed.put(name, address);
      }
    }
    if (writing || listed.equals(saved)) {
      return;
    }
    writing = true;
    vertx
        .executeBlocking(
            () -> {
              Map<String, String> merged = new LinkedHashMap<>(KnownPeers.load(home));
              merged.keySet().removeAll(removed);
              merged.remove(device);
              merged.putAll(listed);
              KnownPeers.save(home, merged);
              return merged;
            })
        .onSuccess(
            merged -> {
              if (saved == null || !saved.keySet().equals(listed.keySet())) {
                log.info(
                    "{} knows {} peer(s) for its next start: {}", device, merged.size(), merged);
              }
              saved = listed;
            })
        .onFailure(
            e -> log.warn("{} cannot write {}: {}", device, KnownPeers.file(home), e.toString()))
        .onComplete(done -> writing = false);
  }
}
