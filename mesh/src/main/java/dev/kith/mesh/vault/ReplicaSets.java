package dev.kith.mesh.vault;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.kith.mesh.config.DeviceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which devices keep each owner's vault: the replica set, in the Hazelcast map {@value #MAP} (owner
 * to {@code {"replicas":[...],"epoch":n,"changedAt":millis}}), with a copy on each device that an
 * entry listener keeps current.
 *
 * <p>An owner's set is made on the first write anywhere: the writing device proposes the best
 * {@code min(R, alive devices)} devices and {@code putIfAbsent} settles a race. After that only the
 * maintainer changes it, the device on the oldest cluster member (the placement controller's
 * device), and only with a compare-and-set on the entry, so two maintainers on either side of a
 * healed partition cannot both win. Rules, applied every {@link #MAINTAIN_MILLIS}:
 *
 * <ul>
 *   <li>a replica device that is alive, or dead or away for less than {@code
 *       vault-replace-after-millis}, stays (a device that restarts or rejoins keeps its data);
 *   <li>a set smaller than R gains the best alive devices that are not in it (a new device joined,
 *       or a replica has been gone too long);
 *   <li>a replica gone too long is dropped only when a replacement was added, since a copy that may
 *       come back beats no copy.
 * </ul>
 *
 * <p>"Best" is the owner's own devices first, then the order the platform's extensions give (health
 * ranks by power and free storage), then free storage, then name.
 */
final class ReplicaSets {

  private static final Logger log = LoggerFactory.getLogger(ReplicaSets.class);

  static final String MAP = "kith.vault.replicas";
  static final long MAINTAIN_MILLIS = 2_000;

  /** One owner's replica devices, in the order they were chosen. */
  record ReplicaSet(List<String> devices, long epoch, long changedAtMillis) {
    ReplicaSet {
      devices = List.copyOf(devices);
    }

    String toJson() {
      return new JsonObject()
          .put("replicas", new JsonArray(devices))
          .put("epoch", epoch)
          .put("changedAt", changedAtMillis)
          .encode();
    }

    static ReplicaSet fromJson(String json) {
      JsonObject o = new JsonObject(json);
      List<String> devices = new ArrayList<>();
      o.getJsonArray("replicas", new JsonArray()).forEach(d -> devices.add((String) d));
      return new ReplicaSet(devices, o.getLong("epoch", 0L), o.getLong("changedAt", 0L));
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> map;
  private final String device;
  private final DeviceConfig.Vault settings;
  private final UnaryOperator<List<String>> extensionRank;
  private final Map<String, ReplicaSet> mirror = new ConcurrentHashMap<>();
  private final Map<String, Long> awaySinceMillis = new HashMap<>();
  private final List<BiConsumer<String, ReplicaSet>> changeListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Map<String, JsonObject> devices = Map.of();
  private UUID listenerId;

  ReplicaSets(
      Vertx vertx,
      HazelcastInstance hazelcast,
      String device,
      DeviceConfig.Vault settings,
      UnaryOperator<List<String>> extensionRank) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(MAP);
    this.device = device;
    this.settings = settings;
    this.extensionRank = extensionRank;
  }

  /** Starts mirroring the map; blocking, so call it on a worker. */
  void startMirror() {
    listenerId = map.addEntryListener(new Listener(), true);
    readAll();
  }

  void stopMirror() {
    if (listenerId != null) {
      try {
        map.removeEntryListener(listenerId);
      } catch (RuntimeException e) {
        log.debug("could not remove the replica-set listener: {}", e.toString());
      }
    }
  }

  /** Calls {@code listener} (owner, new set) when a set changes. */
  void onChange(BiConsumer<String, ReplicaSet> listener) {
    changeListeners.add(listener);
  }

  /** The devices the mesh knows, by name, each with its API view (state, capacity). */
  void devicesSeen(List<JsonObject> known) {
    Map<String, JsonObject> byName = new HashMap<>();
    known.forEach(d -> byName.put(d.getString("name"), d));
    devices = byName;
  }

  boolean isAlive(String name) {
    if (name.equals(device)) {
      return true;
    }
    JsonObject d = devices.get(name);
    return d != null && "alive".equals(d.getString("state"));
  }

  long aliveDeviceCount() {
    return aliveDevices().size();
  }

  /** The names of the devices that the registry lists alive. */
  Set<String> aliveDevices() {
    Set<String> alive = new HashSet<>();
    devices.forEach(
        (name, d) -> {
          if ("alive".equals(d.getString("state"))) {
            alive.add(name);
          }
        });
    return alive;
  }

  /** The owner's set from this device's copy, or {@code null} when none is known here. */
  ReplicaSet cached(String owner) {
    return mirror.get(owner);
  }

  /** Every owner whose set this device knows. */
  Map<String, ReplicaSet> all() {
    return Map.copyOf(mirror);
  }

  /** The owner's set, made now if the owner has none. */
  Future<ReplicaSet> of(String owner) {
    ReplicaSet known = mirror.get(owner);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return vertx.executeBlocking(
        () -> {
          String current = map.get(owner);
          if (current == null) {
            ReplicaSet proposed =
                new ReplicaSet(
                    best(owner, Set.of(), settings.replicas()), 1, System.currentTimeMillis());
            current = map.putIfAbsent(owner, proposed.toJson());
            if (current == null) {
              current = proposed.toJson();
              log.info("vault of {} is kept on {}", owner, proposed.devices());
            }
          }
          ReplicaSet set = ReplicaSet.fromJson(current);
          remember(owner, set);
          return set;
        },
        false);
  }

  /** Whether this device maintains the replica sets: it is on the oldest cluster member. */
  boolean isMaintainer() {
    return hazelcast.getCluster().getMembers().iterator().next().localMember();
  }

  /** One round of maintenance, on the maintainer only; blocking, so call it on a worker. */
  void maintain() {
    if (!isMaintainer()) {
      awaySinceMillis.clear();
      return;
    }
    long now = System.currentTimeMillis();
    for (String name : devices.keySet()) {
      if (isAlive(name)) {
        awaySinceMillis.remove(name);
      } else {
        awaySinceMillis.putIfAbsent(name, now);
      }
    }
    for (Map.Entry<String, ReplicaSet> e : mirror.entrySet()) {
      String owner = e.getKey();
      ReplicaSet set = e.getValue();
      List<String> keep = new ArrayList<>();
      List<String> expired = new ArrayList<>();
      for (String replica : set.devices()) {
        Long away = isAlive(replica) ? null : awaySinceMillis.computeIfAbsent(replica, r -> now);
        if (away == null || now - away < settings.replaceAfterMillis()) {
          keep.add(replica);
        } else {
          expired.add(replica);
        }
      }
      List<String> next = new ArrayList<>(keep);
      Set<String> taken = new LinkedHashSet<>(set.devices());
      for (String candidate : best(owner, taken, settings.replicas() - keep.size())) {
        next.add(candidate);
      }
      for (String gone : expired) {
        if (next.size() < settings.replicas()) {
          next.add(gone);
        }
      }
      if (next.equals(set.devices())) {
        continue;
      }
      ReplicaSet changed = new ReplicaSet(next, set.epoch() + 1, now);
      if (map.replace(owner, set.toJson(), changed.toJson())) {
        log.info(
            "vault of {} moves from {} to {} (epoch {}){}",
            owner,
            set.devices(),
            next,
            changed.epoch(),
            expired.isEmpty()
                ? ""
                : "; " + expired + " gone for more than " + settings.replaceAfterMillis() + " ms");
        remember(owner, changed);
      }
    }
  }

  /** Re-reads the whole map, for entries whose events this device missed (after a merge). */
  void readAll() {
    for (Map.Entry<String, String> e : map.entrySet()) {
      remember(e.getKey(), ReplicaSet.fromJson(e.getValue()));
    }
  }

  /** Up to {@code count} alive devices not in {@code taken}, best first. */
  private List<String> best(String owner, Set<String> taken, int count) {
    if (count <= 0) {
      return List.of();
    }
    List<String> alive = new ArrayList<>();
    for (String name : devices.keySet()) {
      if (isAlive(name) && !taken.contains(name)) {
        alive.add(name);
      }
    }
    if (!devices.containsKey(device) && !taken.contains(device)) {
      alive.add(device);
    }
    alive.sort(Comparator.comparing((String d) -> -freeBytes(d)).thenComparing(d -> d));
    List<String> ranked = extensionRank.apply(alive);
    List<String> ordered = new ArrayList<>(ranked == null ? alive : ranked);
    // The owner's own devices first; the sort is stable, so the ranking holds within each group.
    ordered.sort(Comparator.comparing((String d) -> d.endsWith("." + owner) ? 0 : 1));
    return ordered.subList(0, Math.min(count, ordered.size()));
  }

  private long freeBytes(String name) {
    JsonObject d = devices.get(name);
    JsonObject capacity = d == null ? null : d.getJsonObject("capacity");
    if (capacity == null) {
      return 0;
    }
    long quota = capacity.getLong("storageQuotaBytes", 0L);
    long free = capacity.getLong("freeDiskBytes", 0L);
    return quota > 0 ? Math.min(quota, free) : free;
  }

  private void remember(String owner, ReplicaSet set) {
    remember(owner, set, false);
  }

  /** Keeps {@code set}; an older epoch is ignored unless it is what a merge settled on. */
  private void remember(String owner, ReplicaSet set, boolean merged) {
    ReplicaSet before = mirror.get(owner);
    if (!merged && before != null && before.epoch() > set.epoch()) {
      return;
    }
    mirror.put(owner, set);
    if (before == null || !before.equals(set)) {
      changeListeners.forEach(l -> l.accept(owner, set));
    }
  }

  private final class Listener
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryMergedListener<String, String> {

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      remember(event.getKey(), ReplicaSet.fromJson(event.getValue()));
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      remember(event.getKey(), ReplicaSet.fromJson(event.getValue()));
    }

    @Override
    public void entryMerged(EntryEvent<String, String> event) {
      if (event.getValue() != null) {
        remember(event.getKey(), ReplicaSet.fromJson(event.getValue()), true);
      }
    }
  }
}
