package dev.kith.mail.outbound;

import dev.kith.mail.MailConfig;
import dev.kith.mail.api.Outbound;
import dev.kith.mail.mailbox.Delivery;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceInstance;
import dev.kith.mesh.vault.Fence;
import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import dev.kith.mesh.vault.Version;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The one-per-mesh outbound sender: delivers {@link Outbox} entries to remote domains, through the
 * configured relay or to each domain's MX (the domain itself when it has none, RFC 5321 5.1).
 *
 * <p>Failure model. The controller runs one instance per side of a partition, and moves it when its
 * device dies (a crash: nothing is said) or for a planned move (the new instance starts before the
 * old one stops). Each entry is sent at most once per (Message-ID, recipient):
 *
 * <ul>
 *   <li>Every write of the instance carries its placement epoch ({@link Fence}, scope {@code
 *       outbound}), and it claims the epoch in the vault before it reads the queue: a replica that
 *       has seen a higher epoch refuses the write, and the instance stops sending.
 *   <li>Before connecting, the instance claims the entry with a compare-and-set on the version the
 *       scan read: {@code state=sending, phase=connecting}, a fresh token, its epoch and device.
 *       Compare-and-set needs a majority of the queue's replicas, so of two instances (a hang, or
 *       the two sides of a partition) at most one claims an entry.
 *   <li>Just before the final dot, after which the remote may hold the message, it changes the
 *       claim to {@code phase=committing}, again by compare-and-set, only while the claim is still
 *       its own. After the remote's 250 it writes the outcome ({@code outcome/<entry>}, a fact that
 *       any epoch may record), then {@code delivered}.
 *   <li>A successor that finds a claim of an earlier epoch still {@code connecting} sends it again:
 *       the earlier instance can no longer commit it. One {@code committing} whose outcome is
 *       recorded is delivered; without an outcome it waits while the claiming device still runs and
 *       the commit can still be answered, and then it is in doubt: never sent again, and the sender
 *       gets a "delivery status unknown" notice. An answer lost after the final dot (timeout,
 *       connection closed) is in doubt in the same way.
 * </ul>
 *
 * <p>Temporary failures (4xx, no connection, DNS trouble) are retried after {@code
 * mail-retry-millis}, doubling up to an hour; a 5xx reply, or {@code mail-expiry-hours} of
 * temporary failures, bounce: a DSN ({@link Bounce}) is filed in the sender's INBOX. See
 * docs/mail.md, "Outbound delivery and idempotency".
 */
public final class OutboundInstance extends ServiceInstance implements Outbound {

  private static final Logger log = LoggerFactory.getLogger(OutboundInstance.class);

  /** How often the queue is read while it holds entries, or while reading it fails. */
  static final long SCAN_PERIOD_MILLIS = 1_000;

  /**
   * How often an empty queue is read: a new entry wakes the sender at once ({@link #wake}), so this
   * only catches a wake lost while the sender moved. An idle device then reads no queue every
   * second.
   */
  static final long IDLE_SCAN_MILLIS = 10_000;

  static final int PARALLEL = 4;
  static final long MAX_RETRY_MILLIS = 3_600_000;

  static final long QUIET_MILLIS = 30_000;
  static final long MAX_WORK_RETRY_MILLIS = 60_000;
  static final long DRAIN_MILLIS = 5_000;
  static final String OUTCOME_PREFIX = "outcome/";
  static final String CONNECTING = "connecting";
  static final String COMMITTING = "committing";

  /** Entries not yet finished, on the device that runs the sender (0 elsewhere). */
  private static final AtomicLong QUEUE_SIZE = new AtomicLong();

  private final ServiceContext context;
  private final Vault vault;
  private final Vault unfenced;

  /** The version of each entry as the last scan read it: what a claim compares against. */
  private final Map<String, Version> seenVersions = new ConcurrentHashMap<>();

  private final MailConfig mail;
  private final String device;
  private final long epoch;
  private OutboundSmtp smtp;
  private final Map<String, String> inFlight = new ConcurrentHashMap<>();

  /** Entries delivered whose record could not be written yet: written again on each scan. */
  private final Map<String, JsonObject> unrecorded = new ConcurrentHashMap<>();

  /** When work on each entry last ended (nanoTime): a scan older than that skips the entry. */
  private final Map<String, Long> settled = new ConcurrentHashMap<>();

  private volatile long scanStartedNanos;

  /** Entries whose last piece of work failed: {retry at, delay} in milliseconds. */
  private final Map<String, long[]> resting = new ConcurrentHashMap<>();

  private final AtomicBoolean scanning = new AtomicBoolean();
  private final AtomicBoolean rescan = new AtomicBoolean();
  private volatile boolean fenced;
  private volatile boolean stopped;
  private long timer = -1;
  private long failingSince;
  private long lastComplaint;
  private final Map<String, Counter> sent = new HashMap<>();

  OutboundInstance(InstanceContext instance) {
    super(instance);
    context = instance.services();
    mail = context.config(MailConfig.class);
    device = instance.device();
    epoch = instance.epoch();
    unfenced = context.vault();
    // Every record write carries the placement epoch (fence scope "outbound").
    vault = vault();
    serve(Outbound.class, Outbound.ADDRESS, this);
  }

  /** The queue's vault: the instance claims its epoch there before it reads the queue. */
  @Override
  protected String fencedVault() {
    return Outbox.VAULT_OWNER;
  }

  @Override
  protected Future<Void> open() {
    smtp = new OutboundSmtp(vertx, mail.primaryDomain());
    MeterRegistry metrics = context.metrics();
    for (String result : List.of("delivered", "deferred", "bounced", "in_doubt")) {
      sent.put(
          result,
          Counter.builder("kith.mail.sent")
              .description("Outbound mail attempts by result, per recipient")
              .tag("result", result)
              .register(metrics));
    }
    Gauge.builder("kith.mail.queue.size", QUEUE_SIZE, AtomicLong::get)
        .description("Outbound mail entries not yet delivered, bounced or in doubt")
        .register(metrics);
    log.info(
        "{} runs the outbound mail sender (epoch {}), via {}",
        device,
        epoch,
        mail.relay() == null ? "each domain's MX" : "the relay " + mail.relay());
    scanSoon();
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> wake() {
    scanSoon();
    return Future.succeededFuture();
  }

  /**
   * Stops taking entries, lets transactions under way finish for up to {@link #DRAIN_MILLIS} (a
   * planned move keeps the old instance for a moment after the new one starts; a transaction cut
   * after its final dot would be in doubt), then closes the connections.
   */
  @Override
  protected Future<Void> close() {
    stopped = true;
    vertx.cancelTimer(timer);
    QUEUE_SIZE.set(0);
    io.vertx.core.Promise<Void> drained = io.vertx.core.Promise.promise();
    long deadline = System.currentTimeMillis() + DRAIN_MILLIS;
    awaitDrained(deadline, drained);
    return drained.future().compose(v -> smtp == null ? Future.succeededFuture() : smtp.close());
  }

  private void awaitDrained(long deadline, io.vertx.core.Promise<Void> drained) {
    if (inFlight.isEmpty() || System.currentTimeMillis() >= deadline) {
      if (!inFlight.isEmpty()) {
        log.warn(
            "{}: the outbound sender stops with {} transactions under way; its successor resolves"
                + " them",
            device,
            inFlight.size());
      }
      drained.tryComplete();
      return;
    }
    vertx.setTimer(50, t -> awaitDrained(deadline, drained));
  }

  // ---- the scan ----------------------------------------------------------------------------

  private void scanSoon() {
    if (stopped) {
      return;
    }
    if (!scanning.compareAndSet(false, true)) {
      rescan.set(true);
      return;
    }
    rescan.set(false);
    long startedNanos = System.nanoTime();
    scanStartedNanos = startedNanos;
    settled.values().removeIf(t -> startedNanos - t > 60_000_000_000L);
    Future<List<StoredRecord>> queue;
    try {
      queue =
          fenced
              ? Future.succeededFuture(List.<StoredRecord>of())
              : Outbox.scanAll(vault, Outbox.QUEUE_PREFIX);
    } catch (Throwable e) {
      queue = Future.failedFuture(e);
    }
    queue
        .compose(this::act)
        .onSuccess(
            v -> {
              if (failingSince != 0) {
                log.info("{} reads the outbound mail queue again", device);
                failingSince = 0;
              }
            })
        .onFailure(this::scanFailed)
        .onComplete(
            done -> {
              scanning.set(false);
              if (rescan.get()) {
                vertx.runOnContext(v -> scanSoon());
              } else {
                scheduleScan(done.succeeded() && QUEUE_SIZE.get() == 0 && inFlight.isEmpty());
              }
            });
  }

  /** The next scan: soon while there is work or trouble, rarely while the queue is empty. */
  private void scheduleScan(boolean idle) {
    if (stopped) {
      return;
    }
    vertx.cancelTimer(timer);
    timer = vertx.setTimer(idle ? IDLE_SCAN_MILLIS : SCAN_PERIOD_MILLIS, t -> scanSoon());
  }

  /** Logs a failed scan at once, then every {@link #QUIET_MILLIS} while scans keep failing. */
  private void scanFailed(Throwable e) {
    long now = System.currentTimeMillis();
    if (failingSince == 0 || now - lastComplaint >= QUIET_MILLIS) {
      log.warn(
          "{} cannot read the outbound mail queue{} ({}); it tries every {} ms. Mail waits in"
              + " the queue; if this lasts, check that enough devices are up for the vault",
          device,
          failingSince == 0 ? "" : " for " + (now - failingSince) / 1000 + " s",
          e.toString(),
          SCAN_PERIOD_MILLIS);
      lastComplaint = now;
    }
    if (failingSince == 0) {
      failingSince = now;
    }
  }

  /** Starts work on due entries, oldest first, up to {@link #PARALLEL} at a time. */
  private Future<Void> act(List<StoredRecord> records) {
    long now = System.currentTimeMillis();
    List<JsonObject> entries = new ArrayList<>();
    for (StoredRecord r : records) {
      entries.add(new JsonObject(r.value()).put("key", r.key()));
      seenVersions.put(r.key(), r.version());
    }
    QUEUE_SIZE.set(entries.stream().filter(e -> !finished(e.getString("state"))).count());
    entries.sort(Comparator.comparingLong(e -> e.getLong("created", 0L)));
    List<Future<?>> checks = new ArrayList<>();
    Map<String, Future<Long>> pings = new HashMap<>();
    for (JsonObject entry : entries) {
      if (fenced || stopped) {
        break;
      }
      String key = entry.getString("key");
      Long settledAt = settled.get(key);
      if (inFlight.containsKey(key) || (settledAt != null && settledAt - scanStartedNanos >= 0)) {
        continue; // under way, or finished after this scan read it: the next scan sees it anew
      }
      JsonObject delivered = unrecorded.get(key);
      if (delivered != null) {
        work(
            key,
            () ->
                vault
                    .putRecord(Outbox.VAULT_OWNER, key, delivered)
                    .compose(v -> finish(key, delivered))
                    .onSuccess(v -> unrecorded.remove(key)));
        continue;
      }
      String state = entry.getString("state", Outbox.QUEUED);
      switch (state) {
        case Outbox.QUEUED -> {
          if (entry.getLong("nextAttemptAt", 0L) <= now && inFlight.size() < PARALLEL) {
            attempt(entry);
          }
        }
        case Outbox.SENDING -> {
          long claimEpoch = entry.getLong("epoch", 0L);
          if (claimEpoch > epoch) {
            fence("an entry is claimed by the sender of epoch " + claimEpoch);
          } else if (!COMMITTING.equals(entry.getString("phase"))) {
            // An earlier epoch's claim (or this device's earlier instance's) that never reached
            // the final dot: that instance can no longer commit it, so it is sent again.
            abandoned(entry);
          } else {
            String claimer = entry.getString("device");
            checks.add(
                pings
                    .computeIfAbsent(claimer == null ? "" : claimer, this::claimerStartedAt)
                    .compose(startedAt -> committed(entry, startedAt)));
          }
        }
        case Outbox.BOUNCING -> work(key, () -> notice(entry, true));
        case Outbox.UNKNOWN -> work(key, () -> notice(entry, false));
        case Outbox.DELIVERED, Outbox.BOUNCED, Outbox.IN_DOUBT ->
            work(key, () -> finish(key, entry));
        default -> log.warn("{}: outbound entry {} has unknown state {}", device, key, state);
      }
    }
    return Future.join(checks).mapEmpty();
  }

  private static boolean finished(String state) {
    return Outbox.DELIVERED.equals(state)
        || Outbox.BOUNCED.equals(state)
        || Outbox.IN_DOUBT.equals(state);
  }

  /**
   * Runs one piece of work on an entry (filing a notice, moving it out of the queue), marking it in
   * flight meanwhile; when it fails, the entry rests for {@code mail-retry-millis}, doubling up to
   * a minute, so that a mailbox that is moving is not hammered.
   */
  private void work(String key, java.util.function.Supplier<Future<?>> task) {
    long[] rest = resting.get(key);
    if (rest != null && rest[0] > System.currentTimeMillis()) {
      return;
    }
    if (inFlight.putIfAbsent(key, "work") != null) {
      return;
    }
    Future<?> f;
    try {
      f = task.get();
    } catch (Throwable e) {
      f = Future.failedFuture(e);
    }
    f.onSuccess(v -> resting.remove(key))
        .onFailure(
            e -> {
              long[] previous = resting.get(key);
              long delay =
                  previous == null
                      ? mail.retryMillis()
                      : Math.min(previous[1] * 2, MAX_WORK_RETRY_MILLIS);
              resting.put(key, new long[] {System.currentTimeMillis() + delay, delay});
              if (previous == null || delay >= MAX_WORK_RETRY_MILLIS) {
                log.warn(
                    "{}: cannot finish outbound entry {} yet ({}); it tries again in {} s. If this"
                        + " lasts, check that the sender's mail service runs",
                    device,
                    key,
                    e.toString(),
                    delay / 1000.0);
              }
            })
        .onComplete(
            done -> {
              settled.put(key, System.nanoTime());
              inFlight.remove(key);
              scanSoon();
            });
  }

  /**
   * Another instance's claim whose claimer is gone (or whose lease ran out): a claim that never
   * reached the final dot is sent again; one that did is in doubt.
   */
  private void abandoned(JsonObject entry) {
    String key = entry.getString("key");
    if (inFlight.containsKey(key) || fenced) {
      return;
    }
    if (COMMITTING.equals(entry.getString("phase"))) {
      work(
          key,
          () ->
              unchanged(key, entry)
                  .compose(
                      v -> {
                        log.warn(
                            "{}: {} was handing the message {} for {} to {} when it stopped;"
                                + " whether it arrived is unknown, so it is not sent again and"
                                + " {} is told",
                            device,
                            entry.getString("device"),
                            entry.getString("messageId"),
                            entry.getString("recipient"),
                            entry.getString("remote", "the remote server"),
                            entry.getString("sender"));
                        return markUnknown(entry, "the sending device stopped after the final dot");
                      })
                  .recover(
                      e -> e instanceof Stale ? Future.succeededFuture() : Future.failedFuture(e)));
    } else if (inFlight.size() < PARALLEL) {
      log.info(
          "{}: {} stopped before sending {} to {}; sending it again",
          device,
          entry.getString("device"),
          entry.getString("messageId"),
          entry.getString("recipient"));
      attempt(entry);
    }
  }

  /**
   * A claim that an earlier instance had committed (the remote may hold the message): delivered if
   * its outcome is recorded; else waited on while its device still runs the process that claimed it
   * and the commit can still be answered; else in doubt.
   */
  private Future<Void> committed(JsonObject entry, long claimerStartedAt) {
    String key = entry.getString("key");
    String token = entry.getString("token");
    return unfenced
        .getRecord(Outbox.VAULT_OWNER, OUTCOME_PREFIX + key.substring(Outbox.QUEUE_PREFIX.length()))
        .map(
            outcome -> {
              if (outcome != null
                  && token.equals(new JsonObject(outcome.value()).getString("token"))) {
                JsonObject done =
                    entry
                        .copy()
                        .put("state", Outbox.DELIVERED)
                        .put("deliveredAt", new JsonObject(outcome.value()).getLong("deliveredAt"))
                        .put("reply", new JsonObject(outcome.value()).getString("reply"))
                        .put("lastError", (String) null);
                done.remove("key");
                work(
                    key,
                    () ->
                        vault
                            .putRecord(Outbox.VAULT_OWNER, key, done)
                            .compose(v -> finish(key, done)));
                return null;
              }
              boolean sameProcess =
                  claimerStartedAt >= 0 && claimerStartedAt <= entry.getLong("claimedAt", 0L);
              long answerBy =
                  entry.getLong("committedAt", 0L) + OutboundSmtp.COMMIT_TIMEOUT_MILLIS + 5_000;
              if (!sameProcess || System.currentTimeMillis() > answerBy) {
                abandoned(entry);
              }
              return null;
            });
  }

  /**
   * When the device that made a claim started its current process (epoch millis), or -1 when it
   * does not answer: gone, or this device's own earlier instance.
   */
  private Future<Long> claimerStartedAt(String claimer) {
    if (claimer.isEmpty() || claimer.equals(device)) {
      // This device's own earlier instance: it stopped (its connections closed with it).
      return Future.succeededFuture(-1L);
    }
    return context.startedAt(claimer);
  }

  // ---- fencing -----------------------------------------------------------------------------

  /** A newer sender has taken over: this one sends nothing more, and stops. */
  private void fence(String why) {
    if (!fenced) {
      fenced = true;
      QUEUE_SIZE.set(0);
      // Its device's agent starts it again only while the map still names this device; that
      // claim then meets the fence, and the controller places the sender above it.
      supersede("it is stale: " + why + "; it sends nothing more");
    }
  }

  // ---- one delivery ------------------------------------------------------------------------

  private void attempt(JsonObject entry) {
    String key = entry.getString("key");
    String token = UUID.randomUUID().toString();
    if (inFlight.putIfAbsent(key, token) != null) {
      return;
    }
    long now = System.currentTimeMillis();
    JsonObject claim =
        entry
            .copy()
            .put("state", Outbox.SENDING)
            .put("phase", CONNECTING)
            .put("token", token)
            .put("epoch", epoch)
            .put("device", device)
            .put("attempts", entry.getInteger("attempts", 0) + 1)
            .put("claimedAt", now);
    claim.remove("key");
    claim.remove("leaseUntil");
    Future<String> delivery =
        (fenced
                ? Future.<StoredRecord>failedFuture(new Fenced())
                : vault
                    .compareAndSet(Outbox.VAULT_OWNER, key, seenVersions.get(key), claim, null)
                    .recover(
                        e -> Future.failedFuture(e instanceof Vault.Conflict ? new Stale() : e)))
            .compose(
                claimed -> vault.getObject(claim.getString("sender"), claim.getString("object")))
            .compose(object -> send(key, claim, object.bytes().getBytes()));
    delivery
        .compose(
            reply -> {
              count("delivered");
              log.info(
                  "{}: delivered {} from {} to {} ({})",
                  device,
                  claim.getString("messageId"),
                  claim.getString("sender"),
                  claim.getString("recipient"),
                  reply);
              JsonObject done =
                  claim
                      .copy()
                      .put("state", Outbox.DELIVERED)
                      .put("deliveredAt", System.currentTimeMillis())
                      .put("reply", reply)
                      .put("lastError", (String) null);
              // The outcome first, as a fact any epoch may write: a successor that fenced this
              // instance while the remote was answering learns from it that the message arrived.
              return recordOutcome(key, done)
                  .compose(v -> vault.putRecord(Outbox.VAULT_OWNER, key, done))
                  .compose(v -> finish(key, done))
                  .recover(
                      e -> {
                        if (e instanceof Vault.Fenced f) {
                          fence(f.getMessage() + "; its successor records the delivery");
                          return Future.succeededFuture();
                        }
                        log.error(
                            "{}: {} was delivered to {} but recording it failed ({}); this"
                                + " device records it on its next scans, and should it stop"
                                + " first, its successor treats the entry as in doubt",
                            device,
                            claim.getString("messageId"),
                            claim.getString("recipient"),
                            e.toString());
                        unrecorded.put(key, done);
                        return Future.succeededFuture();
                      });
            })
        .recover(e -> failed(key, claim, e))
        .onComplete(
            done -> {
              settled.put(key, System.nanoTime());
              inFlight.remove(key, token);
              scanSoon();
            });
  }

  /** Thrown when this instance must not send: a newer one exists, or its claim lost. */
  private static final class Fenced extends RuntimeException {
    Fenced() {
      super("not this sender's to send", null, false, false);
    }
  }

  /** The entry changed since the scan read it (another attempt finished it, or claimed it). */
  private static final class Stale extends RuntimeException {
    Stale() {
      super("the entry changed since it was read", null, false, false);
    }
  }

  /**
   * Checks, just before claiming, that the entry is still what the scan saw: a scan that read the
   * queue while an attempt on the entry was finishing would otherwise send it again.
   */
  private Future<Void> unchanged(String key, JsonObject seen) {
    return vault
        .getRecord(Outbox.VAULT_OWNER, key)
        .compose(
            r -> {
              if (r == null) {
                return Future.failedFuture(new Stale());
              }
              JsonObject now = new JsonObject(r.value());
              boolean same =
                  java.util.Objects.equals(now.getString("state"), seen.getString("state"))
                      && java.util.Objects.equals(now.getString("token"), seen.getString("token"))
                      && java.util.Objects.equals(
                          now.getInteger("attempts"), seen.getInteger("attempts"));
              return same ? Future.succeededFuture() : Future.failedFuture(new Stale());
            });
  }

  /** A message the vault no longer holds: nothing can be sent. */
  private static final class Missing extends RuntimeException {
    Missing(String message) {
      super(message, null, false, false);
    }
  }

  private Future<String> send(String key, JsonObject claim, byte[] raw) {
    String rcpt = claim.getString("recipient");
    String from = claim.getString("envelopeFrom");
    if (from == null) {
      from = claim.getString("sender") + "@" + mail.primaryDomain();
    }
    String envelopeFrom = from;
    return targets(rcpt)
        .compose(
            targets -> sendVia(targets, 0, key, claim, envelopeFrom, rcpt, raw, new ArrayList<>()));
  }

  /** Tries each target in turn while the failure is a connection failure. */
  private Future<String> sendVia(
      List<OutboundSmtp.Target> targets,
      int index,
      String key,
      JsonObject claim,
      String from,
      String rcpt,
      byte[] raw,
      List<String> errors) {
    OutboundSmtp.Target target = targets.get(index);
    claim.put("remote", target.host());
    return smtp.send(target, from, rcpt, raw, () -> commit(key, claim))
        .recover(
            e -> {
              if (e instanceof OutboundSmtp.Failure f
                  && f.code == 0
                  && !f.committed
                  && index + 1 < targets.size()) {
                errors.add(e.getMessage());
                return sendVia(targets, index + 1, key, claim, from, rcpt, raw, errors);
              }
              return Future.failedFuture(e);
            });
  }

  /** Right before the final dot: still current, and the claim says the message may now arrive. */
  private Future<Void> commit(String key, JsonObject claim) {
    if (fenced) {
      return Future.failedFuture(new Fenced());
    }
    JsonObject committing =
        claim.copy().put("phase", COMMITTING).put("committedAt", System.currentTimeMillis());
    return vault
        .update(
            Outbox.VAULT_OWNER,
            key,
            current -> {
              // A successor may have claimed the entry meanwhile: then it is its to send.
              String token =
                  current == null ? null : new JsonObject(current.value()).getString("token");
              if (!claim.getString("token").equals(token)) {
                throw new Fenced();
              }
              return committing;
            },
            null)
        .map(
            r -> {
              claim.put("phase", COMMITTING).put("committedAt", committing.getLong("committedAt"));
              return (Void) null;
            });
  }

  /** Records that the remote accepted the message of this claim (see the class comment). */
  private Future<Void> recordOutcome(String key, JsonObject done) {
    return unfenced
        .putRecord(
            Outbox.VAULT_OWNER,
            OUTCOME_PREFIX + key.substring(Outbox.QUEUE_PREFIX.length()),
            new JsonObject()
                .put("token", done.getString("token"))
                .put("reply", done.getString("reply"))
                .put("deliveredAt", done.getLong("deliveredAt")))
        .mapEmpty();
  }

  /** Where mail for {@code rcpt} goes: the relay, else the domain's MX hosts in order. */
  private Future<List<OutboundSmtp.Target>> targets(String rcpt) {
    if (mail.relay() != null) {
      int colon = mail.relay().lastIndexOf(':');
      return Future.succeededFuture(
          List.of(
              new OutboundSmtp.Target(
                  mail.relay().substring(0, colon),
                  Integer.parseInt(mail.relay().substring(colon + 1)),
                  mail.relayTls(),
                  mail.relayUser(),
                  mail.relayPassword() == null ? null : mail.relayPassword().value())));
    }
    int at = rcpt.lastIndexOf('@');
    if (at < 0 || at == rcpt.length() - 1) {
      return Future.failedFuture(
          new OutboundSmtp.Failure("'" + rcpt + "' has no domain", 553, true, false));
    }
    String domain = rcpt.substring(at + 1).toLowerCase(Locale.ROOT);
    return vertx
        .executeBlocking(() -> mxHosts(domain), false)
        .map(
            hosts ->
                hosts.stream()
                    .map(h -> new OutboundSmtp.Target(h, 25, "opportunistic", null, null))
                    .toList());
  }

  /** The domain's MX hosts by preference, or the domain itself when it has no MX (RFC 5321). */
  static List<String> mxHosts(String domain) throws TextParseException {
    Lookup lookup = new Lookup(domain, Type.MX);
    Record[] found = lookup.run();
    switch (lookup.getResult()) {
      case Lookup.SUCCESSFUL -> {
        List<MXRecord> mx = new ArrayList<>();
        for (Record r : found) {
          mx.add((MXRecord) r);
        }
        mx.sort(Comparator.comparingInt(MXRecord::getPriority));
        List<String> hosts = new ArrayList<>();
        for (MXRecord r : mx) {
          String host = r.getTarget().toString(true);
          if (host.isEmpty() || ".".equals(host)) {
            // RFC 7505 null MX: the domain takes no mail.
            throw new OutboundSmtp.Failure(domain + " accepts no mail (null MX)", 556, true, false);
          }
          hosts.add(host);
        }
        return hosts;
      }
      case Lookup.TYPE_NOT_FOUND -> {
        return List.of(domain);
      }
      case Lookup.HOST_NOT_FOUND ->
          throw new OutboundSmtp.Failure(
              "the domain " + domain + " does not exist", 550, true, false);
      default ->
          throw new OutboundSmtp.Failure(
              "cannot look up the mail servers of " + domain + ": " + lookup.getErrorString(),
              0,
              false,
              false);
    }
  }

  /** Records the outcome of a failed attempt: deferred, bounced, in doubt, or not ours. */
  private Future<Void> failed(String key, JsonObject claim, Throwable e) {
    String rcpt = claim.getString("recipient");
    String what =
        claim.getString("messageId") + " from " + claim.getString("sender") + " to " + rcpt;
    if (e instanceof Stale) {
      return Future.succeededFuture();
    }
    if (e instanceof Vault.Fenced f) {
      fence(f.getMessage());
      return Future.succeededFuture();
    }
    if (e instanceof Fenced) {
      // Give the entry back untouched unless another claim replaced ours.
      return release(key, claim);
    }
    if (e instanceof dev.kith.mesh.vault.Vault.NotFound) {
      e =
          new OutboundSmtp.Failure(
              "the message is no longer in the sender's vault", 0, true, false);
    }
    OutboundSmtp.Failure f =
        e instanceof OutboundSmtp.Failure x
            ? x
            : new OutboundSmtp.Failure(e.toString(), 0, false, false);
    long now = System.currentTimeMillis();
    if (f.committed && f.code == 0) {
      log.warn(
          "{}: {} was handed over but the answer was lost ({}); whether it arrived is unknown, so"
              + " it is not sent again and the sender is told",
          device,
          what,
          f.getMessage());
      return markUnknown(claim.put("key", key), f.getMessage());
    }
    claim.put("lastError", f.getMessage()).put("lastAttemptAt", now);
    boolean expired = expired(claim.getLong("created", now), now, mail.expiryHours());
    if (f.permanent || expired) {
      count("bounced");
      log.warn(
          "{}: {} bounced ({}: {}); the sender gets a notice in their INBOX; check the address",
          device,
          what,
          expired && !f.permanent ? "expired after " + mail.expiryHours() + " h" : "refused",
          f.getMessage());
      JsonObject bouncing =
          claim.copy().put("state", Outbox.BOUNCING).put("expired", expired && !f.permanent);
      return vault
          .putRecord(Outbox.VAULT_OWNER, key, bouncing)
          .compose(v -> notice(bouncing.copy().put("key", key), true));
    }
    int attempts = claim.getInteger("attempts", 1);
    long delay = backoff(mail.retryMillis(), attempts);
    count("deferred");
    log.warn(
        "{}: {} deferred after attempt {} ({}); next try in {} s. If this persists, check"
            + " mail-relay and the network",
        device,
        what,
        attempts,
        f.getMessage(),
        delay / 1000.0);
    JsonObject deferred =
        claim.copy().put("state", Outbox.QUEUED).put("nextAttemptAt", now + delay);
    deferred.remove("phase");
    deferred.remove("token");
    return vault.putRecord(Outbox.VAULT_OWNER, key, deferred).mapEmpty();
  }

  /** Whether mail queued at {@code createdMillis} has been retried for long enough. */
  static boolean expired(long createdMillis, long nowMillis, int expiryHours) {
    return nowMillis - createdMillis >= expiryHours * 3_600_000L;
  }

  /** The delay before the next attempt: the first retry delay, doubled per attempt, to an hour. */
  static long backoff(long firstMillis, int attempts) {
    long delay = firstMillis;
    for (int i = 1; i < attempts && delay < MAX_RETRY_MILLIS; i++) {
      delay *= 2;
    }
    return Math.min(delay, MAX_RETRY_MILLIS);
  }

  /** Puts a claim that this instance may not act on back, unless another claim replaced it. */
  private Future<Void> release(String key, JsonObject claim) {
    if (fenced) {
      return Future.succeededFuture();
    }
    JsonObject back =
        claim
            .copy()
            .put("state", Outbox.QUEUED)
            .put("attempts", claim.getInteger("attempts", 1) - 1);
    back.remove("phase");
    back.remove("token");
    return vault
        .update(
            Outbox.VAULT_OWNER,
            key,
            current -> {
              JsonObject now = current == null ? null : new JsonObject(current.value());
              if (now == null
                  || !claim.getString("token").equals(now.getString("token"))
                  || !CONNECTING.equals(now.getString("phase"))) {
                throw new Stale();
              }
              return back;
            },
            null)
        .<Void>mapEmpty()
        .recover(e -> e instanceof Stale ? Future.succeededFuture() : Future.failedFuture(e));
  }

  private Future<Void> markUnknown(JsonObject entry, String why) {
    String key = entry.getString("key");
    JsonObject unknown = entry.copy().put("state", Outbox.UNKNOWN).put("lastError", why);
    unknown.remove("key");
    return vault
        .putRecord(Outbox.VAULT_OWNER, key, unknown)
        .onSuccess(v -> count("in_doubt"))
        .compose(v -> notice(unknown.copy().put("key", key), false));
  }

  /** Files a bounce or an "unknown" notice in the sender's INBOX, once, then finishes the entry. */
  private Future<Void> notice(JsonObject entry, boolean bounce) {
    String key = entry.getString("key");
    String sender = entry.getString("sender");
    String to = entry.getString("envelopeFrom");
    if (to == null || to.isBlank()) {
      to = sender + "@" + mail.primaryDomain();
    }
    String seed = (bounce ? "bounce-" : "unknown-") + key.substring(key.indexOf('/') + 1);
    Bounce.Failed f =
        new Bounce.Failed(
            mail.primaryDomain(),
            to,
            entry.getString("recipient"),
            entry.getString("messageId"),
            entry.getLong("created", 0L),
            System.currentTimeMillis(),
            entry.getString("remote"),
            entry.getString("lastError"),
            entry.getBoolean("expired", false));
    String finalState = bounce ? Outbox.BOUNCED : Outbox.IN_DOUBT;
    return vault
        .getObject(sender, entry.getString("object"))
        .map(o -> o.bytes().getBytes())
        .recover(e -> Future.succeededFuture((byte[]) null))
        .compose(
            original -> {
              byte[] bytes =
                  bounce ? Bounce.dsn(f, original, seed) : Bounce.unknown(f, original, seed);
              return Delivery.deliver(
                  context,
                  sender,
                  new Delivery.Incoming(bytes, "<" + seed + "@kith>", "INBOX", List.of()));
            })
        .compose(
            filed -> {
              JsonObject done = entry.copy().put("state", finalState);
              done.remove("key");
              return vault.putRecord(Outbox.VAULT_OWNER, key, done).compose(v -> finish(key, done));
            })
        .mapEmpty();
  }

  /** Moves a finished entry out of the queue: done/ first, so a re-queue always finds it. */
  private Future<Void> finish(String key, JsonObject done) {
    JsonObject value = done.copy();
    value.remove("key");
    String hash = key.substring(Outbox.QUEUE_PREFIX.length());
    return vault
        .putRecord(Outbox.VAULT_OWNER, Outbox.DONE_PREFIX + hash, value)
        .compose(v -> vault.deleteRecord(Outbox.VAULT_OWNER, key))
        .onSuccess(v -> seenVersions.remove(key))
        .mapEmpty();
  }

  private void count(String result) {
    sent.get(result).increment();
  }
}
