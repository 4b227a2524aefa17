package dev.kith.web;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DebianPackages;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A site on three devices: published through one, served byte for byte by the others; a new version
 * uploads only what changed; readers never see two versions mixed; rollback; a fourth device, with
 * no replica of alice's vault, serves the site from the others' replicas and then from memory; and
 * {@code kill -9} of a device under wrk load fails no request at two others.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebMeshTest {

  static final String HOST = "mesh.example";
  static final int FILES = 500;

  private LocalMesh mesh;
  private final Map<String, byte[]> site = new LinkedHashMap<>();

  @BeforeAll
  void start() {
    mesh = LocalMesh.options().devices(3).start();
  }

  @AfterAll
  void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static byte[] page(int i, int version) {
    return ("<!doctype html><title>page "
            + i
            + "</title><p>version="
            + version
            + "</p>\n"
            + ("<p>text of page " + i + "</p>\n").repeat(5 + i % 40))
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @Order(1)
  @DisplayName("a 500-file site published through one device is served byte for byte by the others")
  void publishAndReadEverywhere() {
    Random random = new Random(500);
    for (int i = 0; i < FILES; i++) {
      if (i % 5 == 4) {
        byte[] image = new byte[1000 + random.nextInt(20_000)];
        random.nextBytes(image);
        site.put("img/picture-" + i + ".png", image);
      } else {
        site.put(i == 0 ? "index.html" : "pages/page-" + i + ".html", page(i, 1));
      }
    }
    WebTesting.Published p =
        WebTesting.publish(mesh.device(0), "alice", "alice", site, List.of(HOST));
    assertThat(p.uploaded()).isEqualTo(FILES);
    for (DeviceProcess reader : List.of(mesh.device(1), mesh.device(2))) {
      eventually(
          Duration.ofSeconds(30),
          () -> assertThat(SiteHttp.get(reader.httpPort(), HOST, "/").status()).isEqualTo(200));
      for (var e : site.entrySet()) {
        String path = e.getKey().equals("index.html") ? "/" : "/" + e.getKey();
        SiteHttp.Reply r = SiteHttp.get(reader.httpPort(), HOST, path);
        assertThat(r.status()).as("%s at %s", path, reader.name()).isEqualTo(200);
        assertThat(r.body()).as("%s at %s", path, reader.name()).isEqualTo(e.getValue());
      }
    }
  }

  @Test
  @Order(2)
  @DisplayName("a version that changes 3 files uploads 3; readers never see two versions mixed")
  void onlyChangesUpload() throws Exception {
    DeviceProcess reader = mesh.device(2);
    AtomicBoolean reading = new AtomicBoolean(true);
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<String> mixed = new AtomicReference<>();
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread thread =
        new Thread(
            () -> {
              while (reading.get()) {
                for (String path : List.of("/", "/pages/page-1.html", "/pages/page-2.html")) {
                  SiteHttp.Reply r = SiteHttp.get(reader.httpPort(), HOST, path);
                  reads.incrementAndGet();
                  String version = r.header("kith-site-version");
                  if (r.status() != 200 || version == null) {
                    mixed.compareAndSet(null, path + ": " + r);
                    continue;
                  }
                  String expected = version.equals("1") ? "version=1" : "version=2";
                  if (!r.text().contains(expected)) {
                    mixed.compareAndSet(null, path + " header " + version + ": " + r.text());
                  }
                  seen.add(version);
                }
              }
            });
    thread.start();
    eventually(Duration.ofSeconds(10), () -> assertThat(reads.get()).isGreaterThan(30));
    Map<String, byte[]> next = new LinkedHashMap<>(site);
    next.put("index.html", page(0, 2));
    next.put("pages/page-1.html", page(1, 2));
    next.put("pages/page-2.html", page(2, 2));
    WebTesting.Published p = WebTesting.publish(mesh.device(0), "alice", "alice", next, null);
    assertThat(p.uploaded()).isEqualTo(3);
    assertThat(p.result().getLong("version")).isEqualTo(2);
    eventually(Duration.ofSeconds(10), () -> assertThat(seen).contains("2"));
    int after = reads.get();
    eventually(Duration.ofSeconds(10), () -> assertThat(reads.get()).isGreaterThan(after + 30));
    reading.set(false);
    thread.join(10_000);
    assertThat(mixed.get()).as("a response mixing versions").isNull();
    assertThat(seen).contains("1", "2");

    var back = WebTesting.call(mesh.device(1), "alice", "POST", "/sites/alice/rollback", null);
    assertThat(back.status()).as("%s", back).isEqualTo(200);
    eventually(
        Duration.ofSeconds(10),
        () ->
            assertThat(SiteHttp.get(mesh.device(2).httpPort(), HOST, "/").text())
                .contains("version=1"));
  }

  @Test
  @Order(3)
  @DisplayName(
      "a device that holds no replica of alice's vault serves her site from a replica device, and"
          + " then from its memory")
  void servesFromAnotherDevicesReplica() {
    DeviceProcess extra = mesh.startExtra(mesh.newDevice("d4.alice"));
    extra.awaitReady(Duration.ofSeconds(60));
    String index = WebTesting.sha256(page(0, 1));
    assertThat(
            Http.send(
                    "HEAD",
                    extra.httpUrl() + "/api/vault/alice/objects/" + index + "?local=true",
                    null,
                    null)
                .status())
        .as("d4.alice holds none of alice's objects")
        .isEqualTo(404);
    eventually(
        Duration.ofSeconds(30),
        () -> assertThat(SiteHttp.get(extra.httpPort(), HOST, "/").status()).isEqualTo(200));
    for (var e : site.entrySet()) {
      String path = e.getKey().equals("index.html") ? "/" : "/" + e.getKey();
      SiteHttp.Reply r = SiteHttp.get(extra.httpPort(), HOST, path);
      assertThat(r.body()).as("%s at d4.alice", path).isEqualTo(e.getValue());
    }
    double misses = cacheReads(extra, "miss");
    double hits = cacheReads(extra, "hit");
    assertThat(misses).isGreaterThanOrEqualTo(FILES - 3);
    SiteHttp.get(extra.httpPort(), HOST, "/img/picture-4.png");
    assertThat(cacheReads(extra, "hit")).isGreaterThan(hits);
    assertThat(cacheReads(extra, "miss")).isEqualTo(misses);
  }

  private static double cacheReads(DeviceProcess device, String result) {
    String metrics = Http.get(device.httpUrl() + "/metrics").body();
    return metrics
        .lines()
        .filter(
            l -> l.startsWith("kith_web_cache_total{") && l.contains("result=\"" + result + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  @Order(4)
  @DisplayName("kill -9 of one device during a wrk run against the other two fails no request")
  void killDuringLoad() throws Exception {
    DebianPackages.require(DebianTools.WRK, "wrk");
    List<Wrk> runs = new ArrayList<>();
    for (DeviceProcess target : List.of(mesh.device(0), mesh.device(1))) {
      runs.add(Wrk.start(target.httpPort(), HOST, "/pages/page-7.html", 8, 6));
    }
    Thread.sleep(2000); // the load runs before, during and after the kill
    mesh.device(2).kill9();
    for (Wrk run : runs) {
      Wrk.Result r = run.await();
      System.out.println("[web-mesh] " + r.summary());
      assertThat(r.requests()).isGreaterThan(100);
      assertThat(r.errors()).as(r.output()).isZero();
    }
  }
}
