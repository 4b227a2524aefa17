package dev.kith.health;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.Launcher;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.Prober;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 3's acceptance items that run on loopback, in order on one mesh of real device processes:
 * planned moves (low battery, drain) lose no request; the owner's failover order is the real order,
 * even when the service first ran on a device outside it; an owner-only service never runs on
 * another owner's device, answers 503 while none of its owner's devices is up, and comes back with
 * one of them. {@code kith status} shows it all.
 */
@ExtendWith(DeviceLogs.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class FailoverAcceptanceTest {

  private static final String FAILOVER = "pi.alice,laptop.alice";
  private static final Duration PROBE_PERIOD = Duration.ofMillis(50);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  private static LocalMesh mesh;
  private static DeviceProcess bob;

  @BeforeAll
  static void start() {
    mesh =
        LocalMesh.options()
            .names("laptop.alice", "pi.alice", "phone.alice", "desktop.bob")
            .each(FailoverAcceptanceTest::configure)
            .start();
    bob = mesh.device("desktop.bob");
  }

  private static void configure(DeviceProcess.Builder device) {
    device.flag("power", "mains");
    if (device.name().endsWith(".alice")) {
      device.flag("failover", FAILOVER);
    }
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static JsonObject answer(String url) {
    Http.Response response = Http.get(url);
    assertThat(response.status()).as("%s: %s", url, response.body()).isEqualTo(200);
    return new JsonObject(response.body());
  }

  private static String probeHost() {
    return answer(bob.httpUrl() + "/api/probe/alice").getString("device");
  }

  @Test
  @Order(1)
  @DisplayName("Low battery (10%, discharging) on the probe's device moves it with no failed probe")
  void lowBatteryMovesWithoutLoss() {
    eventually(Duration.ofSeconds(30), () -> assertThat(probeHost()).isEqualTo("pi.alice"));
    try (Prober prober =
        Prober.start(bob.httpUrl() + "/api/probe/alice", PROBE_PERIOD, PROBE_TIMEOUT)) {
      long changedAt = System.nanoTime();
      assertThat(
              MeshTesting.put(
                      bob.httpUrl() + "/api/mesh/devices/pi.alice/power",
                      "{\"level\":0.1,\"charging\":false}")
                  .status())
          .isEqualTo(200);
      eventually(Duration.ofSeconds(15), () -> assertThat(probeHost()).isNotEqualTo("pi.alice"));
      System.out.printf(
          "[kith-test] low battery on pi.alice: the probe moved to %s in %d ms%n",
          probeHost(), (System.nanoTime() - changedAt) / 1_000_000);
      waitForProbes(prober, 20);
      assertThat(prober.failures()).as("%s", prober).isEmpty();
      System.out.printf("[kith-test] %s%n", prober);
    }
    assertThat(Http.getJsonArray(bob.httpUrl() + "/api/mesh/events").encode())
        .contains("\"reason\":\"low-battery\"");
    // Back on mains, pi may host again; with takeover off the probe stays where it is.
    assertThat(
            MeshTesting.put(bob.httpUrl() + "/api/mesh/devices/pi.alice/power", "{\"mains\":true}")
                .status())
        .isEqualTo(200);
  }

  @Test
  @Order(2)
  @DisplayName("A drain of the probe's device moves it with no failed probe; undrain lets it back")
  void drainMovesWithoutLoss() {
    String host = probeHost();
    try (Prober prober =
        Prober.start(bob.httpUrl() + "/api/probe/alice", PROBE_PERIOD, PROBE_TIMEOUT)) {
      long drainedAt = System.nanoTime();
      assertThat(drain(host, "drain")).isEqualTo(200);
      eventually(Duration.ofSeconds(15), () -> assertThat(probeHost()).isNotEqualTo(host));
      System.out.printf(
          "[kith-test] drain of %s: the probe moved to %s in %d ms%n",
          host, probeHost(), (System.nanoTime() - drainedAt) / 1_000_000);
      waitForProbes(prober, 20);
      assertThat(prober.failures()).as("%s", prober).isEmpty();
      System.out.printf("[kith-test] %s%n", prober);
    } finally {
      assertThat(drain(host, "undrain")).isEqualTo(200);
    }
  }

  @Test
  @Order(3)
  @DisplayName(
      "Failover order [pi, laptop]: from phone (outside it), a kill moves the probe to pi,"
          + " then to laptop")
  void failoverOrderIsTheRealOrder() {
    // Start: the probe on phone.alice, a device outside the failover order. Draining the two
    // devices in the order leaves phone as alice's only choice; after the undrain the probe stays
    // there, because takeover is off.
    assertThat(drain("pi.alice", "drain")).isEqualTo(200);
    assertThat(drain("laptop.alice", "drain")).isEqualTo(200);
    try {
      eventually(Duration.ofSeconds(15), () -> assertThat(probeHost()).isEqualTo("phone.alice"));
    } finally {
      assertThat(drain("pi.alice", "undrain")).isEqualTo(200);
      assertThat(drain("laptop.alice", "undrain")).isEqualTo(200);
    }
    // The controller reconciles every second; for 3 s the probe must stay put (no takeover).
    Eventually.allTheTime(
        Duration.ofSeconds(3), () -> assertThat(probeHost()).isEqualTo("phone.alice"));

    // Fault 1: kill the primary; the first device in the order takes it.
    long killedAt = System.nanoTime();
    mesh.device("phone.alice").kill9();
    eventually(Duration.ofSeconds(15), () -> assertThat(probeHost()).isEqualTo("pi.alice"));
    System.out.printf(
        "[kith-test] kill -9 of phone.alice: the probe answered from pi.alice in %d ms%n",
        (System.nanoTime() - killedAt) / 1_000_000);

    // Fault 2: kill pi; the next in the order takes it.
    killedAt = System.nanoTime();
    mesh.device("pi.alice").kill9();
    eventually(Duration.ofSeconds(15), () -> assertThat(probeHost()).isEqualTo("laptop.alice"));
    System.out.printf(
        "[kith-test] kill -9 of pi.alice: the probe answered from laptop.alice in %d ms%n",
        (System.nanoTime() - killedAt) / 1_000_000);
  }

  @Test
  @Order(4)
  @DisplayName(
      "An owner-only service never runs on another owner's device: 503 while its owner has no"
          + " device up, back when one returns")
  void ownerAffinity() {
    String url = bob.httpUrl() + "/api/ownerprobe/alice";
    eventually(
        Duration.ofSeconds(15),
        () -> assertThat(answer(url).getString("device")).isEqualTo("laptop.alice"));

    // Fault: alice's last device goes.
    long killedAt = System.nanoTime();
    mesh.device("laptop.alice").kill9();

    // Verdict: reported as not running, and bob's edge answers 503 with Retry-After; the probe,
    // which may run anywhere, moves to bob's device.
    eventually(
        Duration.ofSeconds(15),
        () -> {
          HttpResponse<String> response = getWithHeaders(url);
          assertThat(response.statusCode()).as("%s", response.body()).isEqualTo(503);
          assertThat(response.headers().firstValue("Retry-After")).isPresent();
          assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("unavailable");
          assertThat(ownerProbeRecord().getString("state")).isNotEqualTo("running");
          assertThat(ownerProbeRecord().getString("device")).isNull();
        });
    System.out.printf(
        "[kith-test] with no alice device up, ownerprobe/alice answered 503 after %d ms%n",
        (System.nanoTime() - killedAt) / 1_000_000);
    eventually(Duration.ofSeconds(15), () -> assertThat(probeHost()).isEqualTo("desktop.bob"));
    // Never on bob's device, also after a while.
    assertThat(bobHosts()).doesNotContain("ownerprobe/alice");

    // Recovery: one of alice's devices returns, and the service runs there again.
    DeviceProcess.Builder pi = mesh.newDevice("pi.alice");
    configure(pi);
    long restartedAt = System.nanoTime();
    mesh.startExtra(pi).awaitHealthy(Duration.ofSeconds(60));
    eventually(
        Duration.ofSeconds(30),
        () -> assertThat(answer(url).getString("device")).isEqualTo("pi.alice"));
    System.out.printf(
        "[kith-test] ownerprobe/alice answered from the restarted pi.alice %d ms after it started%n",
        (System.nanoTime() - restartedAt) / 1_000_000);
    assertThat(bobHosts()).doesNotContain("ownerprobe/alice");
  }

  @Test
  @Order(5)
  @DisplayName("kith status shows each device's state, power and services, and the recent moves")
  void statusShowsIt() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(Launcher.classpath().command());
    // Run where bob's device runs: its home holds the operator token that kith status sends.
    command.addAll(List.of("status", "--url", bob.httpUrl(), "--home", bob.home().toString()));
    Process status = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(status.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(status.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("POWER", "HOSTS", "mains", "desktop.bob", "dead")
        .containsPattern("probe/alice@\\d+")
        .contains("recent moves:", "drain", "failed");
    System.out.printf("[kith-test] kith status:%n%s", out);
  }

  private static HttpResponse<String> getWithHeaders(String url) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET();
    dev.kith.mesh.testing.Credentials.authorization(URI.create(url))
        .ifPresent(v -> request.header("Authorization", v));
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int drain(String device, String action) {
    return MeshTesting.post(bob.httpUrl() + "/api/mesh/devices/" + device + "/" + action, "")
        .status();
  }

  /** Waits until the prober has sent {@code count} more probes after a move. */
  private static void waitForProbes(Prober prober, int count) {
    int seen = prober.samples().size();
    eventually(
        Duration.ofSeconds(10),
        () -> assertThat(prober.samples().size()).isGreaterThanOrEqualTo(seen + count));
  }

  private static JsonObject ownerProbeRecord() {
    return Http.getJsonArray(bob.httpUrl() + "/api/mesh/services").stream()
        .map(JsonObject.class::cast)
        .filter(s -> "ownerprobe".equals(s.getString("service")))
        .filter(s -> "alice".equals(s.getString("owner")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ownerprobe/alice in /api/mesh/services"));
  }

  /** What bob's device says it hosts, as {@code service/owner} names. */
  private static List<String> bobHosts() {
    return Http.getJson(bob.httpUrl() + "/api/mesh/devices/desktop.bob")
        .getJsonArray("services")
        .stream()
        .map(JsonObject.class::cast)
        .map(s -> s.getString("service") + "/" + s.getString("owner"))
        .toList();
  }
}
