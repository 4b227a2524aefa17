package dev.kith.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Paths, ranges, cache rules and types: the rules a site's files are published and served by. */
class SiteRulesTest {

  @Test
  @DisplayName("a file's path stays inside the site")
  void paths() {
    assertThat(SitePaths.file("./css/a.css", 64)).isEqualTo("css/a.css");
    assertThat(SitePaths.file("ünïcode/файл.html", 64)).isEqualTo("ünïcode/файл.html");
    for (String bad : List.of("", "/a", "a/../b", "..", "a\\b", "a\u0000", "a//b", "a/./b", "a/")) {
      assertThatThrownBy(() -> SitePaths.file(bad, 64))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> SitePaths.file("x".repeat(65), 64))
        .hasMessageContaining("web-max-path-length");
  }

  @Test
  @DisplayName("a request's path is decoded, and one that climbs out names no file")
  void requestPaths() {
    assertThat(SitePaths.request("/")).isEmpty();
    assertThat(SitePaths.request("/a%20b.html")).isEqualTo("a b.html");
    assertThat(SitePaths.request("/%C3%A9.html")).isEqualTo("é.html");
    assertThat(SitePaths.request("/../x")).isNull();
    assertThat(SitePaths.request("/%2e%2e/x")).isNull();
    assertThat(SitePaths.request("/a%00b")).isNull();
    assertThat(SitePaths.request("/a%5cb")).isNull();
    assertThat(SitePaths.request("/bad%zz")).isNull();
  }

  @Test
  @DisplayName("domains are DNS names, never the device's own address")
  void domains() {
    assertThat(SitePaths.domain("WWW.Alice.Example.")).isEqualTo("www.alice.example");
    for (String bad :
        List.of("localhost", "a.localhost", "127.0.0.1", "alice", "a b.example", "-a.example")) {
      assertThatThrownBy(() -> SitePaths.domain(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  @DisplayName("one byte range: first-last, open end, suffix; unsatisfiable; ignored forms")
  void ranges() {
    assertThat(Ranges.parse("bytes=0-9", 100)).containsExactly(0, 9);
    assertThat(Ranges.parse("bytes=90-", 100)).containsExactly(90, 99);
    assertThat(Ranges.parse("bytes=95-200", 100)).containsExactly(95, 99);
    assertThat(Ranges.parse("bytes=-5", 100)).containsExactly(95, 99);
    assertThat(Ranges.parse("bytes=-500", 100)).containsExactly(0, 99);
    assertThat(Ranges.parse("bytes=100-", 100)).isSameAs(Ranges.UNSATISFIABLE);
    assertThat(Ranges.parse("bytes=-0", 100)).isSameAs(Ranges.UNSATISFIABLE);
    assertThat(Ranges.parse("bytes=0-1,5-6", 100)).isNull();
    assertThat(Ranges.parse("items=0-1", 100)).isNull();
    assertThat(Ranges.parse("bytes=9-1", 100)).isNull();
    assertThat(Ranges.parse("bytes=x-1", 100)).isNull();
  }

  @Test
  @DisplayName("_headers: the first matching pattern's Cache-Control; other headers are reported")
  void headerRules() {
    List<String> ignored = new ArrayList<>();
    HeaderRules rules =
        HeaderRules.parse(
            "# comment\n/assets/*\n  Cache-Control: max-age=31536000\n  Set-Cookie: x=1\n"
                + "/*.html\n  cache-control: no-store\nnot-a-pattern\n  Cache-Control: x\n",
            ignored);
    assertThat(rules.cacheControl("/assets/app.js")).isEqualTo("max-age=31536000");
    assertThat(rules.cacheControl("/index.html")).isEqualTo("no-store");
    assertThat(rules.cacheControl("/img/a.png")).isEqualTo(HeaderRules.DEFAULT);
    assertThat(ignored).hasSize(3);
    assertThat(HeaderRules.fromJson(rules.toJson()).cacheControl("/assets/x"))
        .isEqualTo("max-age=31536000");
  }

  @Test
  @DisplayName("types come from the extension; unknown and hidden names are octets")
  void types() {
    assertThat(MediaTypes.of("a/b.CSS")).isEqualTo("text/css; charset=utf-8");
    assertThat(MediaTypes.of("font.woff2")).isEqualTo("font/woff2");
    assertThat(MediaTypes.of("a/.htaccess")).isEqualTo("application/octet-stream");
    assertThat(MediaTypes.of("README")).isEqualTo("application/octet-stream");
    assertThat(MediaTypes.compressible("text/html; charset=utf-8")).isTrue();
    assertThat(MediaTypes.compressible("image/png")).isFalse();
  }

  @Test
  @DisplayName("compressed copies are the same for the same bytes, and only kept when smaller")
  void compression() {
    byte[] text = "hello world, hello world, hello world\n".repeat(100).getBytes();
    assertThat(Compression.gzip(text)).isEqualTo(Compression.gzip(text));
    byte[] random = new byte[4000];
    new java.util.Random(1).nextBytes(random);
    assertThat(Compression.gzip(random)).isNull();
    assertThat(Compression.brotliAvailable()).isTrue();
    assertThat(Compression.brotli(text)).isNotNull();
  }
}
