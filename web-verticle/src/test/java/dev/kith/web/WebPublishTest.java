package dev.kith.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.KithCli;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing on one device with small limits: {@code kith publish}, archives, rollback, domains,
 * and every bad input with its exact status.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebPublishTest {

  private DeviceProcess device;

  @BeforeAll
  void start() {
    device =
        DeviceProcess.builder("laptop.alice")
            .flag("web-max-files", "20")
            .flag("web-max-file-bytes", "4096")
            .flag("web-max-site-bytes", "16384")
            .flag("web-max-path-length", "64")
            .start()
            .awaitReady(Duration.ofSeconds(60));
  }

  @AfterAll
  void stop() {
    if (device != null) {
      device.close();
    }
  }

  private Http.Response commit(String site, JsonArray files) {
    return WebTesting.call(
        device,
        "alice",
        "POST",
        "/sites/" + site + "/versions",
        new JsonObject().put("files", files).encode());
  }

  private static JsonArray one(String path, String sha) {
    return new JsonArray().add(new JsonObject().put("path", path).put("sha256", sha));
  }

  private static final String SHA = "a".repeat(64);

  @Test
  @DisplayName("refuses paths that escape the site or are malformed, with 400")
  void badPaths() {
    for (String path :
        List.of(
            "/etc/passwd",
            "../up.html",
            "a/../../b",
            "a\\b.html",
            "a\u0000b",
            "a//b",
            "./",
            "x".repeat(65))) {
      Http.Response r = commit("paths", one(path, SHA));
      assertThat(r.status()).as("%s: %s", path, r).isEqualTo(400);
      assertThat(r.json().getString("message")).isNotBlank();
    }
  }

  @Test
  @DisplayName("refuses a bad digest, a path named twice, a bad site name and a non-list with 400")
  void badLists() {
    assertThat(commit("lists", one("a.html", "XYZ")).status()).isEqualTo(400);
    JsonArray twice = one("a.html", SHA);
    twice.add(new JsonObject().put("path", "a.html").put("sha256", SHA));
    assertThat(commit("lists", twice).status()).isEqualTo(400);
    assertThat(commit("Bad_Name", one("a.html", SHA)).status()).isEqualTo(400);
    Http.Response notList =
        WebTesting.call(device, "alice", "POST", "/sites/lists/versions", "{\"files\": 3}");
    assertThat(notList.status()).isEqualTo(400);
    Http.Response notJson =
        WebTesting.call(device, "alice", "POST", "/sites/lists/versions", "{not json");
    assertThat(notJson.status()).isEqualTo(400);
    Http.Response text =
        Http.raw(
            "POST",
            device.httpUrl() + "/api/web/sites/lists/versions",
            "files",
            "Authorization",
            "Bearer " + WebTesting.token(device, "alice"),
            "Content-Type",
            "text/plain");
    assertThat(text.status()).isEqualTo(415);
    Http.Response anonymous =
        Http.raw(
            "POST",
            device.httpUrl() + "/api/web/sites/lists/versions",
            "{}",
            "Content-Type",
            "application/json");
    assertThat(anonymous.status()).isEqualTo(401);
  }

  @Test
  @DisplayName("refuses too many files, a file too large and a site too large with 413")
  void limits() {
    JsonArray many = new JsonArray();
    for (int i = 0; i < 21; i++) {
      many.add(new JsonObject().put("path", "f" + i + ".txt").put("sha256", SHA));
    }
    assertThat(commit("limits", many).status()).isEqualTo(413);

    Map<String, byte[]> big = new LinkedHashMap<>();
    big.put("big.bin", new byte[5000]);
    assertThat(publishStatus("limits", big)).isEqualTo(413);

    Map<String, byte[]> total = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      byte[] b = new byte[4000];
      b[0] = (byte) i;
      total.put("part" + i + ".bin", b);
    }
    assertThat(publishStatus("limits", total)).isEqualTo(413);

    Http.Response hugeList =
        WebTesting.call(
            device,
            "alice",
            "POST",
            "/sites/limits/versions",
            new JsonObject().put("files", new JsonArray()).put("pad", "x".repeat(40_000)).encode());
    assertThat(hugeList.status()).isEqualTo(413);
  }

  /** Uploads the files, then commits; the commit's status. */
  private int publishStatus(String site, Map<String, byte[]> files) {
    for (byte[] b : files.values()) {
      Http.Response up =
          Http.send(
              "POST", device.httpUrl() + "/api/vault/alice/objects", "application/octet-stream", b);
      assertThat(up.status() / 100).as("%s", up).isEqualTo(2);
    }
    return commit(site, WebTesting.list(files)).status();
  }

  @Test
  @DisplayName("refuses a commit of objects never uploaded with 409, naming them")
  void notUploaded() {
    Http.Response r = commit("absent", one("a.html", "b".repeat(64)));
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().getString("message")).contains("b".repeat(64));
  }

  @Test
  @DisplayName(
      "refuses domains that name the device or are not names with 400, and another's domain with 409")
  void domains() {
    Map<String, byte[]> files = Map.of("index.html", "hi".getBytes(StandardCharsets.UTF_8));
    for (String d : List.of("127.0.0.1", "localhost", "not a domain", "x.localhost")) {
      Http.Response r =
          WebTesting.call(
              device,
              "alice",
              "PUT",
              "/sites/doms/domains",
              new JsonObject().put("domains", new JsonArray().add(d)).encode());
      assertThat(r.status()).as(d).isEqualTo(400);
    }
    WebTesting.publish(device, "alice", "doms", files, List.of("doms.example"));
    WebTesting.token(device, "bob");
    Http.Response taken =
        WebTesting.call(
            device,
            "bob",
            "PUT",
            "/sites/bobs/domains",
            new JsonObject().put("domains", new JsonArray().add("doms.example")).encode());
    assertThat(taken.status()).isEqualTo(409);
    assertThat(SiteHttp.get(device.httpPort(), "doms.example", "/index.html").text())
        .isEqualTo("hi");
    // Moving the domain off alice's site frees it for bob's.
    Http.Response moved =
        WebTesting.call(
            device,
            "alice",
            "PUT",
            "/sites/doms/domains",
            new JsonObject().put("domains", new JsonArray().add("www.doms.example")).encode());
    assertThat(moved.status()).isEqualTo(200);
    Http.Response bobs =
        WebTesting.call(
            device,
            "bob",
            "PUT",
            "/sites/bobs/domains",
            new JsonObject().put("domains", new JsonArray().add("doms.example")).encode());
    assertThat(bobs.status()).as("%s", bobs).isEqualTo(200);
    SiteHttp.Reply empty = SiteHttp.get(device.httpPort(), "doms.example", "/");
    assertThat(empty.status()).isEqualTo(404);
    assertThat(empty.text()).contains("nothing published");
  }

  @Test
  @DisplayName(
      "publishes tar, tar.gz and zip archives; refuses garbage (400), escaping entries (400) and too much (413)")
  void archives() throws IOException {
    Map<String, byte[]> site = new LinkedHashMap<>();
    site.put("index.html", "<h1>tar</h1>".getBytes(StandardCharsets.UTF_8));
    site.put("css/a.css", "a{}".getBytes(StandardCharsets.UTF_8));
    Http.Response tar = putArchive("arch", tar(site), "application/x-tar", "arch.example");
    assertThat(tar.status()).as("%s", tar).isEqualTo(201);
    assertThat(SiteHttp.get(device.httpPort(), "arch.example", "/").text())
        .isEqualTo("<h1>tar</h1>");
    site.put("index.html", "<h1>zip</h1>".getBytes(StandardCharsets.UTF_8));
    Http.Response zip = putArchive("arch", zip(site), "application/zip", null);
    assertThat(zip.status()).isEqualTo(201);
    assertThat(zip.json().getLong("version")).isEqualTo(2);
    assertThat(SiteHttp.get(device.httpPort(), "arch.example", "/").text())
        .isEqualTo("<h1>zip</h1>");

    assertThat(
            putArchive(
                    "arch",
                    "not an archive at all".getBytes(StandardCharsets.UTF_8),
                    "application/x-tar",
                    null)
                .status())
        .isEqualTo(400);
    assertThat(
            putArchive("arch", tar(Map.of("../evil.html", new byte[1])), "application/x-tar", null)
                .status())
        .isEqualTo(400);
    Map<String, byte[]> many = new LinkedHashMap<>();
    for (int i = 0; i < 21; i++) {
      many.put("f" + i, new byte[] {(byte) i});
    }
    assertThat(putArchive("arch", zip(many), "application/zip", null).status()).isEqualTo(413);
    assertThat(putArchive("arch", new byte[20_000], "application/x-tar", null).status())
        .isEqualTo(413);
  }

  private Http.Response putArchive(String site, byte[] bytes, String type, String domain) {
    return WebTesting.sendBytes(
        device,
        "alice",
        "PUT",
        "/sites/" + site + "/archive" + (domain == null ? "" : "?domain=" + domain),
        type,
        bytes);
  }

  static byte[] tar(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (var e : files.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
        entry.setSize(e.getValue().length);
        tar.putArchiveEntry(entry);
        tar.write(e.getValue());
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  static byte[] zip(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (var e : files.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  @DisplayName("kith publish uploads only what changed; rollback returns to the previous version")
  void cliAndRollback(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("index.html"), "<h1>one</h1>");
    Files.createDirectories(dir.resolve("css"));
    Files.writeString(dir.resolve("css/site.css"), "body{}");
    KithCli cli = KithCli.classpath().env("KITH_ACCESS_TOKEN", WebTesting.token(device, "alice"));
    KithCli.Result first =
        cli.run(
            "publish",
            dir.toString(),
            "--site",
            "blog",
            "--domain",
            "blog.example",
            "--url",
            device.httpUrl());
    assertThat(first.code()).as(first.output()).isZero();
    assertThat(first.stdout()).contains("version 1").contains("2 uploaded");
    Files.writeString(dir.resolve("index.html"), "<h1>two</h1>");
    KithCli.Result second =
        cli.run("publish", dir.toString(), "--site", "blog", "--url", device.httpUrl());
    assertThat(second.stdout()).as(second.output()).contains("version 2").contains("1 uploaded");
    assertThat(SiteHttp.get(device.httpPort(), "blog.example", "/").text())
        .isEqualTo("<h1>two</h1>");

    JsonObject site = WebTesting.call(device, "alice", "GET", "/sites/blog", null).json();
    assertThat(site.getLong("current")).isEqualTo(2);
    assertThat(site.getJsonArray("versions")).hasSize(2);
    JsonObject files =
        WebTesting.call(device, "alice", "GET", "/sites/blog/versions/1/files", null).json();
    assertThat(files.getJsonArray("files")).hasSize(2);

    Http.Response back = WebTesting.call(device, "alice", "POST", "/sites/blog/rollback", null);
    assertThat(back.status()).as("%s", back).isEqualTo(200);
    assertThat(back.json().getLong("current")).isEqualTo(1);
    assertThat(SiteHttp.get(device.httpPort(), "blog.example", "/").text())
        .isEqualTo("<h1>one</h1>");
    assertThat(WebTesting.call(device, "alice", "POST", "/sites/blog/rollback", null).status())
        .isEqualTo(409);
    assertThat(
            WebTesting.call(device, "alice", "POST", "/sites/blog/rollback", "{\"version\": 9}")
                .status())
        .isEqualTo(404);
    assertThat(WebTesting.call(device, "alice", "GET", "/sites/nothing", null).status())
        .isEqualTo(404);
    KithCli.Result bad =
        cli.run("publish", dir.resolve("missing").toString(), "--url", device.httpUrl());
    assertThat(bad.code()).isEqualTo(2);
  }
}
