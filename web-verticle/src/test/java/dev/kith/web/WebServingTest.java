package dev.kith.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a static host does, on one device: a site published through the API and read by {@code Host}
 * on the device's HTTP port and on its web port: folders, redirects, the site's 404 page, types,
 * conditional requests, ranges, HEAD, the precompressed copies and the site's cache rules.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebServingTest {

  static final String HOST = "alice.example";

  private DeviceProcess device;
  private int webPort;
  private final Map<String, byte[]> files = new LinkedHashMap<>();

  @BeforeAll
  void publish() {
    webPort = FreePorts.next();
    device =
        DeviceProcess.builder("laptop.alice")
            .flag("web-port", String.valueOf(webPort))
            .flag("web-bind-host", "127.0.0.1")
            .start()
            .awaitReady(Duration.ofSeconds(60));
    files.put("index.html", page("Home"));
    files.put("about/index.html", page("About"));
    files.put(
        "css/site.css", ("body { color: #333; }\n".repeat(200)).getBytes(StandardCharsets.UTF_8));
    byte[] png = new byte[3000];
    new Random(7).nextBytes(png);
    files.put("img/pixel.png", png);
    files.put("404.html", page("Nothing here"));
    files.put(
        "_headers",
        "/css/*\n  Cache-Control: public, max-age=31536000, immutable\n  X-Frame-Options: DENY\n"
            .getBytes(StandardCharsets.UTF_8));
    WebTesting.Published p =
        WebTesting.publish(device, "alice", "alice", files, List.of(HOST, "www." + HOST));
    assertThat(p.result().getLong("version")).isEqualTo(1);
    assertThat(p.result().getJsonArray("ignored").encode()).contains("x-frame-options");
  }

  @AfterAll
  void stop() {
    if (device != null) {
      device.close();
    }
  }

  static byte[] page(String title) {
    return ("<!doctype html><html><head><title>"
            + title
            + "</title></head><body><h1>"
            + title
            + "</h1>"
            + "<p>Some words of the page, enough to be worth compressing.</p>\n".repeat(20)
            + "</body></html>\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private SiteHttp.Reply get(String path, String... headers) {
    return SiteHttp.get(device.httpPort(), HOST, path, headers);
  }

  @Test
  @DisplayName("serves index.html for the root and for a folder, on the HTTP port and the web port")
  void indexes() {
    SiteHttp.Reply root = get("/");
    assertThat(root.status()).isEqualTo(200);
    assertThat(root.body()).isEqualTo(files.get("index.html"));
    assertThat(root.header("content-type")).isEqualTo("text/html; charset=utf-8");
    assertThat(root.header("x-content-type-options")).isEqualTo("nosniff");
    assertThat(root.header("kith-site-version")).isEqualTo("1");
    assertThat(get("/about/").body()).isEqualTo(files.get("about/index.html"));
    SiteHttp.Reply viaWebPort = SiteHttp.get(webPort, "www." + HOST, "/about/");
    assertThat(viaWebPort.body()).isEqualTo(files.get("about/index.html"));
    assertThat(SiteHttp.get(webPort, "nobody.example", "/").status()).isEqualTo(404);
  }

  @Test
  @DisplayName("redirects a folder without its slash, keeping the query")
  void redirectsFolders() {
    SiteHttp.Reply r = get("/about?x=1");
    assertThat(r.status()).isEqualTo(301);
    assertThat(r.header("location")).isEqualTo("/about/?x=1");
  }

  @Test
  @DisplayName("answers a missing file with the site's own 404.html and status 404")
  void notFoundPage() {
    SiteHttp.Reply r = get("/no/such/page.html");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.body()).isEqualTo(files.get("404.html"));
    assertThat(get("/../etc/passwd").status()).isEqualTo(404);
    assertThat(get("/_headers").status()).isEqualTo(404);
  }

  @Test
  @DisplayName("types files by extension; binary files are served byte for byte")
  void types() {
    SiteHttp.Reply css = get("/css/site.css");
    assertThat(css.header("content-type")).isEqualTo("text/css; charset=utf-8");
    assertThat(css.body()).isEqualTo(files.get("css/site.css"));
    SiteHttp.Reply png = get("/img/pixel.png");
    assertThat(png.header("content-type")).isEqualTo("image/png");
    assertThat(png.body()).isEqualTo(files.get("img/pixel.png"));
  }

  @Test
  @DisplayName(
      "answers 304 for a matching If-None-Match or an If-Modified-Since not before publishing")
  void conditional() {
    SiteHttp.Reply first = get("/img/pixel.png");
    String etag = first.header("etag");
    assertThat(etag).isEqualTo("\"" + WebTesting.sha256(files.get("img/pixel.png")) + "\"");
    assertThat(get("/img/pixel.png", "If-None-Match", etag).status()).isEqualTo(304);
    assertThat(get("/img/pixel.png", "If-None-Match", "\"other\", " + etag).status())
        .isEqualTo(304);
    assertThat(get("/img/pixel.png", "If-None-Match", "\"other\"").status()).isEqualTo(200);
    String lastModified = first.header("last-modified");
    assertThat(get("/img/pixel.png", "If-Modified-Since", lastModified).status()).isEqualTo(304);
    String before =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusDays(1));
    assertThat(get("/img/pixel.png", "If-Modified-Since", before).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("serves one Range with 206, refuses an unsatisfiable one with 416, and answers HEAD")
  void rangesAndHead() {
    byte[] png = files.get("img/pixel.png");
    SiteHttp.Reply part = get("/img/pixel.png", "Range", "bytes=100-199");
    assertThat(part.status()).isEqualTo(206);
    assertThat(part.header("content-range")).isEqualTo("bytes 100-199/3000");
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(png, 100, 200));
    SiteHttp.Reply tail = get("/img/pixel.png", "Range", "bytes=-10");
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(png, 2990, 3000));
    SiteHttp.Reply beyond = get("/img/pixel.png", "Range", "bytes=5000-");
    assertThat(beyond.status()).isEqualTo(416);
    assertThat(beyond.header("content-range")).isEqualTo("bytes */3000");
    SiteHttp.Reply stale = get("/img/pixel.png", "Range", "bytes=0-9", "If-Range", "\"old\"");
    assertThat(stale.status()).isEqualTo(200);
    SiteHttp.Reply head = SiteHttp.request("HEAD", device.httpPort(), HOST, "/img/pixel.png");
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.header("content-length")).isEqualTo("3000");
  }

  @Test
  @DisplayName("serves the brotli or gzip copy made at publish time by Accept-Encoding")
  void compression() throws Exception {
    byte[] css = files.get("css/site.css");
    SiteHttp.Reply gz = get("/css/site.css", "Accept-Encoding", "gzip");
    assertThat(gz.header("content-encoding")).isEqualTo("gzip");
    assertThat(gz.header("vary")).isEqualTo("Accept-Encoding");
    assertThat(gz.body().length).isLessThan(css.length / 4);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes())
        .isEqualTo(css);
    SiteHttp.Reply br = get("/css/site.css", "Accept-Encoding", "gzip, deflate, br");
    assertThat(br.header("content-encoding")).isEqualTo("br");
    assertThat(br.body().length).isLessThan(gz.body().length);
    assertThat(br.header("etag")).isNotEqualTo(gz.header("etag"));
    SiteHttp.Reply refused = get("/css/site.css", "Accept-Encoding", "br;q=0, gzip;q=0");
    assertThat(refused.body()).isEqualTo(css);
    assertThat(get("/img/pixel.png", "Accept-Encoding", "gzip").header("content-encoding"))
        .isIn(null, "identity");
  }

  @Test
  @DisplayName("sets the Cache-Control of the site's _headers rules, and no-cache elsewhere")
  void cacheRules() {
    assertThat(get("/css/site.css").header("cache-control"))
        .isEqualTo("public, max-age=31536000, immutable");
    assertThat(get("/").header("cache-control")).isEqualTo("no-cache");
  }

  @Test
  @DisplayName("never serves a site for a Host that names the device itself: that is the API")
  void apiHostsAreNotSites() {
    SiteHttp.Reply api = SiteHttp.get(device.httpPort(), "127.0.0.1", "/health");
    assertThat(api.status()).isEqualTo(200);
    assertThat(api.text()).contains("\"status\"");
    assertThat(SiteHttp.get(device.httpPort(), "localhost", "/").header("kith-site-version"))
        .isNull();
  }

  static byte[] gunzip(byte[] b) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new GZIPInputStream(new ByteArrayInputStream(b)).transferTo(out);
    return out.toByteArray();
  }
}
