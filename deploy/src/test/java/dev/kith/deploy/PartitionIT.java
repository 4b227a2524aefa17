package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.health.controller.PlacementController;
import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.MeshApi;
import dev.kith.mesh.testing.Partition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A partition of five containers into two and three, and its heal (issue 3's partition acceptance,
 * DESIGN.md invariant 3): the per-mesh beacon never runs twice on one side, each side runs its own
 * copy while they are apart, and soon after the halves merge exactly one copy remains.
 *
 * <p>The sides are chosen on purpose: the beacon's device goes to the two-device side, so that the
 * three-device side, which keeps the placement controller, has to place a copy of its own, while
 * the two-device side, once its cluster has dropped the other three, elects its own controller and
 * keeps its copy. When the halves heal, Hazelcast merges the smaller cluster into the larger one,
 * and the merged placement map names one device; the agents fence the other copy.
 *
 * <p>What a device runs is what it says of itself: {@code GET /api/mesh/devices/X} asked of X lists
 * the instances X's own placement agent runs (or, while X has lost its own registry entry, its
 * agent's last log line says). Every device is polled on its own thread, {@link #POLL} after each
 * answer, and two copies count only where two devices' answers show them running over overlapping
 * spans of time: never a false alarm from polling one device before another, but a second copy
 * shorter than a poll can go unseen. The times are printed; the agents' logs are printed when the
 * test fails.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class PartitionIT {

  private static final String BEACON = "beacon";
  private static final Duration POLL = Duration.ofMillis(100);

  /** The acceptance bound: two of the controller's reconcile periods after the merge. */
  private static final Duration TWO_RECONCILE_PERIODS =
      Duration.ofMillis(2 * PlacementController.RECONCILE_PERIOD_MILLIS);

  @BeforeEach
  void requireDockerAndPacketFilters() {
    Docker.assumeDockerOrFail();
    Partition.assumeSupportedOrFail();
  }

  @Test
  @DisplayName(
      "A 2|3 partition runs at most one beacon per side, one on each side, and one in total within"
          + " two reconcile periods of the merge")
  void partitionThenHeal() throws Exception {
    // Start: five containers that list each other alive, and the beacon placed on one of them.
    try (ContainerMesh mesh = ContainerMesh.options().devices(5).start()) {
      Duration formed = eventually(Duration.ofSeconds(90), () -> assertAllAlive(mesh));
      int beacon = eventually(Duration.ofSeconds(30), () -> placedBeacon(mesh));
      int controller = eventually(Duration.ofSeconds(10), () -> controller(mesh));
      System.out.printf(
          "[partition] mesh formed %d ms after all were healthy; beacon on %s, controller %s%n",
          formed.toMillis(), mesh.name(beacon), mesh.name(controller));

      if (beacon == controller) {
        // The controller is to stay with the majority and the beacon to go with the minority, so
        // move the beacon off the controller's device first: drain it, then let it back.
        beacon = moveBeaconOff(mesh, controller);
        System.out.printf("[partition] moved the beacon to %s by a drain%n", mesh.name(beacon));
      }
      int companion = firstOther(mesh, Set.of(beacon, controller));
      List<Integer> minority = List.of(beacon, companion);

      long healAt;
      try (BeaconWatch watch = new BeaconWatch(mesh)) {
        // Fault: cut {beacon's device, one more} off from the other three, controller among them.
        long splitAt = System.nanoTime();
        Partition partition = Partition.split(mesh, minority);
        try (partition) {
          watch.sides(partition);
          System.out.printf(
              "[partition] split %s in %d ms%n", partition, since(splitAt).toMillis());

          Duration detected =
              eventually(Duration.ofSeconds(30), () -> assertSplitSeen(mesh, partition));
          Map<Integer, Integer> copies =
              eventually(Duration.ofSeconds(60), () -> watch.onePerSide(partition));
          System.out.printf(
              "[partition] split seen by every device %d ms after the cut; a copy on each side"
                  + " %d ms after it: %s%n",
              detected.toMillis(), since(splitAt).toMillis(), describe(mesh, copies));
          eventually(Duration.ofSeconds(20), () -> assertEachSideAnswers(mesh, partition, copies));
          allTheTime(
              Duration.ofSeconds(3),
              () -> assertThat(watch.onePerSide(partition)).isEqualTo(copies));
          watch.assertNoViolation();

          // Recovery: heal, wait for the merged cluster to be observable, then for one copy.
          healAt = System.nanoTime();
          partition.heal();
        }
        long healedAt = System.nanoTime();
        Duration merged = eventually(Duration.ofSeconds(90), () -> assertAllAlive(mesh));
        long mergedAt = System.nanoTime();
        // One copy, as every device answers about itself after the merge was observed.
        int survivor = eventually(Duration.ofSeconds(30), () -> watch.exactlyOneSince(mergedAt));
        Duration oneAfterMerge = since(mergedAt);
        System.out.printf(
            "[partition] healed in %d ms; every device lists all five alive %d ms after that; every"
                + " device says one copy runs, on %s, %d ms after that (two were last seen at once"
                + " %d ms after the heal began)%n",
            Duration.ofNanos(healedAt - healAt).toMillis(),
            merged.toMillis(),
            mesh.name(survivor),
            oneAfterMerge.toMillis(),
            watch.lastManyAfter(healAt).toMillis());

        // Verdict: no side ever ran two; one copy within two reconcile periods of the merge, and it
        // stays one, named by every device's placement list.
        watch.assertNoViolation();
        assertThat(oneAfterMerge)
            .as("time from the merge to a single beacon")
            .isLessThanOrEqualTo(TWO_RECONCILE_PERIODS);
        allTheTime(
            Duration.ofSeconds(5),
            () -> assertThat(watch.exactlyOneSince(mergedAt)).isEqualTo(survivor));
        watch.assertNoViolation();
        Duration listed =
            eventually(
                Duration.ofSeconds(30),
                () -> {
                  for (int i = 0; i < mesh.size(); i++) {
                    assertPlacedOn(mesh, i, survivor);
                  }
                });
        Duration answering =
            eventually(Duration.ofSeconds(30), () -> assertAnswering(mesh, survivor));
        System.out.printf(
            "[partition] every device lists the beacon on %s %d ms later, and GET /api/beacon"
                + " through every device answers from it %d ms after that; %s;"
                + " longest waits for a device's answer: %s (split at %d ms, heal at %d ms, merge"
                + " observed at %d ms of the watch)%n",
            mesh.name(survivor),
            listed.toMillis(),
            answering.toMillis(),
            fencedAfterMerge(mesh, survivor),
            watch.gaps(),
            watch.at(splitAt),
            watch.at(healAt),
            watch.at(mergedAt));
      }
    }
  }

  /** Every device lists every device alive. */
  private static void assertAllAlive(ContainerMesh mesh) {
    Map<String, String> all = new TreeMap<>();
    for (int i = 0; i < mesh.size(); i++) {
      all.put(mesh.name(i), MeshApi.ALIVE);
    }
    for (int i = 0; i < mesh.size(); i++) {
      assertThat(MeshApi.deviceStates(mesh.httpUrl(i)))
          .as("devices as %s sees them", mesh.name(i))
          .isEqualTo(all);
    }
  }

  /** Every device lists its own side alive and the other side dead (or no longer at all). */
  private static void assertSplitSeen(ContainerMesh mesh, Partition partition) {
    for (int i = 0; i < mesh.size(); i++) {
      Map<String, String> states = MeshApi.deviceStates(mesh.httpUrl(i));
      for (int j = 0; j < mesh.size(); j++) {
        String state = states.get(mesh.name(j));
        if (partition.sameSide(i, j)) {
          assertThat(state).as("%s's view of %s", mesh.name(i), mesh.name(j)).isEqualTo("alive");
        } else {
          // A side may lose the registry entries whose every copy was on the other side: then the
          // device is not listed at all, which also says it is not up.
          assertThat(state).as("%s's view of %s", mesh.name(i), mesh.name(j)).isIn("dead", null);
        }
      }
    }
  }

  /** The device that runs the beacon, once it is placed, running, and answers through every one. */
  private static int placedBeacon(ContainerMesh mesh) {
    List<Integer> running = new ArrayList<>();
    for (int i = 0; i < mesh.size(); i++) {
      if (BeaconWatch.beaconEpoch(mesh, i) != null) {
        running.add(i);
      }
    }
    assertThat(running).as("devices that run the beacon").hasSize(1);
    assertPlacedAndAnswering(mesh, running.get(0));
    return running.get(0);
  }

  /** Every device's placement list names {@code device}, running, and it answers through each. */
  private static void assertPlacedAndAnswering(ContainerMesh mesh, int device) {
    for (int i = 0; i < mesh.size(); i++) {
      assertPlacedOn(mesh, i, device);
    }
    assertAnswering(mesh, device);
  }

  /** The beacon's placement, as {@code viewer} lists it, names {@code device} and is running. */
  private static void assertPlacedOn(ContainerMesh mesh, int viewer, int device) {
    JsonArray services = Http.getJsonArray(mesh.httpUrl(viewer) + "/api/mesh/services");
    JsonObject record =
        services.stream()
            .map(JsonObject.class::cast)
            .filter(s -> BEACON.equals(s.getString("service")))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError(mesh.name(viewer) + " lists no beacon: " + services));
    assertThat(record.getString("device"))
        .as("beacon placement as %s lists it: %s", mesh.name(viewer), record)
        .isEqualTo(mesh.name(device));
    assertThat(record.getString("state")).as("beacon placement %s", record).isEqualTo("running");
  }

  /** {@code GET /api/beacon} through every device answers from {@code device}. */
  private static void assertAnswering(ContainerMesh mesh, int device) {
    for (int i = 0; i < mesh.size(); i++) {
      Http.Response answer = Http.get(mesh.httpUrl(i) + "/api/beacon");
      assertThat(answer.status()).as("GET /api/beacon through %s", mesh.name(i)).isEqualTo(200);
      assertThat(answer.json().getString("device"))
          .as("GET /api/beacon through %s", mesh.name(i))
          .isEqualTo(mesh.name(device));
    }
  }

  /** While split, {@code GET /api/beacon} through each device answers from its own side's copy. */
  private static void assertEachSideAnswers(
      ContainerMesh mesh, Partition partition, Map<Integer, Integer> copies) {
    for (int i = 0; i < mesh.size(); i++) {
      int side = partition.sideA().contains(i) ? 0 : 1;
      Http.Response answer = Http.get(mesh.httpUrl(i) + "/api/beacon");
      assertThat(answer.status()).as("GET /api/beacon through %s", mesh.name(i)).isEqualTo(200);
      assertThat(answer.json().getString("device"))
          .as("GET /api/beacon through %s", mesh.name(i))
          .isEqualTo(mesh.name(copies.get(side)));
    }
  }

  /** The device whose log last says it became the placement controller, and no later otherwise. */
  private static int controller(ContainerMesh mesh) {
    List<Integer> active = new ArrayList<>();
    for (int i = 0; i < mesh.size(); i++) {
      String became = mesh.name(i) + " is the placement controller";
      String ceased = mesh.name(i) + " is no longer the placement controller";
      String log = mesh.logs(i);
      if (log.lastIndexOf(became) > log.lastIndexOf(ceased)) {
        active.add(i);
      }
    }
    assertThat(active).as("devices that are the placement controller").hasSize(1);
    return active.get(0);
  }

  /** Drains {@code device} until the beacon runs elsewhere, then undrains it; returns where. */
  private static int moveBeaconOff(ContainerMesh mesh, int device) {
    String base = mesh.httpUrl(device) + "/api/mesh/devices/" + mesh.name(device);
    assertPosted(base + "/drain");
    try {
      return eventually(
          Duration.ofSeconds(20),
          () -> {
            int now = placedBeacon(mesh);
            assertThat(now).isNotEqualTo(device);
            return now;
          });
    } finally {
      assertPosted(base + "/undrain");
    }
  }

  /**
   * Sends {@code POST url} with an empty body and asserts 200. It goes through {@link Http}, so it
   * carries the harness's credentials: the drain routes are for administrators, and a request
   * without the device's operator token gets 401.
   */
  private static void assertPosted(String url) {
    Http.Response response = Http.send("POST", url, null, null);
    assertThat(response.status()).as("POST %s: %s", url, response).isEqualTo(200);
  }

  /**
   * From the device logs, which share the host's clock: how long after a fenced device's cluster
   * merged (Hazelcast resets a merging member's id) it stopped its copy. Only for the output.
   */
  private static String fencedAfterMerge(ContainerMesh mesh, int survivor) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < mesh.size(); i++) {
      String log = mesh.logs(i);
      LocalTime merged = timeOfLast(log, "Resetting local member UUID");
      LocalTime stopped = timeOfLast(log, mesh.name(i) + " stops beacon");
      if (i != survivor && merged != null && stopped != null && stopped.isAfter(merged)) {
        out.append(
            String.format(
                "%s merged at %s and stopped its copy %d ms later ",
                mesh.name(i), merged, Duration.between(merged, stopped).toMillis()));
      }
    }
    return out.length() == 0 ? "no device stopped a copy after merging" : out.toString().strip();
  }

  /** The time stamp (HH:mm:ss.SSS) of the last log line that contains {@code text}. */
  private static LocalTime timeOfLast(String log, String text) {
    int at = log.lastIndexOf(text);
    if (at < 0) {
      return null;
    }
    int lineStart = log.lastIndexOf('\n', at) + 1;
    try {
      return LocalTime.parse(log.substring(lineStart, lineStart + 12));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static int firstOther(ContainerMesh mesh, Set<Integer> taken) {
    for (int i = 0; i < mesh.size(); i++) {
      if (!taken.contains(i)) {
        return i;
      }
    }
    throw new IllegalStateException("no device besides " + taken);
  }

  private static String describe(ContainerMesh mesh, Map<Integer, Integer> copies) {
    return "minority's on "
        + mesh.name(copies.get(0))
        + ", majority's on "
        + mesh.name(copies.get(1));
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }

  /**
   * Polls every device about itself, each on its own thread, and keeps for each device the spans of
   * time it is known to have run the beacon: from one answer that it runs a copy to the next that
   * it still runs the same copy (same epoch). A gap (an answer missing, or a different copy) starts
   * a new span, so nothing is assumed about a time no answer covers. Two devices of one side whose
   * spans overlap ran two copies at once: a violation, which is certain, not an artifact of polling
   * one device before another. Sides are those of the partition, before and after the heal.
   */
  private static final class BeaconWatch implements AutoCloseable {

    /** How old the latest answer of every device may be for "what runs now" to be known. */
    private static final Duration FRESH = Duration.ofSeconds(3);

    /** A device's latest answer: when it came and the beacon's epoch there, or null if none. */
    private record Sample(long atNanos, Long epoch) {}

    /** A span of time during which a device is known to have run the copy with {@code epoch}. */
    private static final class Span {
      final long epoch;
      final long fromNanos;
      long toNanos;

      Span(long epoch, long atNanos) {
        this.epoch = epoch;
        this.fromNanos = atNanos;
        this.toNanos = atNanos;
      }

      boolean overlaps(Span other) {
        return fromNanos <= other.toNanos && other.fromNanos <= toNanos;
      }
    }

    private final ContainerMesh mesh;
    private final Sample[] latest;
    private final String[] lastFailure;
    private final List<List<Span>> spans = new ArrayList<>();
    private final ExecutorService pollers;
    private final List<String> violations = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private Partition partition;
    private long lastManyAtNanos = Long.MIN_VALUE;
    private final long[] maxGapNanos;
    private final long[] maxGapEndNanos;
    private volatile boolean running = true;

    BeaconWatch(ContainerMesh mesh) {
      this.mesh = mesh;
      this.latest = new Sample[mesh.size()];
      this.lastFailure = new String[mesh.size()];
      this.maxGapNanos = new long[mesh.size()];
      this.maxGapEndNanos = new long[mesh.size()];
      this.pollers = Executors.newFixedThreadPool(mesh.size());
      for (int i = 0; i < mesh.size(); i++) {
        spans.add(new ArrayList<>());
        int device = i;
        pollers.execute(() -> poll(device));
      }
    }

    synchronized void sides(Partition value) {
      this.partition = value;
    }

    /**
     * The beacon's epoch on device {@code i} as it reports itself (its own placement agent's
     * instances), or null if it runs none.
     */
    static Long beaconEpoch(ContainerMesh mesh, int i) {
      Http.Response answer = Http.get(mesh.httpUrl(i) + "/api/mesh/devices/" + mesh.name(i));
      if (answer.status() == 404) {
        // The small side of a partition can lose a device's own registry entry (every copy was on
        // the other side); the device then does not list itself until the heal. Its agent's log
        // still says what it runs.
        return fromLog(mesh, i);
      }
      assertThat(answer.status()).as("%s about itself: %s", mesh.name(i), answer).isEqualTo(200);
      for (Object hosted : answer.json().getJsonArray("services", new JsonArray())) {
        if (hosted instanceof JsonObject service && BEACON.equals(service.getString("service"))) {
          return service.getLong("epoch");
        }
      }
      return null;
    }

    /** What the device's agent last logged for the beacon: its epoch if it runs it, else null. */
    private static Long fromLog(ContainerMesh mesh, int i) {
      String log = mesh.logs(i);
      String runs = mesh.name(i) + " runs beacon (epoch ";
      int ran = log.lastIndexOf(runs);
      if (ran < 0 || ran < log.lastIndexOf(mesh.name(i) + " stops beacon (epoch ")) {
        return null;
      }
      int from = ran + runs.length();
      return Long.parseLong(log.substring(from, log.indexOf(',', from)));
    }

    private void poll(int device) {
      while (running) {
        Sample sample;
        try {
          sample = new Sample(System.nanoTime(), beaconEpoch(mesh, device));
        } catch (RuntimeException | AssertionError e) {
          sample = null; // no answer: nothing is known about this device until the next one
          lastFailure[device] = e.toString();
        }
        try {
          record(device, sample);
        } catch (RuntimeException e) {
          lastFailure[device] = "recording: " + e;
        }
        try {
          Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private synchronized void record(int device, Sample sample) {
      Sample previous = latest[device];
      latest[device] = sample;
      if (sample == null) {
        return;
      }
      long since = previous == null ? startNanos : previous.atNanos();
      if (sample.atNanos() - since > maxGapNanos[device]) {
        maxGapNanos[device] = sample.atNanos() - since;
        maxGapEndNanos[device] = sample.atNanos();
      }
      if (sample.epoch() == null) {
        return;
      }
      List<Span> mine = spans.get(device);
      Span span;
      if (previous != null
          && sample.epoch().equals(previous.epoch())
          && !mine.isEmpty()
          && mine.get(mine.size() - 1).toNanos == previous.atNanos()) {
        span = mine.get(mine.size() - 1);
        span.toNanos = sample.atNanos();
      } else {
        span = new Span(sample.epoch(), sample.atNanos());
        mine.add(span);
      }
      for (int other = 0; other < mesh.size(); other++) {
        if (other == device) {
          continue;
        }
        for (Span theirs : spans.get(other)) {
          if (!span.overlaps(theirs)) {
            continue;
          }
          lastManyAtNanos = Math.max(lastManyAtNanos, Math.min(span.toNanos, theirs.toNanos));
          if (partition != null && partition.sameSide(device, other)) {
            String violation =
                String.format(
                    "%s (epoch %d) and %s (epoch %d), on one side, both ran the beacon from %d ms"
                        + " to %d ms into the watch",
                    mesh.name(device),
                    span.epoch,
                    mesh.name(other),
                    theirs.epoch,
                    (Math.max(span.fromNanos, theirs.fromNanos) - startNanos) / 1_000_000,
                    (Math.min(span.toNanos, theirs.toNanos) - startNanos) / 1_000_000);
            if (!violations.contains(violation)) {
              violations.add(violation);
            }
          }
        }
      }
    }

    /**
     * The devices that run the beacon now, when every device has answered within {@link #FRESH} and
     * since {@code sinceNanos}.
     */
    private List<Integer> runningNow(long sinceNanos) {
      List<Integer> out = new ArrayList<>();
      long now = System.nanoTime();
      for (int i = 0; i < mesh.size(); i++) {
        Sample sample = latest[i];
        assertThat(
                sample != null
                    && now - sample.atNanos() <= FRESH.toNanos()
                    && sample.atNanos() - sinceNanos >= 0)
            .as(
                "%s answered within %d ms (last failure: %s)",
                mesh.name(i), FRESH.toMillis(), lastFailure[i])
            .isTrue();
        if (sample.epoch() != null) {
          out.add(i);
        }
      }
      return out;
    }

    /** Exactly one copy on each side: side 0 (the devices split off) and side 1, to the device. */
    synchronized Map<Integer, Integer> onePerSide(Partition sides) {
      Map<Integer, Collection<Integer>> bySide = new TreeMap<>();
      for (int i : runningNow(startNanos)) {
        bySide.computeIfAbsent(sides.sideA().contains(i) ? 0 : 1, s -> new TreeSet<>()).add(i);
      }
      assertThat(bySide).as("devices running the beacon, by side").containsOnlyKeys(0, 1);
      Map<Integer, Integer> copies = new TreeMap<>();
      bySide.forEach(
          (side, devices) -> {
            assertThat(devices).as("devices running the beacon on side %d", side).hasSize(1);
            copies.put(side, devices.iterator().next());
          });
      return copies;
    }

    /** The one device that runs the beacon, when exactly one does, by answers since then. */
    synchronized int exactlyOneSince(long sinceNanos) {
      List<Integer> running = runningNow(sinceNanos);
      assertThat(running).as("devices running the beacon").hasSize(1);
      return running.get(0);
    }

    /**
     * How long after {@code fromNanos} two devices were last known to run the beacon at once, so
     * when one copy remained; zero if that was before.
     */
    synchronized Duration lastManyAfter(long fromNanos) {
      return Duration.ofNanos(Math.max(0, lastManyAtNanos - fromNanos));
    }

    /** Each device's longest time without an answer, and when it ended: how fine the watch was. */
    synchronized String gaps() {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < mesh.size(); i++) {
        out.add(
            String.format(
                "%s %d ms (to %d ms; last failure %s)",
                mesh.name(i), maxGapNanos[i] / 1_000_000, at(maxGapEndNanos[i]), lastFailure[i]));
      }
      return String.join(", ", out);
    }

    /** A {@link System#nanoTime} as milliseconds since the watch started. */
    long at(long nanos) {
      return (nanos - startNanos) / 1_000_000;
    }

    synchronized void assertNoViolation() {
      assertThat(violations).as("two copies of the beacon on one side").isEmpty();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      pollers.shutdownNow();
      pollers.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
