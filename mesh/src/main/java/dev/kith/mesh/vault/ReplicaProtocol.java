package dev.kith.mesh.vault;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How devices ask each other's local stores: one event-bus address per device ({@code
 * kith.vault.store@<device>}), with the operation in the {@code op} header. A call to this device
 * itself skips the bus. Both sides of every call are here, so the request and the reply are read
 * and written in one place.
 *
 * <p>Store work runs on the vault's worker pool, never on an event loop. A replica that finds its
 * copy of an object corrupt asks {@code repair} for good bytes (from another replica) before it
 * answers, so a caller never receives bytes that do not match their id.
 */
final class ReplicaProtocol {

  private static final Logger log = LoggerFactory.getLogger(ReplicaProtocol.class);

  static final String ADDRESS = "kith.vault.store";

  /** Objects travel whole in one message, so a call waits long enough for the largest one. */
  static final long CALL_TIMEOUT_MILLIS = 15_000;

  static final int NOT_FOUND = 404;
  static final int BAD_REQUEST = 400;

  /** A fenced write refused: the message starts with the highest epoch the replica knows. */
  static final int FENCED = 409;

  private final Vertx vertx;
  private final String device;
  private final LocalStore store;
  private final WorkerExecutor workers;
  private final Hlc hlc;
  private final BiFunction<String, String, Future<byte[]>> repair;
  private final java.util.function.Consumer<List<StoredRecord>> applied;
  private MessageConsumer<Object> consumer;
  private final Map<String, Set<InFlight>> inFlight = new ConcurrentHashMap<>();

  /**
   * @param repair fetches good bytes of (owner, id) from another replica and stores them here
   * @param applied told of records that anti-entropy brought into this device's store (writes are
   *     announced by the device that acknowledged them)
   */
  ReplicaProtocol(
      Vertx vertx,
      String device,
      LocalStore store,
      WorkerExecutor workers,
      Hlc hlc,
      BiFunction<String, String, Future<byte[]>> repair,
      java.util.function.Consumer<List<StoredRecord>> applied) {
    this.vertx = vertx;
    this.device = device;
    this.store = store;
    this.workers = workers;
    this.hlc = hlc;
    this.repair = repair;
    this.applied = applied;
  }

  static String address(String device) {
    return ADDRESS + "@" + device;
  }

  /** Starts answering other devices. */
  Future<Void> listen() {
    consumer = vertx.eventBus().consumer(address(device), this::handle);
    return consumer.completion();
  }

  Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  // ---- calls -------------------------------------------------------------------------------

  Future<Void> putObject(String to, String owner, String id, String mediaType, byte[] bytes) {
    if (to.equals(device)) {
      return blocking(() -> store.putObject(owner, id, mediaType, bytes)).mapEmpty();
    }
    DeliveryOptions options =
        options("put-object")
            .addHeader("owner", owner)
            .addHeader("id", id)
            .addHeader("type", mediaType);
    return request(to, Buffer.buffer(bytes), options).mapEmpty();
  }

  /** Bytes of an object, or {@code null} when {@code from} does not hold it. */
  Future<Vault.VaultObject> getObject(
      String from, String owner, String id, long offset, long length) {
    if (from.equals(device)) {
      return readLocal(owner, id, offset, length);
    }
    JsonObject body =
        new JsonObject()
            .put("owner", owner)
            .put("id", id)
            .put("offset", offset)
            .put("length", length);
    return this.<Buffer>request(from, body, options("get-object"))
        .map(
            reply -> {
              MultiMap h = reply.headers();
              ObjectInfo info =
                  new ObjectInfo(
                      owner,
                      id,
                      Long.parseLong(h.get("size")),
                      h.get("type"),
                      Long.parseLong(h.get("storedAt")));
              return new Vault.VaultObject(info, offset, reply.body());
            })
        .recover(e -> isNotFound(e) ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  Future<Void> applyRecords(String to, String owner, List<StoredRecord> records) {
    if (to.equals(device)) {
      return applyLocal(records).mapEmpty();
    }
    JsonArray list = new JsonArray();
    records.forEach(r -> list.add(r.toJson()));
    JsonObject body = new JsonObject().put("owner", owner).put("records", list);
    return request(to, body, options("apply-records")).mapEmpty();
  }

  /**
   * Records written under {@code fence}: {@code to} refuses them all, failing with {@link
   * Vault.Fenced}, when it has seen a higher epoch for the scope. No records is a claim.
   */
  Future<Void> applyFenced(String to, String owner, Fence fence, List<StoredRecord> records) {
    if (to.equals(device)) {
      return blocking(() -> applyFencedHere(owner, fence, records)).mapEmpty();
    }
    JsonArray list = new JsonArray();
    records.forEach(r -> list.add(r.toJson()));
    JsonObject body =
        new JsonObject().put("owner", owner).put("records", list).put("fence", fenceJson(fence));
    return request(to, body, options("apply-fenced"))
        .recover(e -> Future.failedFuture(fencedOr(e, owner, fence)))
        .mapEmpty();
  }

  /** An object that travels with a record, see {@link #applyWithObject}. */
  record Staged(String id, String mediaType, byte[] bytes) {}

  /**
   * A record and the object it refers to, made durable together on {@code to} (one transaction), or
   * neither when {@code fence} (null for none) is refused there.
   */
  Future<Void> applyWithObject(
      String to, String owner, Fence fence, StoredRecord record, Staged object) {
    if (to.equals(device)) {
      return blocking(() -> applyWithObjectHere(owner, fence, record, object)).mapEmpty();
    }
    JsonObject meta =
        new JsonObject().put("record", record.toJson()).put("fence", fenceJson(fence));
    DeliveryOptions options =
        options("apply-with-object")
            .addHeader("owner", owner)
            .addHeader("id", object.id())
            .addHeader("type", object.mediaType())
            .addHeader("meta", meta.encode());
    return request(to, Buffer.buffer(object.bytes()), options)
        .recover(e -> Future.failedFuture(fencedOr(e, owner, fence)))
        .mapEmpty();
  }

  private Integer applyWithObjectHere(
      String owner, Fence fence, StoredRecord record, Staged object) {
    hlc.observe(record.version().hlc());
    return store.applyWithObject(
        owner, fence, record, object.id(), object.mediaType(), object.bytes());
  }

  /** Compare-and-set, phase 1, on {@code to}. */
  Future<RecordSql.Ballot> prepare(
      String to, String owner, String key, Version ballot, Fence fence) {
    if (to.equals(device)) {
      return blocking(() -> observed(store.prepare(owner, key, ballot, fence)));
    }
    JsonObject body =
        new JsonObject()
            .put("owner", owner)
            .put("key", key)
            .put("ballot", ballot.toJson())
            .put("fence", fenceJson(fence));
    return this.<JsonObject>call(to, "prepare", body)
        .recover(e -> Future.failedFuture(fencedOr(e, owner, fence)))
        .map(this::ballot);
  }

  /** Compare-and-set, phase 2, on {@code to}: the proposal's version is its ballot. */
  Future<RecordSql.Ballot> accept(String to, StoredRecord proposal, Fence fence) {
    if (to.equals(device)) {
      return blocking(() -> observed(store.accept(proposal, fence)));
    }
    JsonObject body =
        new JsonObject().put("record", proposal.toJson()).put("fence", fenceJson(fence));
    return this.<JsonObject>call(to, "accept", body)
        .recover(e -> Future.failedFuture(fencedOr(e, proposal.owner(), fence)))
        .map(this::ballot);
  }

  /** The highest epoch {@code from} has seen for each of the owner's scopes. */
  Future<Map<String, Long>> fences(String from, String owner) {
    if (from.equals(device)) {
      return blocking(() -> store.fences(owner));
    }
    return this.<JsonObject>call(from, "fences", new JsonObject().put("owner", owner))
        .map(
            reply -> {
              Map<String, Long> out = new java.util.TreeMap<>();
              reply
                  .getJsonObject("fences", new JsonObject())
                  .forEach(e -> out.put(e.getKey(), ((Number) e.getValue()).longValue()));
              return out;
            });
  }

  private Integer applyFencedHere(String owner, Fence fence, List<StoredRecord> records) {
    records.forEach(r -> hlc.observe(r.version().hlc()));
    return store.applyFenced(owner, fence, records);
  }

  private RecordSql.Ballot observed(RecordSql.Ballot ballot) {
    if (ballot.seen() != null) {
      hlc.observe(ballot.seen().hlc());
    }
    return ballot;
  }

  private RecordSql.Ballot ballot(JsonObject reply) {
    Version seen =
        reply.getJsonObject("seen") == null ? null : Version.fromJson(reply.getJsonObject("seen"));
    if (seen != null) {
      hlc.observe(seen.hlc());
    }
    JsonObject accepted = reply.getJsonObject("accepted");
    return new RecordSql.Ballot(
        reply.getBoolean("ok", false),
        seen,
        accepted == null ? null : StoredRecord.fromJson(accepted));
  }

  private static JsonObject ballotJson(RecordSql.Ballot b) {
    return new JsonObject()
        .put("ok", b.ok())
        .put("seen", b.seen() == null ? null : b.seen().toJson())
        .put("accepted", b.accepted() == null ? null : b.accepted().toJson());
  }

  private static JsonObject fenceJson(Fence fence) {
    return fence == null
        ? null
        : new JsonObject().put("scope", fence.scope()).put("epoch", fence.epoch());
  }

  private static Fence fence(JsonObject json) {
    return json == null ? null : new Fence(json.getString("scope"), json.getLong("epoch"));
  }

  /** A replica's refusal as the {@link Vault.Fenced} it was; any other failure unchanged. */
  static Throwable fencedOr(Throwable e, String owner, Fence fence) {
    if (e instanceof ReplyException r
        && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && r.failureCode() == FENCED) {
      String text = String.valueOf(r.getMessage());
      int space = text.indexOf(' ');
      try {
        long highest = Long.parseLong(space < 0 ? text : text.substring(0, space));
        return new Vault.Fenced(owner, fence, highest);
      } catch (NumberFormatException notOurs) {
        return e;
      }
    }
    return e;
  }

  /** The record as {@code from} holds it (tombstones included), or {@code null}. */
  Future<StoredRecord> getRecord(String from, String owner, String key) {
    if (from.equals(device)) {
      return blocking(() -> store.getRecord(owner, key).orElse(null));
    }
    JsonObject body = new JsonObject().put("owner", owner).put("key", key);
    return this.<JsonObject>call(from, "get-record", body)
        .map(
            reply ->
                reply.getJsonObject("record") == null
                    ? null
                    : StoredRecord.fromJson(reply.getJsonObject("record")));
  }

  /** Records under a prefix as {@code from} holds them, tombstones included. */
  Future<List<StoredRecord>> scan(
      String from, String owner, String prefix, String afterKey, int limit) {
    if (from.equals(device)) {
      return blocking(() -> store.scan(owner, prefix, afterKey, limit, true));
    }
    JsonObject body =
        new JsonObject()
            .put("owner", owner)
            .put("prefix", prefix)
            .put("after", afterKey)
            .put("limit", limit);
    return this.<JsonObject>call(from, "scan", body).map(ReplicaProtocol::records);
  }

  /**
   * Digests of {@code from}'s objects and of its records with a version before {@code beforeHlc}
   * (later ones may still be on their way to some replicas; comparing them would pull what is
   * arriving anyway).
   */
  Future<JsonObject> summary(String from, String owner, long beforeHlc) {
    if (from.equals(device)) {
      return blocking(() -> summaryLocal(owner, beforeHlc));
    }
    return call(from, "summary", new JsonObject().put("owner", owner).put("before", beforeHlc));
  }

  Future<List<String>> objectIds(String from, String owner, String bucket) {
    if (from.equals(device)) {
      return blocking(() -> store.objectIds(owner, bucket));
    }
    JsonObject body = new JsonObject().put("owner", owner).put("bucket", bucket);
    return this.<JsonObject>call(from, "object-ids", body)
        .map(
            reply -> {
              List<String> ids = new ArrayList<>();
              reply.getJsonArray("ids").forEach(id -> ids.add((String) id));
              return ids;
            });
  }

  Future<List<StoredRecord>> bucketRecords(String from, String owner, long bucket, long beforeHlc) {
    if (from.equals(device)) {
      return blocking(() -> store.recordsInBucket(owner, bucket, beforeHlc));
    }
    JsonObject body =
        new JsonObject().put("owner", owner).put("bucket", bucket).put("before", beforeHlc);
    return this.<JsonObject>call(from, "bucket-records", body).map(ReplicaProtocol::records);
  }

  /** Up to {@code limit} of {@code from}'s tombstones older than {@code beforeHlc}. */
  Future<List<StoredRecord>> oldTombstones(String from, String owner, long beforeHlc, int limit) {
    if (from.equals(device)) {
      return blocking(() -> store.tombstonesBefore(owner, beforeHlc, limit));
    }
    JsonObject body =
        new JsonObject().put("owner", owner).put("before", beforeHlc).put("limit", limit);
    return this.<JsonObject>call(from, "old-tombstones", body).map(ReplicaProtocol::records);
  }

  /** Removes exactly these tombstones on {@code to}; the future gives how many went. */
  Future<Integer> purgeTombstones(String to, String owner, List<StoredRecord> tombstones) {
    if (to.equals(device)) {
      return blocking(() -> store.purgeTombstones(owner, tombstones));
    }
    JsonObject body = recordsJson(tombstones).put("owner", owner);
    return this.<JsonObject>call(to, "purge-tombstones", body).map(r -> r.getInteger("purged"));
  }

  Future<JsonObject> stats(String from, String owner) {
    if (from.equals(device)) {
      return blocking(() -> statsLocal(owner));
    }
    return call(from, "stats", new JsonObject().put("owner", owner));
  }

  // ---- answers -----------------------------------------------------------------------------

  private void handle(Message<Object> message) {
    String op = message.headers().get("op");
    Future<?> answer;
    try {
      answer =
          switch (op == null ? "" : op) {
            case "put-object" -> {
              MultiMap h = message.headers();
              byte[] bytes = ((Buffer) message.body()).getBytes();
              yield putObject(device, h.get("owner"), h.get("id"), h.get("type"), bytes)
                  .map(new JsonObject().put("id", h.get("id")));
            }
            case "apply-with-object" -> {
              MultiMap h = message.headers();
              JsonObject meta = new JsonObject(h.get("meta"));
              Staged object =
                  new Staged(h.get("id"), h.get("type"), ((Buffer) message.body()).getBytes());
              StoredRecord record = StoredRecord.fromJson(meta.getJsonObject("record"));
              Fence fence = fence(meta.getJsonObject("fence"));
              yield blocking(() -> applyWithObjectHere(h.get("owner"), fence, record, object))
                  .map(n -> new JsonObject().put("changed", n));
            }
            case "get-object" -> {
              JsonObject b = (JsonObject) message.body();
              yield readLocal(
                  b.getString("owner"),
                  b.getString("id"),
                  b.getLong("offset", 0L),
                  b.getLong("length", Long.MAX_VALUE));
            }
            case "apply-records" -> {
              JsonObject b = (JsonObject) message.body();
              yield applyLocal(records(b)).map(n -> new JsonObject().put("changed", n));
            }
            case "apply-fenced" -> {
              JsonObject b = (JsonObject) message.body();
              yield blocking(
                      () ->
                          applyFencedHere(
                              b.getString("owner"), fence(b.getJsonObject("fence")), records(b)))
                  .map(n -> new JsonObject().put("changed", n));
            }
            case "prepare" -> {
              JsonObject b = (JsonObject) message.body();
              yield prepare(
                      device,
                      b.getString("owner"),
                      b.getString("key"),
                      Version.fromJson(b.getJsonObject("ballot")),
                      fence(b.getJsonObject("fence")))
                  .map(ReplicaProtocol::ballotJson);
            }
            case "accept" -> {
              JsonObject b = (JsonObject) message.body();
              yield accept(
                      device,
                      StoredRecord.fromJson(b.getJsonObject("record")),
                      fence(b.getJsonObject("fence")))
                  .map(ReplicaProtocol::ballotJson);
            }
            case "fences" -> {
              JsonObject b = (JsonObject) message.body();
              yield fences(device, b.getString("owner"))
                  .map(
                      f ->
                          new JsonObject()
                              .put("fences", new JsonObject(new java.util.HashMap<>(f))));
            }
            case "get-record" -> {
              JsonObject b = (JsonObject) message.body();
              yield getRecord(device, b.getString("owner"), b.getString("key"))
                  .map(r -> new JsonObject().put("record", r == null ? null : r.toJson()));
            }
            case "scan" -> {
              JsonObject b = (JsonObject) message.body();
              yield scan(
                      device,
                      b.getString("owner"),
                      b.getString("prefix", ""),
                      b.getString("after"),
                      b.getInteger("limit", 100))
                  .map(ReplicaProtocol::recordsJson);
            }
            case "summary" -> {
              JsonObject b = (JsonObject) message.body();
              yield summary(device, b.getString("owner"), b.getLong("before", Long.MAX_VALUE));
            }
            case "object-ids" -> {
              JsonObject b = (JsonObject) message.body();
              yield objectIds(device, b.getString("owner"), b.getString("bucket"))
                  .map(ids -> new JsonObject().put("ids", new JsonArray(ids)));
            }
            case "bucket-records" -> {
              JsonObject b = (JsonObject) message.body();
              yield bucketRecords(
                      device,
                      b.getString("owner"),
                      b.getLong("bucket"),
                      b.getLong("before", Long.MAX_VALUE))
                  .map(ReplicaProtocol::recordsJson);
            }
            case "stats" -> stats(device, ((JsonObject) message.body()).getString("owner"));
            case "old-tombstones" -> {
              JsonObject b = (JsonObject) message.body();
              yield oldTombstones(
                      device, b.getString("owner"), b.getLong("before"), b.getInteger("limit"))
                  .map(ReplicaProtocol::recordsJson);
            }
            case "purge-tombstones" -> {
              JsonObject b = (JsonObject) message.body();
              yield purgeTombstones(device, b.getString("owner"), records(b))
                  .map(n -> new JsonObject().put("purged", n));
            }
            default -> Future.failedFuture(new IllegalArgumentException("unknown op " + op));
          };
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    answer.onComplete(
        ar -> {
          if (ar.failed()) {
            fail(message, op, ar.cause());
          } else if (ar.result() == null) {
            message.fail(NOT_FOUND, "not held on " + device);
          } else if (ar.result() instanceof Vault.VaultObject object) {
            DeliveryOptions headers =
                new DeliveryOptions()
                    .addHeader("size", String.valueOf(object.info().size()))
                    .addHeader("type", object.info().mediaType())
                    .addHeader("storedAt", String.valueOf(object.info().storedAtMillis()));
            message.reply(object.bytes(), headers);
          } else {
            message.reply(ar.result());
          }
        });
  }

  private void fail(Message<Object> message, String op, Throwable cause) {
    if (cause instanceof Vault.Fenced fenced) {
      message.fail(FENCED, fenced.highest() + " " + fenced.getMessage());
    } else if (cause instanceof IllegalArgumentException || cause instanceof ClassCastException) {
      message.fail(BAD_REQUEST, String.valueOf(cause.getMessage()));
    } else if (cause instanceof Vault.NotFound) {
      message.fail(NOT_FOUND, cause.getMessage());
    } else {
      log.warn("vault call {} failed on {}: {}", op, device, cause.toString());
      message.fail(500, device + ": " + cause);
    }
  }

  private Future<Vault.VaultObject> readLocal(String owner, String id, long offset, long length) {
    return blocking(
            () -> {
              ObjectInfo info = store.objectInfo(owner, id).orElse(null);
              if (info == null) {
                return null;
              }
              byte[] bytes = store.readObject(owner, id, offset, length);
              return bytes == null
                  ? null
                  : new Vault.VaultObject(info, offset, Buffer.buffer(bytes));
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
              return repair
                  .apply(owner, id)
                  .compose(
                      good -> {
                        if (good == null) {
                          return Future.succeededFuture(null);
                        }
                        return blocking(
                            () -> {
                              ObjectInfo info = store.objectInfo(owner, id).orElseThrow();
                              return new Vault.VaultObject(
                                  info, offset, Buffer.buffer(slice(good, offset, length)));
                            });
                      });
            });
  }

  /**
   * Applies records pulled from another replica to this device's store and announces those that
   * were new here; the future gives how many changed it.
   */
  Future<Integer> applyHere(List<StoredRecord> records) {
    return applyLocal(records, true);
  }

  private Future<Integer> applyLocal(List<StoredRecord> records) {
    return applyLocal(records, false);
  }

  private Future<Integer> applyLocal(List<StoredRecord> records, boolean announce) {
    return blocking(
            () -> {
              // Only what is newer here is written, in one transaction: one wait for the disk.
              List<StoredRecord> newer = new ArrayList<>();
              for (StoredRecord r : records) {
                hlc.observe(r.version().hlc());
                StoredRecord current = store.getRecord(r.owner(), r.key()).orElse(null);
                if (current == null || r.newerThan(current)) {
                  newer.add(r);
                }
              }
              if (newer.size() == 1) {
                store.applyRecord(newer.get(0));
              } else if (!newer.isEmpty()) {
                store.applyRecords(newer);
              }
              return newer;
            })
        .onSuccess(
            changed -> {
              if (announce && !changed.isEmpty()) {
                applied.accept(changed);
              }
            })
        .map(List::size);
  }

  private JsonObject summaryLocal(String owner, long beforeHlc) {
    JsonObject objects = new JsonObject();
    store.objectSummary(owner).forEach(objects::put);
    JsonObject records = new JsonObject();
    for (Map.Entry<Long, String> e : store.recordSummary(owner, beforeHlc).entrySet()) {
      records.put(String.valueOf(e.getKey()), e.getValue());
    }
    return new JsonObject().put("objects", objects).put("records", records);
  }

  private JsonObject statsLocal(String owner) {
    LocalStore.Stats s = store.stats(owner);
    return new JsonObject()
        .put("device", device)
        .put("objects", s.objects())
        .put("objectBytes", s.objectBytes())
        .put("records", s.records())
        .put("tombstones", s.tombstones());
  }

  static byte[] slice(byte[] whole, long offset, long length) {
    if (offset > whole.length) {
      throw new IllegalArgumentException(
          "offset " + offset + " is past the end (" + whole.length + " bytes)");
    }
    int from = (int) offset;
    int to = (int) Math.min(whole.length, offset + Math.min(length, Integer.MAX_VALUE));
    return java.util.Arrays.copyOfRange(whole, from, to);
  }

  private static List<StoredRecord> records(JsonObject reply) {
    List<StoredRecord> out = new ArrayList<>();
    reply
        .getJsonArray("records", new JsonArray())
        .forEach(r -> out.add(StoredRecord.fromJson((JsonObject) r)));
    return out;
  }

  private static JsonObject recordsJson(List<StoredRecord> records) {
    JsonArray list = new JsonArray();
    records.forEach(r -> list.add(r.toJson()));
    return new JsonObject().put("records", list);
  }

  static boolean isNotFound(Throwable e) {
    return e instanceof ReplyException r
        && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && r.failureCode() == NOT_FOUND;
  }

  private <T> Future<T> call(String to, String op, JsonObject body) {
    return this.<T>request(to, body, options(op)).map(Message::body);
  }

  /**
   * Sends a call to another device's store, and keeps it in flight until it is answered, so that
   * {@link #deviceLost} can end it early.
   */
  private <T> Future<Message<T>> request(String to, Object body, DeliveryOptions options) {
    Context context = vertx.getOrCreateContext();
    Promise<Message<T>> answer = Promise.promise();
    InFlight call = new InFlight(context, answer);
    Set<InFlight> calls = inFlight.computeIfAbsent(to, d -> ConcurrentHashMap.newKeySet());
    calls.add(call);
    vertx
        .eventBus()
        .<T>request(address(to), body, options)
        .onComplete(
            ar -> {
              calls.remove(call);
              if (ar.succeeded()) {
                answer.tryComplete(ar.result());
              } else {
                answer.tryFail(ar.cause());
              }
            });
    return answer.future();
  }

  /**
   * Ends every call in flight to {@code lost}, which the failure detector has just declared lost,
   * as a timeout would, instead of letting each wait out its {@link #CALL_TIMEOUT_MILLIS}: a
   * request that needed a hung device's answer gets its error (or its quorum from the others) in
   * the seconds that detection takes. As with a timeout, a write may or may not have been applied.
   */
  void deviceLost(String lost) {
    Set<InFlight> calls = inFlight.remove(lost);
    if (calls == null || calls.isEmpty()) {
      return;
    }
    log.info(
        "{}: ending {} vault call(s) to {}, which was declared lost", device, calls.size(), lost);
    ReplyException failure =
        new ReplyException(
            ReplyFailure.TIMEOUT,
            "no answer from " + lost + ", which was declared lost while the call waited");
    calls.forEach(call -> call.context().runOnContext(v -> call.answer().tryFail(failure)));
  }

  /** A call to another device's store, with the context that made it. */
  private record InFlight(Context context, Promise<?> answer) {}

  private static DeliveryOptions options(String op) {
    return new DeliveryOptions().addHeader("op", op).setSendTimeout(CALL_TIMEOUT_MILLIS);
  }

  <T> Future<T> blocking(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }
}
