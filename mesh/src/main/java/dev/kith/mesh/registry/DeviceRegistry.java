package dev.kith.mesh.registry;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.kith.mesh.cluster.HazelcastSetup;
import dev.kith.mesh.trust.EntrySeal;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's list of devices: a Hazelcast map from device name to {@link DeviceInfo}.
 *
 * <p>A device claims its name when it starts. The entry records the Hazelcast member that holds the
 * name, so a device's state needs no extra bookkeeping: it is {@code left} if the device said
 * goodbye, {@code alive} while its member is in the cluster, and {@code dead} otherwise. A crashed
 * device's entry stays, so the mesh can say which device is gone.
 *
 * <p>Failure model for names. A name held by a live member that answers on the event bus is in use,
 * and the newcomer is refused ({@link NameInUseException}). A name held by a member the cluster has
 * dropped, or by a device that left, is taken over. A name held by a member the cluster still lists
 * but that does not answer (a device restarted before its old process was declared dead) is waited
 * for until the cluster drops that member, up to a deadline.
 *
 * <p>Entries are sealed ({@link EntrySeal}): each carries its device's certificate and a signature.
 * An entry that is not sealed by a current device of this mesh, such as one written by a process
 * that joined the cluster without being enrolled or by a removed device, is ignored: not listed,
 * and no obstacle to claiming its name.
 *
 * <p>Hazelcast map calls block, so every one runs on a worker thread.
 */
public final class DeviceRegistry {

  private static final Logger log = LoggerFactory.getLogger(DeviceRegistry.class);

  /** Refused because another live device holds the name. */
  public static final class NameInUseException extends RuntimeException {
    public NameInUseException(String message) {
      super(message);
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> devices;
  private final EntrySeal seal;
  private final java.util.Set<String> reportedUntrusted =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  public DeviceRegistry(Vertx vertx, HazelcastInstance hazelcast, EntrySeal seal) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.seal = seal;
    this.devices = hazelcast.getMap(HazelcastSetup.DEVICES_MAP);
  }

  /** The event-bus address where a device answers "are you there?" with its entry. */
  public static String pingAddress(String deviceName) {
    return "kith.mesh.device." + deviceName;
  }

  /** This process's cluster member UUID now; a split-brain merge gives it a new one. */
  public String localMemberId() {
    return hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  /**
   * Calls {@code onMerged} after this member rejoined the mesh in a split-brain merge. The member
   * has a new UUID then, and the device must claim its name again under it, or the mesh would call
   * it dead.
   */
  public UUID onMerged(Runnable onMerged) {
    return hazelcast
        .getLifecycleService()
        .addLifecycleListener(
            event -> {
              if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                onMerged.run();
              }
            });
  }

  /**
   * Claims {@code self.name()} for this process.
   *
   * @param waitForSilentHolderMillis how long to wait for a silent holder to be dropped
   */
  public Future<Void> claim(DeviceInfo self, long waitForSilentHolderMillis) {
    Promise<Void> done = Promise.promise();
    attemptClaim(self, System.currentTimeMillis() + waitForSilentHolderMillis, done);
    return done.future();
  }

  private void attemptClaim(DeviceInfo self, long deadline, Promise<Void> done) {
    vertx
        .executeBlocking(() -> tryClaim(self))
        .onFailure(done::fail)
        .onSuccess(
            holder -> {
              if (holder.isEmpty()) {
                done.complete();
                return;
              }
              String name = self.name();
              vertx
                  .eventBus()
                  .request(pingAddress(name), "ping")
                  .onSuccess(
                      reply ->
                          done.fail(
                              new NameInUseException(
                                  "name: "
                                      + name
                                      + " is already in use by a running device at "
                                      + holder.get().httpUrl()
                                      + "; choose another --name")))
                  .onFailure(
                      silent -> {
                        if (System.currentTimeMillis() > deadline) {
                          done.fail(
                              new NameInUseException(
                                  "name: "
                                      + name
                                      + " is held by a device that does not answer; stop it or"
                                      + " choose another --name"));
                        } else {
                          log.warn(
                              "name {} is held by member {} which does not answer; waiting for"
                                  + " the cluster to drop it",
                              name,
                              holder.get().memberId());
                          vertx.setTimer(500, t -> attemptClaim(self, deadline, done));
                        }
                      });
            });
  }

  /** Claims the name or returns the live holder. Runs on a worker. */
  private Optional<DeviceInfo> tryClaim(DeviceInfo self) {
    String json = seal.seal(self.toJson());
    String localMemberId = localMemberId();
    while (true) {
      String existing = devices.putIfAbsent(self.name(), json);
      if (existing == null) {
        return Optional.empty();
      }
      DeviceInfo holder = DeviceInfo.fromJson(new JsonObject(existing));
      boolean holderAlive =
          seal.trusted(existing) && !holder.left() && memberIds().contains(holder.memberId());
      if (holderAlive && !holder.memberId().equals(localMemberId)) {
        return Optional.of(holder);
      }
      if (devices.replace(self.name(), existing, json)) {
        if (!holder.memberId().equals(localMemberId)) {
          log.info(
              "took over name {} from {} member {}",
              self.name(),
              holder.left() ? "departed" : "dead",
              holder.memberId());
        }
        return Optional.empty();
      }
    }
  }

  /** Writes this device's entry, unless another process now holds the name. */
  public Future<Void> update(DeviceInfo self) {
    return vertx.executeBlocking(
        () -> {
          String json = seal.seal(self.toJson());
          String existing = devices.putIfAbsent(self.name(), json);
          if (existing != null
              && !existing.equals(json)
              && localMemberId().equals(DeviceInfo.fromJson(new JsonObject(existing)).memberId())) {
            devices.replace(self.name(), existing, json);
          }
          return null;
        });
  }

  /** Every device the mesh has seen, sorted by name, with its state now. */
  public Future<List<JsonObject>> list() {
    return vertx.executeBlocking(
        () -> {
          Set<String> members = memberIds();
          List<JsonObject> out = new ArrayList<>();
          for (String json : devices.values()) {
            if (!seal.trusted(json)) {
              reportUntrusted(json);
              continue;
            }
            DeviceInfo info = DeviceInfo.fromJson(new JsonObject(json));
            out.add(info.toApiJson(stateOf(info, members)));
          }
          out.sort(Comparator.comparing(j -> j.getString("name")));
          return out;
        });
  }

  /** The entry of {@code name} as stored (sealed), or {@code null}; trusted or not. */
  public Future<String> storedEntry(String name) {
    return vertx.executeBlocking(() -> devices.get(name));
  }

  private void reportUntrusted(String json) {
    String name;
    try {
      name = new JsonObject(json).getString("name");
    } catch (RuntimeException e) {
      name = "?";
    }
    if (reportedUntrusted.add(name + "|" + EntrySeal.serialOf(json))) {
      log.warn(
          "ignoring the registry entry of {}: not sealed by a current device of this mesh (not"
              + " enrolled, or removed)",
          name);
    }
  }

  public static DeviceState stateOf(DeviceInfo info, Set<String> memberIds) {
    if (info.left()) {
      return DeviceState.LEFT;
    }
    return memberIds.contains(info.memberId()) ? DeviceState.ALIVE : DeviceState.DEAD;
  }

  /**
   * Calls {@code onChange} whenever an entry is added, changed, removed or merged anywhere in the
   * mesh (without its value: the reader lists the registry again).
   */
  public UUID onEntriesChanged(Runnable onChange) {
    return devices.addEntryListener(new EntryListenerAdapter(onChange), /* includeValue= */ false);
  }

  /** One listener for every kind of entry event. */
  private record EntryListenerAdapter(Runnable onChange)
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryRemovedListener<String, String>,
          EntryMergedListener<String, String> {

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      onChange.run();
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      onChange.run();
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      onChange.run();
    }

    @Override
    public void entryMerged(EntryEvent<String, String> event) {
      onChange.run();
    }
  }

  /** Calls {@code onChange} whenever a member joins or leaves the cluster. */
  public UUID onMembershipChange(Runnable onChange) {
    return hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {
                onChange.run();
              }

              @Override
              public void memberRemoved(MembershipEvent event) {
                onChange.run();
              }
            });
  }

  private Set<String> memberIds() {
    return hazelcast.getCluster().getMembers().stream()
        .map(Member::getUuid)
        .map(UUID::toString)
        .collect(Collectors.toSet());
  }
}
