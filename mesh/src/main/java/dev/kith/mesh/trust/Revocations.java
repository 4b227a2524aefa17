package dev.kith.mesh.trust;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's list of removed devices: certificate serial to {@code {"device","serial","at"}}.
 *
 * <p>It travels in the Hazelcast map {@value #MAP}, whose entry listener tells every device within
 * a moment, and each device keeps what it learned in {@code HOME/trust/revoked.json}, so the list
 * survives a full power loss: a device that starts puts what it knows back into the map. A device
 * never forgets a revocation, even if the map loses an entry, so a removed device cannot undo its
 * removal by deleting it there.
 */
public final class Revocations {

  private static final Logger log = LoggerFactory.getLogger(Revocations.class);

  public static final String MAP = "kith.trust.revoked";

  private final Vertx vertx;
  private final String device;
  private final Path file;
  private final IMap<String, String> map;
  private final Map<String, JsonObject> known = new ConcurrentHashMap<>();
  private final List<Consumer<JsonObject>> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public Revocations(Vertx vertx, HazelcastInstance hazelcast, Path trustFolder, String device) {
    this.vertx = vertx;
    this.device = device;
    this.file = trustFolder.resolve("revoked.json");
    this.map = hazelcast.getMap(MAP);
  }

  /** The revocations kept in a home, read before the event bus starts. */
  public static List<JsonObject> readFile(Path trustFolder) throws IOException {
    Path file = trustFolder.resolve("revoked.json");
    List<JsonObject> out = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      new JsonArray(new String(SecretFiles.read(file), StandardCharsets.UTF_8))
          .forEach(o -> out.add((JsonObject) o));
    }
    return out;
  }

  /** Calls {@code listener} with every revocation this device learns of, old ones first. */
  public void onRevoked(Consumer<JsonObject> listener) {
    listeners.add(listener);
  }

  /** Reads the home's list, shares it, and follows the mesh's. */
  public Future<Void> start() {
    return vertx
        .executeBlocking(
            () -> {
              for (JsonObject r : readFile(file.getParent())) {
                learn(r, false);
                map.putIfAbsent(r.getString("serial"), r.encode());
              }
              map.addEntryListener(
                  (EntryAddedListener<String, String> & EntryUpdatedListener<String, String>)
                      new Listener(),
                  true);
              for (String value : map.values()) {
                learn(new JsonObject(value), true);
              }
              return null;
            })
        .mapEmpty();
  }

  /** Revokes a device's certificate, mesh-wide. */
  public Future<JsonObject> revoke(String deviceName, String serial, String by) {
    JsonObject entry =
        new JsonObject()
            .put("device", deviceName)
            .put("serial", serial)
            .put("at", System.currentTimeMillis())
            .put("by", by);
    learn(entry, true);
    return Future.fromCompletionStage(
            map.putAsync(serial, entry.encode()), vertx.getOrCreateContext())
        .map(entry);
  }

  public boolean isRevoked(String serial) {
    return known.containsKey(serial);
  }

  /** Every revocation this device knows. */
  public List<JsonObject> all() {
    return List.copyOf(known.values());
  }

  private void learn(JsonObject entry, boolean persist) {
    String serial = entry.getString("serial");
    if (serial == null || known.putIfAbsent(serial, entry) != null) {
      return;
    }
    RevocationTrust.revoked().add(serial);
    log.info(
        "{} learned that {} was removed from the mesh (certificate {})",
        device,
        entry.getString("device"),
        serial);
    if (persist) {
      vertx
          .executeBlocking(
              () -> {
                synchronized (this) {
                  SecretFiles.writePublic(
                      file,
                      new JsonArray(new ArrayList<>(known.values()))
                          .encodePrettily()
                          .getBytes(StandardCharsets.UTF_8));
                }
                return null;
              })
          .onFailure(e -> log.warn("{} cannot save {}: {}", device, file, e.toString()));
    }
    listeners.forEach(l -> vertx.runOnContext(v -> l.accept(entry)));
  }

  private final class Listener
      implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      learn(new JsonObject(event.getValue()), true);
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      learn(new JsonObject(event.getValue()), true);
    }
  }
}
