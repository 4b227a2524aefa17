package dev.kith.health.gossip;

import dev.kith.health.HealthConfig;
import dev.kith.health.power.PowerRequest;
import dev.kith.health.power.PowerStatus;
import dev.kith.health.power.SwitchablePower;
import dev.kith.health.sampling.LoadSampler;
import dev.kith.health.sampling.LoadStatus;
import dev.kith.mesh.Tempo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gossips this device's status and keeps its {@link MeshView} up to date.
 *
 * <p>Every period (the mains period, or the longer battery period while on battery; the timer
 * reschedules itself, so the period follows the power) it samples power and load on a worker and
 * publishes a {@link DeviceStatus} on {@link #ADDRESS}. A sample that hangs (a stalled file system)
 * does not silence the device: until it returns, the last sample is gossiped again. Every {@link
 * MeshView#CHECK_PERIOD_MILLIS} it applies the view's deadlines, and every second it compares the
 * view's member list with the cluster's, in case a membership event was missed. It also answers
 * power requests for this device on {@link #powerAddress}.
 *
 * <p>Failure model. Stopping the verticle is the clean leave: it publishes a last status with
 * {@code leaving} set, so that peers see LEFT rather than a crash. Anything else that ends the
 * gossip (a crash, a hang, a lost network) is for the peers' views to detect. The view is confined
 * to this verticle's context: membership events from Hazelcast's threads are handed over with
 * {@link #memberRemoved} and {@link #memberAdded}. Periodic tasks catch and log everything and
 * always reschedule themselves.
 */
public final class GossipVerticle extends VerticleBase {

  /** Where every device publishes its status. */
  public static final String ADDRESS = "kith.health.gossip";

  /**
   * Where a device publishes that it declared another dead ({@code device}, {@code memberId},
   * {@code by}): the others that already suspect it agree at once, see {@link
   * MeshView#confirmDead}.
   */
  public static final String DEAD_ADDRESS = "kith.health.dead";

  /** How long a device waits for others to say whether they still hear a device it suspects. */
  private static final long VOUCH_TIMEOUT_MILLIS = 1_000;

  /** How often the view's member list is compared with the cluster's, in checks. */
  private static final int MEMBER_SYNC_EVERY_CHECKS = 10;

  private static final long BAD_MESSAGE_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static final Logger log = LoggerFactory.getLogger(GossipVerticle.class);

  private record Sample(PowerStatus power, LoadStatus load, long generation) {}

  private final String device;
  private final String owner;
  private final long incarnation;
  private final HealthConfig health;
  private final Membership membership;
  private final SwitchablePower power;
  private final Tempo tempo;
  private final LoadSampler loadSampler;
  private final MeshView view;
  private final Counter sentBytes;

  private MessageConsumer<Object> gossip;
  private MessageConsumer<Object> powerRequests;
  private MessageConsumer<Object> deaths;
  private MessageConsumer<Object> heard;
  private Sample latest = new Sample(PowerStatus.MAINS, LoadStatus.UNKNOWN, -1);
  private long sequence;
  private boolean sampling;
  private boolean slowSampleLogged;
  private boolean stopped;
  private long gossipTimer = -1;
  private long checkTimer = -1;
  private long checks;
  private long lastBadMessageLog = System.nanoTime() - BAD_MESSAGE_LOG_NANOS;
  private long badMessagesSinceLog;

  /**
   * @param incarnation this process's incarnation, see {@link DeviceStatus#incarnation()}
   */
  public GossipVerticle(
      String device,
      String owner,
      long incarnation,
      HealthConfig health,
      Membership membership,
      SwitchablePower power,
      LoadSampler loadSampler,
      MeshView view,
      Tempo tempo,
      MeterRegistry metrics) {
    this.device = device;
    this.tempo = tempo;
    this.owner = owner;
    this.incarnation = incarnation;
    this.health = health;
    this.membership = membership;
    this.power = power;
    this.loadSampler = loadSampler;
    this.view = view;
    this.sentBytes =
        Counter.builder("kith.gossip.sent.bytes")
            .description("Bytes of status messages this device has published")
            .register(metrics);
  }

  /**
   * The address where {@code device} says how long ago it last heard a device that another one
   * suspects ({@code {"device"}} in; out {@code {"ago"}} in milliseconds, null if it does not hear
   * it either, and {@code {"state"}}, the device's liveness in its view).
   */
  public static String heardAddress(String device) {
    return "kith.health.heard." + device;
  }

  /** The address where {@code device} answers power requests. */
  public static String powerAddress(String device) {
    return "kith.health.power." + device;
  }

  @Override
  public Future<?> start() {
    gossip = vertx.eventBus().consumer(ADDRESS, this::onStatus);
    powerRequests = vertx.eventBus().consumer(powerAddress(device), this::onPowerRequest);
    deaths = vertx.eventBus().consumer(DEAD_ADDRESS, this::onDeath);
    heard = vertx.eventBus().consumer(heardAddress(device), this::onHeardQuestion);
    view.onChange(this::askOthersOnSuspicion);
    view.onChange(this::learnRouteOnArrival);
    Future<Sample> firstSample = sample().onSuccess(this::absorb);
    return Future.join(
            List.of(
                gossip.completion(),
                powerRequests.completion(),
                deaths.completion(),
                heard.completion(),
                firstSample))
        .onSuccess(
            ready -> {
              view.setMembers(membership.memberIds());
              publish(false);
              // The death notices' route, learned ahead of need (see learnRouteOnArrival).
              vertx.eventBus().publish(DEAD_ADDRESS, new JsonObject().put("route", device));
              power
                  .lastProblem()
                  .ifPresent(problem -> log.info("{}: power reading: {}", device, problem));
              gossipTimer = vertx.setTimer(periodMillis(), id -> gossipTick());
              checkTimer = vertx.setTimer(checkPeriodMillis(), id -> checkTick());
              log.info(
                  "{} gossips every {} ms (incarnation {}), power {}",
                  device,
                  periodMillis(),
                  incarnation,
                  latest.power().toJson().encode());
            });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(gossipTimer);
    vertx.cancelTimer(checkTimer);
    // Deaf first: the goodbye would otherwise reach this device's own consumer as it goes away.
    Future<Void> unregistered =
        Future.join(
                gossip.unregister(),
                powerRequests.unregister(),
                deaths.unregister(),
                heard.unregister())
            .mapEmpty();
    try {
      publish(true);
      log.info("{} announced that it is leaving", device);
    } catch (Throwable e) {
      log.warn("{} could not announce that it is leaving: {}", device, e.toString());
    }
    return unregistered;
  }

  /** Hands a removed cluster member to the view, from any thread. */
  public void memberRemoved(String memberId) {
    context.runOnContext(v -> view.memberRemoved(memberId));
  }

  /** Hands a new cluster member to the view, from any thread. */
  public void memberAdded(String memberId) {
    context.runOnContext(v -> view.memberAdded(memberId));
  }

  /**
   * Changes this device's power as {@code request} says and gossips it at once. Safe from any
   * thread; never blocks.
   *
   * @return the power from now on
   */
  public PowerStatus applyPower(PowerRequest request) {
    PowerStatus now = power.apply(request);
    log.info("{}: power set to {} by request", device, now.toJson().encode());
    long generation = power.generation();
    context.runOnContext(
        v -> {
          latest = new Sample(now, latest.load(), generation);
          tempo.save(now.isBattery());
          if (!stopped) {
            publish(false);
          }
        });
    return now;
  }

  private void gossipTick() {
    try {
      if (sampling) {
        // The last sample has not come back (a stalled file system?): staying silent would get
        // this device declared dead, so gossip what is known.
        if (!slowSampleLogged) {
          log.warn("{}: sampling power and load is slow; gossiping the last sample", device);
          slowSampleLogged = true;
        }
        publish(false);
      } else {
        sampling = true;
        sample().onComplete(this::sampled);
      }
    } catch (Throwable e) {
      log.error("{}: gossip failed; trying again next period", device, e);
    } finally {
      if (!stopped) {
        gossipTimer = vertx.setTimer(periodMillis(), id -> gossipTick());
      }
    }
  }

  private void sampled(AsyncResult<Sample> result) {
    sampling = false;
    slowSampleLogged = false;
    try {
      if (result.succeeded()) {
        absorb(result.result());
      } else {
        log.warn("{}: sampling failed: {}", device, result.cause().toString());
      }
      if (!stopped) {
        publish(false);
      }
    } catch (Throwable e) {
      log.error("{}: gossip failed; trying again next period", device, e);
    }
  }

  private void checkTick() {
    try {
      if (++checks % MEMBER_SYNC_EVERY_CHECKS == 0) {
        view.setMembers(membership.memberIds());
      }
      view.check();
    } catch (Throwable e) {
      log.error("{}: failure check failed; trying again", device, e);
    } finally {
      if (!stopped) {
        checkTimer = vertx.setTimer(checkPeriodMillis(), id -> checkTick());
      }
    }
  }

  private Future<Sample> sample() {
    // Unordered: a slow sample must not queue the next one behind it.
    return vertx.executeBlocking(
        () -> {
          long generation = power.generation();
          return new Sample(power.read(), loadSampler.sample(), generation);
        },
        false);
  }

  private void absorb(Sample sample) {
    // A power request may have changed the source while this sample was being taken.
    PowerStatus powerNow =
        sample.generation() == power.generation() ? sample.power() : latest.power();
    latest = new Sample(powerNow, sample.load(), power.generation());
    tempo.save(powerNow.isBattery());
  }

  /** The failure detector's check period: longer on battery, a little later to notice silence. */
  private long checkPeriodMillis() {
    return tempo.saving() ? MeshView.CHECK_PERIOD_ON_BATTERY_MILLIS : MeshView.CHECK_PERIOD_MILLIS;
  }

  private long periodMillis() {
    return latest.power().isBattery()
        ? health.gossipPeriodOnBatteryMillis()
        : health.gossipPeriodMillis();
  }

  private void publish(boolean leaving) {
    DeviceStatus status =
        new DeviceStatus(
            device,
            owner,
            membership.localMemberId(),
            incarnation,
            sequence++,
            periodMillis(),
            latest.power(),
            latest.load(),
            leaving,
            System.currentTimeMillis());
    String wire = status.encode();
    // Counted before it is sent: a local listener may hear it before publish returns.
    sentBytes.increment(wire.getBytes(StandardCharsets.UTF_8).length);
    vertx.eventBus().publish(ADDRESS, wire);
    view.receive(status);
  }

  private void onStatus(Message<Object> message) {
    DeviceStatus status;
    try {
      status = DeviceStatus.parse(message.body());
    } catch (IllegalArgumentException e) {
      badMessage(e.getMessage());
      return;
    }
    if (status.device().equals(device)) {
      if (status.incarnation() != incarnation) {
        badMessage(
            "another process gossips as " + device + " (incarnation " + status.incarnation() + ")");
      }
      // This device's own statuses reach the view when they are published.
      return;
    }
    view.receive(status);
  }

  private void onDeath(Message<Object> message) {
    if (message.body() instanceof JsonObject learning && learning.containsKey("route")) {
      return; // a device learning the route, see learnRouteOnArrival
    }
    if (!(message.body() instanceof JsonObject death)
        || !(death.getValue("device") instanceof String dead)
        || !(death.getValue("memberId") instanceof String memberId)
        || !(death.getValue("by") instanceof String by)) {
      badMessage("a death notice without device, memberId and by");
      return;
    }
    if (!by.equals(device)) {
      view.confirmDead(dead, memberId, by);
    }
  }

  /**
   * A device this view just began to suspect may be silent only here. Asks every other device that
   * is alive here whether it still hears it, as SWIM's indirect probe does; one that heard it a
   * gossip period after this device last did keeps it alive (see {@link MeshView#vouch}).
   */
  private void askOthersOnSuspicion(StateChange change) {
    if (change.to() != Liveness.SUSPECT || stopped) {
      return;
    }
    JsonObject question = new JsonObject().put("device", change.device());
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(VOUCH_TIMEOUT_MILLIS);
    for (String other : view.aliveOthers()) {
      if (other.equals(change.device())) {
        continue;
      }
      vertx
          .eventBus()
          .<JsonObject>request(heardAddress(other), question, options)
          .onSuccess(
              reply -> {
                Long ago = reply.body().getLong("ago");
                if (ago != null) {
                  view.vouch(change.device(), change.incarnation(), ago, other);
                }
              })
          .onFailure(
              e ->
                  log.debug(
                      "{}: {} did not say whether it hears {}: {}",
                      device,
                      other,
                      change.device(),
                      e.toString()));
    }
  }

  /**
   * The event bus looks up who listens on an address in the cluster's registry the first time it
   * sends there, and then keeps it up to date. That look-up waits on the registry's partition, and
   * while the dead device is the master, the partitions it owned wait for the new master's claim,
   * which waits for these very messages (the death notices and the questions of {@link
   * dev.kith.health.MemberEviction}). Each route is therefore learned ahead of need: the death
   * notices' at start, a device's questions when it arrives (again after a restart, when its old
   * route was forgotten).
   */
  private void learnRouteOnArrival(StateChange change) {
    // New, back from the dead, or restarted (ALIVE to ALIVE, a new incarnation); a suspect that
    // speaks again kept its route.
    boolean arrived = change.to() == Liveness.ALIVE && change.from() != Liveness.SUSPECT;
    if (stopped || !arrived || change.device().equals(device)) {
      return;
    }
    String address = heardAddress(change.device());
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(VOUCH_TIMEOUT_MILLIS * 10);
    vertx
        .eventBus()
        .request(address, new JsonObject().put("device", device), options)
        .onFailure(e -> log.debug("{}: no answer on {} yet: {}", device, address, e.toString()));
  }

  private void onHeardQuestion(Message<Object> message) {
    if (!(message.body() instanceof JsonObject question)
        || !(question.getValue("device") instanceof String asked)) {
      badMessage("a question about a device without its name");
      message.fail(400, "the question is {\"device\": NAME}");
      return;
    }
    java.util.OptionalLong ago = view.heardAgoMillis(asked);
    String state = view.observed(asked).map(o -> o.state().wireName()).orElse(null);
    message.reply(
        new JsonObject().put("ago", ago.isPresent() ? ago.getAsLong() : null).put("state", state));
  }

  private void onPowerRequest(Message<Object> message) {
    try {
      Object body = message.body();
      JsonObject json =
          body instanceof JsonObject o
              ? o
              : body instanceof String s && s.length() <= DeviceStatus.MAX_BYTES
                  ? new JsonObject(s)
                  : null;
      if (json == null) {
        throw new IllegalArgumentException("power: expected a JSON object");
      }
      PowerStatus now = applyPower(PowerRequest.fromJson(json));
      message.reply(new JsonObject().put("device", device).put("power", now.toJson()));
    } catch (RuntimeException e) {
      message.fail(400, e.getMessage());
    }
  }

  /** Logs messages that other devices got wrong, at most once per interval. */
  private void badMessage(String problem) {
    badMessagesSinceLog++;
    long now = System.nanoTime();
    if (now - lastBadMessageLog >= BAD_MESSAGE_LOG_NANOS) {
      log.warn(
          "{} ignored {} gossip message(s) since the last warning; the latest: {}",
          device,
          badMessagesSinceLog,
          problem);
      lastBadMessageLog = now;
      badMessagesSinceLog = 0;
    }
  }
}
