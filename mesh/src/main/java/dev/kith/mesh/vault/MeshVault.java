package dev.kith.mesh.vault;

import com.hazelcast.core.HazelcastInstance;
import dev.kith.mesh.Tempo;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.ServiceUnavailable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vault on one device: the coordinator for calls made here, a replica for the owners whose
 * replica set includes this device, and the anti-entropy that keeps replicas equal.
 *
 * <p>Failure model. A write goes to every alive replica at once and is acknowledged when {@code W}
 * of them hold it durably ({@code W} = {@code vault-write-quorum}, or the number of alive replicas
 * if fewer, but at least 1). A replica that misses a write (it was down, cut off, or slow) gets it
 * from anti-entropy: each replica periodically, when a device joins, and when it becomes a replica,
 * compares bucket digests with every other alive replica and pulls what it lacks. Objects are
 * immutable and records merge last-writer-wins by hybrid logical clock with the device name as the
 * tiebreak, so replicas that accepted writes on both sides of a partition converge to one state no
 * matter in which order they pull. Reads ask enough replicas that at least one of them took part in
 * every acknowledged write ({@code replicas - W + 1}), and repair stale replicas they notice.
 *
 * <p>A write the coordinator could not get {@code W} acknowledgements for fails with {@link
 * ServiceUnavailable}: some replicas may hold it, and anti-entropy will spread it, but the caller
 * was not promised anything and should retry.
 */
public final class MeshVault implements Vault {

  private static final Logger log = LoggerFactory.getLogger(MeshVault.class);

  /** Where record changes are published; the owner's name follows a dot. */
  static final String CHANGES_ADDRESS = "kith.vault.changes";

  static final int MAX_KEY_CHARS = 512;
  static final int MAX_SCAN_LIMIT = 1000;
  private static final Pattern OWNER = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern MEDIA_TYPE =
      Pattern.compile(
          "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*( *;[\\x20-\\x7e]*)?");
  private static final int ANTI_ENTROPY_PULLS = 4;

  /** Records younger than this are left out of anti-entropy's comparison, see settleMillis. */
  private static final long MAX_SETTLE_MILLIS = 10_000;

  private static final int TOMBSTONE_BATCH = 500;

  /** How long a device that the health view declared lost counts as not alive. */
  private static final long LOST_MILLIS = 10_000;

  private final Vertx vertx;
  private final String device;
  private final DeviceConfig.Vault settings;
  private final LocalStore store;
  private final WorkerExecutor workers;
  private final Hlc hlc = new Hlc();
  private final ReplicaSets replicaSets;
  private final ReplicaProtocol protocol;
  private final RecordPaxos paxos;
  private final MeterRegistry metrics;
  private final Counter transfers;
  private final Timer replicationLag;
  private final Map<String, Long> lastAntiEntropyMillis = new ConcurrentHashMap<>();
  private final Map<String, LocalStore.Stats> localStats = new ConcurrentHashMap<>();
  private final Set<String> gauged = ConcurrentHashMap.newKeySet();
  private final AtomicInteger antiEntropyRunning = new AtomicInteger();
  private volatile boolean antiEntropyAgain;
  private volatile boolean antiEntropyFullAgain;
  private volatile boolean stopped;
  private final List<Long> timers = new ArrayList<>();
  private final List<Tempo.Round> rounds = new ArrayList<>();
  private final Map<String, Long> lostAtMillis = new ConcurrentHashMap<>();

  private MeshVault(
      Vertx vertx,
      DeviceConfig config,
      HazelcastInstance hazelcast,
      LocalStore store,
      MeterRegistry metrics,
      UnaryOperator<List<String>> rank) {
    this.vertx = vertx;
    this.device = config.name();
    this.settings = config.vault();
    this.store = store;
    this.metrics = metrics;
    this.workers = vertx.createSharedWorkerExecutor("kith-vault", 8);
    this.replicaSets = new ReplicaSets(vertx, hazelcast, device, settings, rank);
    this.protocol =
        new ReplicaProtocol(vertx, device, store, workers, hlc, this::repair, this::publish);
    this.paxos = new RecordPaxos(vertx, device, hlc, protocol, this::isAlive);
    FunctionCounter.builder("kith.vault.commits", store, LocalStore::groupCommits)
        .description("Transactions this device's store committed, each one sync of its log")
        .register(metrics);
    FunctionCounter.builder("kith.vault.committed.writes", store, LocalStore::groupedWrites)
        .description("Writes in those transactions (concurrent writes share one commit)")
        .register(metrics);
    FunctionCounter.builder("kith.vault.repairs", store, LocalStore::repairsDone)
        .description("Corrupt or missing object copies written again with good bytes")
        .register(metrics);
    this.transfers =
        Counter.builder("kith.vault.antientropy.transfers")
            .description("Objects and records that anti-entropy pulled from another replica")
            .register(metrics);
    this.replicationLag =
        Timer.builder("kith.vault.replication.lag")
            .description("From a write's start until every alive replica holds it")
            .publishPercentileHistogram()
            .register(metrics);
    Gauge.builder("kith.vault.corrupt.objects", store, s -> s.corruptionsDetected())
        .description("Object copies found corrupt on this device (each was then repaired)")
        .register(metrics);
  }

  /**
   * Opens this device's store under {@code home/vault}, starts answering other devices and starts
   * the periodic work.
   *
   * @param rank orders devices for keeping replicas, best first, or returns null for no opinion
   */
  public static Future<MeshVault> start(
      Vertx vertx,
      DeviceConfig config,
      HazelcastInstance hazelcast,
      MeterRegistry metrics,
      Tempo tempo,
      UnaryOperator<List<String>> rank) {
    return vertx
        .executeBlocking(() -> LocalStore.open(config.home().resolve("vault")))
        .compose(
            store -> {
              MeshVault vault = new MeshVault(vertx, config, hazelcast, store, metrics, rank);
              return vault.begin(tempo).map(vault);
            });
  }

  private Future<Void> begin(Tempo tempo) {
    replicaSets.onChange(
        (owner, set) -> {
          if (set.devices().contains(device)) {
            vertx.runOnContext(v -> runAntiEntropy("replica set of " + owner + " changed"));
          }
          gaugeOwner(owner);
        });
    return protocol
        .blocking(
            () -> {
              replicaSets.startMirror();
              return null;
            })
        .compose(mirrored -> protocol.listen())
        .onSuccess(
            listening -> {
              rounds.add(
                  tempo.every(
                      vertx, ReplicaSets.MAINTAIN_MILLIS, () -> protocol.blocking(this::maintain)));
              timers.add(
                  vertx.setPeriodic(
                      settings.antiEntropyMillis(), t -> runAntiEntropy("periodic", false)));
              rounds.add(tempo.every(vertx, 10_000, this::refreshStats));
              timers.add(
                  vertx.setPeriodic(
                      Math.min(settings.tombstoneAgeMillis(), 600_000), t -> collectTombstones()));
              // A device that was down catches up on what it missed without waiting a period.
              timers.add(vertx.setTimer(2_000, t -> runAntiEntropy("started")));
              vertx
                  .eventBus()
                  .<String>localConsumer(
                      dev.kith.mesh.spi.ServiceContext.DEVICE_LOST_ADDRESS,
                      m -> {
                        lostAtMillis.put(m.body(), System.currentTimeMillis());
                        protocol.deviceLost(m.body());
                      });
              refreshStats();
              log.info(
                  "vault on {} is open: {} replicas per owner, writes need {}",
                  device,
                  settings.replicas(),
                  settings.writeQuorum());
            });
  }

  /**
   * Whether a device takes vault calls: the registry lists it alive, and the health view has not
   * just declared it lost (the registry follows the cluster, which may take seconds longer).
   */
  private boolean isAlive(String name) {
    Long lost = lostAtMillis.get(name);
    if (lost != null) {
      if (System.currentTimeMillis() - lost < LOST_MILLIS) {
        return false;
      }
      lostAtMillis.remove(name, lost);
    }
    return replicaSets.isAlive(name);
  }

  /** The devices the mesh knows, each with its state and capacity; called about once a second. */
  public void devicesSeen(List<JsonObject> known) {
    Set<String> aliveBefore = replicaSets.aliveDevices();
    replicaSets.devicesSeen(known);
    Set<String> aliveNow = replicaSets.aliveDevices();
    // Calls waiting on a device that has just left the cluster will get no answer: end them.
    aliveBefore.stream().filter(d -> !aliveNow.contains(d)).forEach(protocol::deviceLost);
    // A lost device the registry no longer lists alive needs no override; one listed alive again
    // after that has come back.
    lostAtMillis.keySet().removeIf(d -> !replicaSets.isAlive(d));
    if (aliveNow.size() > aliveBefore.size() && !aliveBefore.isEmpty()) {
      // A device joined or came back: compare contents soon, after it has settled.
      vertx.setTimer(1_000, t -> runAntiEntropy("a device joined"));
    }
  }

  /**
   * Runs a round of anti-entropy now that compares everything, for tests and for a device that just
   * joined: what a device that was apart missed may be seconds old. The periodic rounds leave out
   * the last moments' records (see {@link #settleMillis}).
   */
  public void runAntiEntropy(String why) {
    runAntiEntropy(why, true);
  }

  private void runAntiEntropy(String why, boolean full) {
    if (stopped) {
      return;
    }
    if (antiEntropyRunning.getAndIncrement() > 0) {
      antiEntropyAgain = true;
      antiEntropyFullAgain |= full;
      antiEntropyRunning.decrementAndGet();
      return;
    }
    antiEntropyAgain = false;
    boolean compareAll = full || antiEntropyFullAgain;
    antiEntropyFullAgain = false;
    antiEntropyRound(why, compareAll)
        .onComplete(
            done -> {
              antiEntropyRunning.decrementAndGet();
              if (done.failed()) {
                log.warn("vault anti-entropy on {} failed: {}", device, done.cause().toString());
              }
              if (antiEntropyAgain) {
                vertx.setTimer(200, t -> runAntiEntropy("asked again while running", false));
              }
            });
  }

  public Future<Void> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    rounds.forEach(Tempo.Round::cancel);
    return protocol
        .close()
        .eventually(
            () ->
                protocol.blocking(
                    () -> {
                      replicaSets.stopMirror();
                      store.close();
                      return null;
                    }))
        .eventually(workers::close)
        .mapEmpty();
  }

  // ---- objects -----------------------------------------------------------------------------

  @Override
  public Future<String> putObject(String owner, String mediaType, Buffer bytes) {
    try {
      checkOwner(owner);
      checkMediaType(mediaType);
      checkObjectSize(bytes.length());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    byte[] data = bytes.getBytes();
    return objectId(data)
        .compose(
            id ->
                replicaSets
                    .of(owner)
                    .compose(
                        set ->
                            quorumWrite(
                                owner,
                                set,
                                "object " + id,
                                to -> protocol.putObject(to, owner, id, mediaType, data)))
                    .map(id));
  }

  @Override
  public Future<VaultObject> getObject(String owner, String id, long offset, long length) {
    try {
      checkOwner(owner);
      checkId(id);
      if (offset < 0 || length < 0) {
        throw new IllegalArgumentException("offset and length must not be negative");
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(
            set -> {
              List<String> from = readOrder(set);
              return firstHolder(from, 0, owner, id, offset, length, null);
            });
  }

  @Override
  public Future<Boolean> hasObject(String owner, String id) {
    return getObject(owner, id, 0, 0)
        .map(true)
        .recover(
            e -> e instanceof NotFound ? Future.succeededFuture(false) : Future.failedFuture(e));
  }

  /** Tries each device in turn until one holds the object. */
  private Future<VaultObject> firstHolder(
      List<String> from,
      int index,
      String owner,
      String id,
      long offset,
      long length,
      Throwable lastFailure) {
    if (index >= from.size()) {
      if (lastFailure != null) {
        return Future.failedFuture(
            new ServiceUnavailable(
                "no reachable replica of "
                    + owner
                    + "'s vault holds object "
                    + id
                    + " (last error: "
                    + lastFailure.getMessage()
                    + "); retry shortly"));
      }
      return Future.failedFuture(new NotFound("no object " + id + " in " + owner + "'s vault"));
    }
    return protocol
        .getObject(from.get(index), owner, id, offset, length)
        .transform(
            ar -> {
              if (ar.succeeded() && ar.result() != null) {
                return Future.succeededFuture(ar.result());
              }
              Throwable failure = ar.failed() ? ar.cause() : lastFailure;
              return firstHolder(from, index + 1, owner, id, offset, length, failure);
            });
  }

  /**
   * Replaces this device's corrupt copy of an object with good bytes from another replica; the
   * future gives the bytes, or {@code null} when no other replica holds a good copy.
   */
  private Future<byte[]> repair(String owner, String id) {
    return replicaSets
        .of(owner)
        .compose(
            set -> {
              List<String> others = new ArrayList<>(readOrder(set));
              others.remove(device);
              return firstHolder(others, 0, owner, id, 0, Long.MAX_VALUE, null);
            })
        .compose(
            good ->
                protocol
                    .blocking(
                        () ->
                            store.putObject(
                                owner, id, good.info().mediaType(), good.bytes().getBytes()))
                    .map(
                        stored -> {
                          log.info(
                              "vault object {} of {} repaired on {} from another replica",
                              id,
                              owner,
                              device);
                          return good.bytes().getBytes();
                        }))
        .recover(
            e -> {
              log.error(
                  "vault object {} of {} is corrupt on {} and no other replica has a good copy"
                      + " ({}); restore it from a backup (kith import)",
                  id,
                  owner,
                  device,
                  e.getMessage());
              return Future.succeededFuture(null);
            });
  }

  /**
   * The ids of the owner's objects that start with {@code bucket} (two hex digits), from every
   * alive replica; for backups.
   */
  public Future<List<String>> listObjects(String owner, String bucket) {
    try {
      checkOwner(owner);
      if (bucket == null || !bucket.matches("[0-9a-f]{2}")) {
        throw new IllegalArgumentException("bucket is two lowercase hex digits, 00 to ff");
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(
            set -> {
              List<Future<List<String>>> each = new ArrayList<>();
              for (String replica : readOrder(set)) {
                each.add(protocol.objectIds(replica, owner, bucket));
              }
              return Future.join(each)
                  .transform(
                      done -> {
                        java.util.TreeSet<String> ids = new java.util.TreeSet<>();
                        int answered = 0;
                        for (Future<List<String>> f : each) {
                          if (f.succeeded()) {
                            ids.addAll(f.result());
                            answered++;
                          }
                        }
                        if (answered == 0) {
                          return Future.failedFuture(
                              new ServiceUnavailable(
                                  "no replica of " + owner + "'s vault answered; retry shortly"));
                        }
                        return Future.succeededFuture(List.copyOf(ids));
                      });
            });
  }

  /**
   * Writes records with the versions they already carry (a restore from a backup); each replica
   * keeps whichever version of a key is newest, so importing twice changes nothing.
   */
  public Future<Void> importRecords(String owner, List<StoredRecord> records) {
    try {
      checkOwner(owner);
      for (StoredRecord r : records) {
        if (!r.owner().equals(owner)) {
          throw new IllegalArgumentException("record " + r.key() + " belongs to " + r.owner());
        }
        checkKey(r.key());
        if (r.value() != null && r.value().length() > StoredRecord.MAX_VALUE_BYTES) {
          throw new IllegalArgumentException("record " + r.key() + " is too large");
        }
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    records.forEach(r -> hlc.observe(r.version().hlc()));
    return replicaSets
        .of(owner)
        .compose(
            set ->
                quorumWrite(
                    owner,
                    set,
                    records.size() + " imported records",
                    to -> protocol.applyRecords(to, owner, records)))
        .onSuccess(v -> publish(records));
  }

  /** A verified local copy of an object, to stream from disk. */
  public record LocalFile(ObjectInfo info, java.nio.file.Path path) {}

  /**
   * This device's own copy of an object, checked against its id, or {@code null} when this device
   * holds none, or held a corrupt one (which is then repaired from another replica).
   */
  public Future<LocalFile> localFile(String owner, String id) {
    try {
      checkOwner(owner);
      checkId(id);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return protocol
        .blocking(
            () -> {
              ObjectInfo info = store.objectInfo(owner, id).orElse(null);
              java.nio.file.Path path = info == null ? null : store.verifiedFile(owner, id);
              return path == null ? null : new LocalFile(info, path);
            })
        .recover(
            e -> {
              if (!(e instanceof CorruptObjectException)) {
                return Future.failedFuture(e);
              }
              log.error(
                  "vault object {} of {} is corrupt on {}; repairing it from another replica",
                  id,
                  owner,
                  device);
              // Repaired or not, the caller reads through the replicas from here.
              return repair(owner, id).map(bytes -> (LocalFile) null);
            });
  }

  /** Whether this device itself holds a copy of the object (for checks of replication). */
  public Future<Boolean> hasLocalObject(String owner, String id) {
    try {
      checkOwner(owner);
      checkId(id);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return protocol.blocking(() -> store.hasObject(owner, id));
  }

  /** This device's own copy of a record, tombstone included, or {@code null}. */
  public Future<StoredRecord> localRecord(String owner, String key) {
    try {
      checkOwner(owner);
      checkKey(key);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return protocol.getRecord(device, owner, key);
  }

  // ---- records -----------------------------------------------------------------------------

  @Override
  public Future<Version> putRecord(String owner, String key, JsonObject value) {
    return putRecord(owner, key, value, null);
  }

  @Override
  public Future<Version> putRecord(String owner, String key, JsonObject value, Fence fence) {
    if (value == null) {
      return Future.failedFuture(new IllegalArgumentException("a record needs a JSON value"));
    }
    return writeRecord(owner, key, value.encode(), fence);
  }

  @Override
  public Future<Version> putRecordWithObject(
      String owner, String key, JsonObject value, String mediaType, Buffer bytes, Fence fence) {
    String encoded;
    try {
      checkOwner(owner);
      checkKey(key);
      checkMediaType(mediaType);
      checkObjectSize(bytes.length());
      if (value == null) {
        throw new IllegalArgumentException("a record needs a JSON value");
      }
      encoded = value.encode();
      StoredRecord.checkValue(encoded);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    byte[] data = bytes.getBytes();
    StoredRecord record = newRecord(owner, key, encoded, fence);
    return objectId(data)
        .compose(
            objectId ->
                replicaSets
                    .of(owner)
                    .compose(
                        set ->
                            quorumWrite(
                                owner,
                                set,
                                "record " + key + " with object " + objectId,
                                to ->
                                    protocol.applyWithObject(
                                        to,
                                        owner,
                                        fence,
                                        record,
                                        new ReplicaProtocol.Staged(objectId, mediaType, data)))))
        .map(record.version())
        .onSuccess(v -> publish(List.of(record)));
  }

  @Override
  public Future<Version> deleteRecord(String owner, String key) {
    return deleteRecord(owner, key, null);
  }

  @Override
  public Future<Version> deleteRecord(String owner, String key, Fence fence) {
    return writeRecord(owner, key, null, fence);
  }

  private Future<Version> writeRecord(String owner, String key, String value, Fence fence) {
    try {
      checkOwner(owner);
      checkKey(key);
      StoredRecord.checkValue(value);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    StoredRecord record = newRecord(owner, key, value, fence);
    return replicaSets
        .of(owner)
        .compose(
            set ->
                quorumWrite(
                    owner,
                    set,
                    "record " + key,
                    to ->
                        fence == null
                            ? protocol.applyRecords(to, owner, List.of(record))
                            : protocol.applyFenced(to, owner, fence, List.of(record))))
        .map(record.version())
        .onSuccess(v -> publish(List.of(record)));
  }

  @Override
  public Vault fenced(Fence fence) {
    return new FencedVault(this, fence);
  }

  @Override
  public Future<Void> claim(String owner, Fence fence) {
    try {
      checkOwner(owner);
      java.util.Objects.requireNonNull(fence, "fence");
    } catch (IllegalArgumentException | NullPointerException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(
            set ->
                quorumWrite(
                    owner,
                    set,
                    "the claim of " + fence,
                    true,
                    to -> protocol.applyFenced(to, owner, fence, List.of())));
  }

  @Override
  public Future<StoredRecord> update(
      String owner,
      String key,
      java.util.function.Function<StoredRecord, JsonObject> change,
      Fence fence) {
    try {
      checkOwner(owner);
      checkKey(key);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(set -> paxos.update(owner, key, set, change, fence))
        .onSuccess(r -> publish(List.of(r)));
  }

  @Override
  public Future<StoredRecord> getRecord(String owner, String key) {
    try {
      checkOwner(owner);
      checkKey(key);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(
            set ->
                quorumRead(
                    owner,
                    set,
                    from ->
                        protocol
                            .getRecord(from, owner, key)
                            .map(r -> r == null ? List.<StoredRecord>of() : List.of(r))))
        .map(found -> found.isEmpty() || found.get(0).deleted() ? null : found.get(0));
  }

  @Override
  public Future<List<StoredRecord>> scan(String owner, String prefix, String afterKey, int limit) {
    return scanPage(owner, prefix, afterKey, limit).map(Page::records);
  }

  @Override
  public Future<Page> scanPage(String owner, String prefix, String afterKey, int limit) {
    return scanPage(owner, prefix, afterKey, limit, false);
  }

  /** A page of a prefix scan, with tombstones when {@code withDeleted} (for backups). */
  public Future<Page> scanPage(
      String owner, String prefix, String afterKey, int limit, boolean withDeleted) {
    try {
      checkOwner(owner);
      if (prefix == null || prefix.length() > MAX_KEY_CHARS || prefix.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("prefix must be at most " + MAX_KEY_CHARS + " chars");
      }
      if (afterKey != null) {
        checkKey(afterKey);
      }
      if (limit < 1 || limit > MAX_SCAN_LIMIT) {
        throw new IllegalArgumentException("limit must be 1-" + MAX_SCAN_LIMIT);
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(
            set ->
                quorumRead(owner, set, from -> protocol.scan(from, owner, prefix, afterKey, limit)))
        .map(
            merged -> {
              List<StoredRecord> page = merged.subList(0, Math.min(limit, merged.size()));
              String next = merged.size() >= limit ? page.get(page.size() - 1).key() : null;
              return new Page(
                  page.stream().filter(r -> withDeleted || !r.deleted()).toList(), next);
            });
  }

  @Override
  public Future<Watch> watch(String owner, String prefix, Handler<StoredRecord> handler) {
    try {
      checkOwner(owner);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    MessageConsumer<JsonObject> consumer =
        vertx
            .eventBus()
            .consumer(
                CHANGES_ADDRESS + "." + owner,
                message -> {
                  StoredRecord r = StoredRecord.fromJson(message.body());
                  if (r.key().startsWith(prefix)) {
                    handler.handle(r);
                  }
                });
    return consumer.completion().map(v -> (Watch) consumer::unregister);
  }

  private void publish(List<StoredRecord> changed) {
    for (StoredRecord r : changed) {
      vertx.eventBus().publish(CHANGES_ADDRESS + "." + r.owner(), r.toJson());
    }
  }

  // ---- quorum ------------------------------------------------------------------------------

  /**
   * Sends a write to every alive replica; completes when {@code W} hold it, fails as soon as {@code
   * W} can no longer be reached.
   */
  private Future<Void> quorumWrite(
      String owner,
      ReplicaSets.ReplicaSet set,
      String what,
      java.util.function.Function<String, Future<Void>> writeTo) {
    return quorumWrite(owner, set, what, false, writeTo);
  }

  /**
   * @param majority whether the write needs a majority of the whole replica set rather than {@code
   *     W} of the alive replicas: a claim does (on sets of three or more; with two, either alone
   *     must be able to take over), so that a device that is alone (it just woke from a hang, or
   *     sits on the small side of a partition) cannot claim on its own copy
   */
  private Future<Void> quorumWrite(
      String owner,
      ReplicaSets.ReplicaSet set,
      String what,
      boolean majority,
      java.util.function.Function<String, Future<Void>> writeTo) {
    List<String> alive = set.devices().stream().filter(this::isAlive).toList();
    majority = majority && set.devices().size() >= 3;
    int majorityOfSet = set.devices().size() / 2 + 1;
    if (majority && alive.size() < majorityOfSet) {
      return Future.failedFuture(
          new ServiceUnavailable(
              "only "
                  + alive.size()
                  + " of "
                  + set.devices()
                  + " (replicas of "
                  + owner
                  + "'s vault) are reachable, and "
                  + what
                  + " needs "
                  + majorityOfSet
                  + "; retry once more of them are up"));
    }
    if (alive.isEmpty()) {
      return Future.failedFuture(
          new ServiceUnavailable(
              "no replica of "
                  + owner
                  + "'s vault is reachable ("
                  + set.devices()
                  + "); start one of those devices, or wait for the vault to move"));
    }
    int needed =
        majority
            ? Math.max(majorityOfSet, Math.min(settings.writeQuorum(), alive.size()))
            : Math.max(1, Math.min(settings.writeQuorum(), alive.size()));
    Promise<Void> acknowledged = Promise.promise();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    long started = System.nanoTime();
    for (String replica : alive) {
      writeTo
          .apply(replica)
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  int n = ok.incrementAndGet();
                  if (n >= needed) {
                    acknowledged.tryComplete();
                  }
                  if (n == alive.size()) {
                    replicationLag.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                  }
                } else if (ar.cause() instanceof Vault.Fenced fenced) {
                  // One refusal is enough: the writer has been superseded and must stop.
                  acknowledged.tryFail(fenced);
                } else {
                  errors.add(replica + ": " + ar.cause().getMessage());
                  if (failed.incrementAndGet() > alive.size() - needed) {
                    acknowledged.tryFail(
                        new ServiceUnavailable(
                            "only "
                                + ok.get()
                                + " of "
                                + needed
                                + " replicas of "
                                + owner
                                + "'s vault acknowledged "
                                + what
                                + " "
                                + errors
                                + "; retry shortly"));
                  }
                }
              });
    }
    return acknowledged.future();
  }

  /**
   * Asks alive replicas for records and merges their answers (newest version of each key, in key
   * order); completes once enough replicas answered that one of them saw every acknowledged write.
   * Replicas found behind are sent the newer records.
   */
  private Future<List<StoredRecord>> quorumRead(
      String owner,
      ReplicaSets.ReplicaSet set,
      java.util.function.Function<String, Future<List<StoredRecord>>> readFrom) {
    List<String> alive = readOrder(set);
    int replicas = set.devices().size();
    int writeQuorum = Math.min(settings.writeQuorum(), replicas);
    int needed = Math.max(1, Math.min(alive.size(), replicas - writeQuorum + 1));
    if (alive.isEmpty()) {
      return Future.failedFuture(
          new ServiceUnavailable(
              "no replica of " + owner + "'s vault is reachable (" + set.devices() + ")"));
    }
    Promise<List<StoredRecord>> result = Promise.promise();
    Map<String, List<StoredRecord>> answers = new ConcurrentHashMap<>();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    for (String replica : alive) {
      readFrom
          .apply(replica)
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  answers.put(replica, ar.result());
                  if (answers.size() >= needed) {
                    result.tryComplete(merge(answers.values()));
                  }
                } else if (failed.incrementAndGet() > alive.size() - needed) {
                  result.tryFail(
                      new ServiceUnavailable(
                          "too few replicas of "
                              + owner
                              + "'s vault answered ("
                              + ar.cause().getMessage()
                              + "); retry shortly"));
                }
                if (done.incrementAndGet() == alive.size()) {
                  readRepair(owner, answers);
                }
              });
    }
    return result.future();
  }

  /** Sends each replica that answered the records it was behind on. */
  private void readRepair(String owner, Map<String, List<StoredRecord>> answers) {
    List<StoredRecord> newest = merge(answers.values());
    for (Map.Entry<String, List<StoredRecord>> e : answers.entrySet()) {
      Map<String, StoredRecord> theirs = new TreeMap<>();
      e.getValue().forEach(r -> theirs.put(r.key(), r));
      List<StoredRecord> behind = new ArrayList<>();
      for (StoredRecord r : newest) {
        StoredRecord their = theirs.get(r.key());
        if (their != null && r.newerThan(their)) {
          behind.add(r);
        }
      }
      if (!behind.isEmpty()) {
        protocol
            .applyRecords(e.getKey(), owner, behind)
            .onFailure(x -> log.debug("read repair to {} failed: {}", e.getKey(), x.toString()));
      }
    }
  }

  /** Keys in the store's order: by their UTF-8 bytes, so that paging agrees with every replica. */
  private static final java.util.Comparator<String> KEY_ORDER =
      (a, b) ->
          java.util.Arrays.compareUnsigned(
              a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
              b.getBytes(java.nio.charset.StandardCharsets.UTF_8));

  private static List<StoredRecord> merge(java.util.Collection<List<StoredRecord>> answers) {
    Map<String, StoredRecord> byKey = new TreeMap<>(KEY_ORDER);
    for (List<StoredRecord> list : answers) {
      for (StoredRecord r : list) {
        byKey.merge(r.key(), r, (a, b) -> b.newerThan(a) ? b : a);
      }
    }
    return new ArrayList<>(byKey.values());
  }

  /** Alive replicas, this device first (its answer needs no network). */
  private List<String> readOrder(ReplicaSets.ReplicaSet set) {
    List<String> alive = new ArrayList<>(set.devices().stream().filter(this::isAlive).toList());
    if (alive.remove(device)) {
      alive.add(0, device);
    }
    return alive;
  }

  // ---- anti-entropy ------------------------------------------------------------------------

  private Void maintain() {
    try {
      replicaSets.maintain();
    } catch (RuntimeException e) {
      log.warn("vault replica maintenance on {} failed: {}", device, e.toString());
    }
    return null;
  }

  /** Pulls, for each owner this device keeps, what other alive replicas hold and it lacks. */
  private Future<Void> antiEntropyRound(String why, boolean full) {
    // Writes of the last moments may still be on their way to a replica that is fine: comparing
    // them would pull whole buckets that are arriving anyway, every round, under a steady load.
    long before =
        full ? Long.MAX_VALUE : Hlc.of(Math.max(0, System.currentTimeMillis() - settleMillis()), 0);
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, ReplicaSets.ReplicaSet> e : replicaSets.all().entrySet()) {
      String owner = e.getKey();
      ReplicaSets.ReplicaSet set = e.getValue();
      if (!set.devices().contains(device)) {
        continue;
      }
      for (String peer : set.devices()) {
        if (peer.equals(device) || !isAlive(peer)) {
          continue;
        }
        chain =
            chain.compose(
                v ->
                    pullFrom(peer, owner, before)
                        .recover(
                            x -> {
                              log.warn(
                                  "vault anti-entropy on {} could not compare {}'s vault with {}:"
                                      + " {}",
                                  device,
                                  owner,
                                  peer,
                                  x.getMessage());
                              return Future.succeededFuture();
                            }));
      }
      chain = chain.onSuccess(v -> lastAntiEntropyMillis.put(owner, System.currentTimeMillis()));
    }
    log.debug("vault anti-entropy on {} ({})", device, why);
    return chain;
  }

  private Future<Void> pullFrom(String peer, String owner, long before) {
    return protocol
        .fences(peer, owner)
        .compose(
            seen ->
                seen.isEmpty()
                    ? Future.succeededFuture()
                    : protocol.blocking(
                        () -> {
                          store.raiseFences(owner, seen);
                          return null;
                        }))
        .compose(v -> pullSummaries(peer, owner, before));
  }

  private Future<Void> pullSummaries(String peer, String owner, long before) {
    return Future.all(
            protocol.summary(peer, owner, before), protocol.summary(device, owner, before))
        .compose(
            both -> {
              JsonObject theirs = both.resultAt(0);
              JsonObject mine = both.resultAt(1);
              Future<Void> chain = Future.succeededFuture();
              JsonObject theirObjects = theirs.getJsonObject("objects", new JsonObject());
              JsonObject myObjects = mine.getJsonObject("objects", new JsonObject());
              for (String bucket : theirObjects.fieldNames()) {
                if (!theirObjects.getString(bucket).equals(myObjects.getString(bucket))) {
                  chain = chain.compose(v -> pullObjects(peer, owner, bucket));
                }
              }
              JsonObject theirRecords = theirs.getJsonObject("records", new JsonObject());
              JsonObject myRecords = mine.getJsonObject("records", new JsonObject());
              for (String bucket : theirRecords.fieldNames()) {
                if (!theirRecords.getString(bucket).equals(myRecords.getString(bucket))) {
                  chain =
                      chain.compose(v -> pullRecords(peer, owner, Long.parseLong(bucket), before));
                }
              }
              return chain;
            });
  }

  private Future<Void> pullObjects(String peer, String owner, String bucket) {
    return Future.all(
            protocol.objectIds(peer, owner, bucket), protocol.objectIds(device, owner, bucket))
        .compose(
            both -> {
              List<String> missing = new ArrayList<>(both.<List<String>>resultAt(0));
              missing.removeAll(both.<List<String>>resultAt(1));
              return pullEach(peer, owner, missing);
            });
  }

  /** Copies objects from {@code peer}, a few at a time. */
  private Future<Void> pullEach(String peer, String owner, List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> all = Promise.promise();
    java.util.Iterator<String> next = ids.iterator();
    AtomicInteger inFlight = new AtomicInteger();
    Runnable[] pump = new Runnable[1];
    pump[0] =
        () -> {
          synchronized (next) {
            while (inFlight.get() < ANTI_ENTROPY_PULLS && next.hasNext()) {
              String id = next.next();
              inFlight.incrementAndGet();
              protocol
                  .getObject(peer, owner, id, 0, Long.MAX_VALUE)
                  .compose(
                      obj ->
                          obj == null
                              ? Future.succeededFuture()
                              : protocol.putObject(
                                  device,
                                  owner,
                                  id,
                                  obj.info().mediaType(),
                                  obj.bytes().getBytes()))
                  .onComplete(
                      ar -> {
                        if (ar.succeeded()) {
                          transfers.increment();
                        } else {
                          all.tryFail(ar.cause());
                        }
                        inFlight.decrementAndGet();
                        boolean finished;
                        synchronized (next) {
                          finished = !next.hasNext() && inFlight.get() == 0;
                        }
                        if (finished) {
                          all.tryComplete();
                        } else {
                          pump[0].run();
                        }
                      });
            }
          }
        };
    pump[0].run();
    return all.future();
  }

  /**
   * How old a record must be before anti-entropy compares it: the anti-entropy period, at most
   * {@link #MAX_SETTLE_MILLIS}.
   */
  private long settleMillis() {
    return Math.min(MAX_SETTLE_MILLIS, settings.antiEntropyMillis());
  }

  private Future<Void> pullRecords(String peer, String owner, long bucket, long before) {
    return protocol
        .bucketRecords(peer, owner, bucket, before)
        .compose(protocol::applyHere)
        .onSuccess(transfers::increment)
        .mapEmpty();
  }

  /**
   * Removes tombstones older than {@code vault-tombstone-age-millis} that every replica holds with
   * the same version, from every replica. Runs on the replica-set maintainer only, and only for
   * owners whose replicas are all alive: a replica that missed the delete could otherwise bring the
   * old value back through anti-entropy.
   */
  private void collectTombstones() {
    if (stopped || !replicaSets.isMaintainer()) {
      return;
    }
    long before = Hlc.of(System.currentTimeMillis() - settings.tombstoneAgeMillis(), 0);
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, ReplicaSets.ReplicaSet> e : replicaSets.all().entrySet()) {
      String owner = e.getKey();
      List<String> replicas = e.getValue().devices();
      if (!replicas.stream().allMatch(this::isAlive)) {
        continue;
      }
      chain = chain.compose(v -> collectTombstones(owner, replicas, before));
    }
    chain.onFailure(
        x -> log.warn("vault tombstone collection on {} failed: {}", device, x.toString()));
  }

  private Future<Void> collectTombstones(String owner, List<String> replicas, long before) {
    List<Future<List<StoredRecord>>> held = new ArrayList<>();
    for (String replica : replicas) {
      held.add(protocol.oldTombstones(replica, owner, before, TOMBSTONE_BATCH));
    }
    return Future.all(held)
        .compose(
            all -> {
              // Held by every replica with the same version: the intersection.
              java.util.Set<String> everywhere = null;
              Map<String, StoredRecord> byId = new java.util.HashMap<>();
              for (Future<List<StoredRecord>> f : held) {
                java.util.Set<String> these = new java.util.HashSet<>();
                for (StoredRecord r : f.result()) {
                  String id = r.key() + "\0" + r.version().hlc() + "\0" + r.version().device();
                  these.add(id);
                  byId.put(id, r);
                }
                if (everywhere == null) {
                  everywhere = these;
                } else {
                  everywhere.retainAll(these);
                }
              }
              if (everywhere == null || everywhere.isEmpty()) {
                return Future.succeededFuture();
              }
              List<StoredRecord> purge = everywhere.stream().map(byId::get).toList();
              List<Future<Integer>> purged = new ArrayList<>();
              for (String replica : replicas) {
                purged.add(protocol.purgeTombstones(replica, owner, purge));
              }
              return Future.join(purged)
                  .onComplete(
                      done ->
                          log.info(
                              "vault of {}: removed {} tombstones older than {} ms from {}",
                              owner,
                              purge.size(),
                              settings.tombstoneAgeMillis(),
                              replicas))
                  .mapEmpty();
            });
  }

  // ---- status and metrics ------------------------------------------------------------------

  @Override
  public Future<JsonObject> status(String owner) {
    try {
      checkOwner(owner);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return replicaSets
        .of(owner)
        .compose(
            set -> {
              List<Future<JsonObject>> each = new ArrayList<>();
              for (String replica : set.devices()) {
                boolean alive = isAlive(replica);
                Future<JsonObject> stats =
                    alive
                        ? protocol
                            .stats(replica, owner)
                            .recover(
                                e ->
                                    Future.succeededFuture(
                                        new JsonObject().put("error", e.getMessage())))
                        : Future.succeededFuture(new JsonObject());
                each.add(
                    stats.map(
                        s ->
                            s.copy()
                                .put("device", replica)
                                .put("state", alive ? "alive" : "away")));
              }
              return Future.join(each)
                  .transform(
                      ar -> {
                        JsonArray replicas = new JsonArray();
                        each.forEach(f -> replicas.add(f.result()));
                        long alive = set.devices().stream().filter(this::isAlive).count();
                        Long last = lastAntiEntropyMillis.get(owner);
                        return Future.succeededFuture(
                            new JsonObject()
                                .put("owner", owner)
                                .put("replicas", replicas)
                                .put("epoch", set.epoch())
                                .put("aliveReplicas", alive)
                                .put(
                                    "writeQuorum",
                                    Math.max(1, Math.min(settings.writeQuorum(), (int) alive)))
                                .put("underReplicated", underReplicated(set))
                                .put(
                                    "lastAntiEntropy",
                                    last == null ? null : Instant.ofEpochMilli(last).toString()));
                      });
            });
  }

  private boolean underReplicated(ReplicaSets.ReplicaSet set) {
    long alive = set.devices().stream().filter(this::isAlive).count();
    long possible = Math.min(settings.replicas(), Math.max(1, replicaSets.aliveDeviceCount()));
    return alive < set.devices().size() || alive < possible;
  }

  private void gaugeOwner(String owner) {
    if (!gauged.add(owner)) {
      return;
    }
    Gauge.builder(
            "kith.vault.underreplicated",
            this,
            v -> {
              ReplicaSets.ReplicaSet set = v.replicaSets.cached(owner);
              return set != null && v.underReplicated(set) ? 1 : 0;
            })
        .description("1 while fewer replicas of the owner's vault are alive than it should have")
        .tag("owner", owner)
        .register(metrics);
    Gauge.builder("kith.vault.objects", this, v -> v.statOf(owner, LocalStore.Stats::objects))
        .description("Objects of the owner's vault held on this device")
        .tags("owner", owner, "device", device)
        .register(metrics);
    Gauge.builder("kith.vault.bytes", this, v -> v.statOf(owner, LocalStore.Stats::objectBytes))
        .description("Bytes of the owner's objects held on this device")
        .tags("owner", owner, "device", device)
        .baseUnit("bytes")
        .register(metrics);
  }

  private double statOf(String owner, java.util.function.ToLongFunction<LocalStore.Stats> f) {
    LocalStore.Stats s = localStats.get(owner);
    return s == null ? 0 : f.applyAsLong(s);
  }

  private void refreshStats() {
    protocol
        .blocking(
            () -> {
              for (String owner : store.owners()) {
                localStats.put(owner, store.stats(owner));
              }
              return null;
            })
        .onSuccess(v -> localStats.keySet().forEach(this::gaugeOwner))
        .onFailure(e -> log.warn("vault statistics on {} failed: {}", device, e.toString()));
  }

  // ---- validation --------------------------------------------------------------------------

  static void checkOwner(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new IllegalArgumentException("'" + owner + "' is not an owner name");
    }
  }

  static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("an object id is 64 lowercase hex digits (SHA-256)");
    }
  }

  static void checkKey(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_CHARS || key.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "a record key is 1-" + MAX_KEY_CHARS + " characters, without NUL");
    }
  }

  static void checkMediaType(String mediaType) {
    if (mediaType == null || mediaType.length() > 255 || !MEDIA_TYPE.matcher(mediaType).matches()) {
      throw new IllegalArgumentException("'" + mediaType + "' is not a media type (type/subtype)");
    }
  }

  /** A new write of {@code key}: versioned now, under the fence's epoch (0 without one). */
  private StoredRecord newRecord(String owner, String key, String value, Fence fence) {
    long epoch = fence == null ? 0 : fence.epoch();
    return new StoredRecord(owner, key, new Version(epoch, hlc.now(), device), value);
  }

  /** The id of {@code data}: a small object is hashed here, a large one on a worker. */
  private Future<String> objectId(byte[] data) {
    return data.length <= LocalStore.IN_DB_MAX_BYTES
        ? Future.succeededFuture(sha256(data))
        : protocol.blocking(() -> sha256(data));
  }

  private void checkObjectSize(int length) {
    if (length > settings.maxObjectBytes()) {
      throw new IllegalArgumentException(
          "object is "
              + length
              + " bytes; the vault keeps objects up to "
              + settings.maxObjectBytes()
              + " bytes (vault-max-object-bytes)");
    }
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
