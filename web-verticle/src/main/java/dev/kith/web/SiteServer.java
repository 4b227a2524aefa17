package dev.kith.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request for a site's file the way people expect of a static host: {@code index.html}
 * for a folder, a redirect to add a folder's missing slash, the site's own {@code 404.html}, the
 * type from the extension, a strong {@code ETag} (the served object's id) with {@code 304} for
 * {@code If-None-Match}, {@code Last-Modified} (when the version was published) with {@code
 * If-Modified-Since}, one {@code Range}, {@code HEAD}, the gzip or brotli copy made at publish time
 * by {@code Accept-Encoding}, the site's {@code Cache-Control} rules, and {@code nosniff}. Every
 * answer names the version it came from ({@code Kith-Site-Version}), so a reader can tell that it
 * never saw two versions mixed.
 */
final class SiteServer {

  private static final Logger log = LoggerFactory.getLogger(SiteServer.class);

  static final CharSequence VERSION_HEADER = HttpHeaders.createOptimized("Kith-Site-Version");
  private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("X-Content-Type-Options");
  private static final CharSequence NOSNIFF_VALUE = HttpHeaders.createOptimized("nosniff");
  private static final CharSequence CONTENT_TYPE = HttpHeaders.CONTENT_TYPE;
  private static final CharSequence CONTENT_LENGTH = HttpHeaders.CONTENT_LENGTH;
  private static final CharSequence CONTENT_ENCODING = HttpHeaders.CONTENT_ENCODING;
  private static final CharSequence ETAG = HttpHeaders.ETAG;
  private static final CharSequence LAST_MODIFIED = HttpHeaders.LAST_MODIFIED;
  private static final CharSequence CACHE_CONTROL = HttpHeaders.CACHE_CONTROL;
  private static final CharSequence ACCEPT_RANGES = HttpHeaders.ACCEPT_RANGES;
  private static final CharSequence BYTES = HttpHeaders.createOptimized("bytes");
  private static final CharSequence VARY = HttpHeaders.VARY;
  private static final CharSequence ACCEPT_ENCODING =
      HttpHeaders.createOptimized("Accept-Encoding");

  private final SiteFiles files;
  private final WebMetrics metrics;
  private final String device;

  SiteServer(SiteFiles files, WebMetrics metrics, String device) {
    this.files = files;
    this.metrics = metrics;
    this.device = device;
  }

  /**
   * @param edge whether the edge's server answers (it may compress answers itself, so each says
   *     whether it is final as it is)
   */
  void serve(HttpServerRequest request, Site site, boolean edge) {
    String label = site.label();
    HttpServerResponse response = request.response();
    response.putHeader(NOSNIFF, NOSNIFF_VALUE);
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      response.putHeader("Allow", "GET, HEAD");
      plain(request, label, 405, "Method not allowed: a site answers GET and HEAD\n");
      return;
    }
    String manifestId = site.manifest();
    if (manifestId == null) {
      plain(request, label, 404, "This site has nothing published yet.\n");
      return;
    }
    Manifest known = files.cachedManifest(manifestId);
    if (known != null) {
      response.putHeader(VERSION_HEADER, site.currentText());
      find(request, site, label, known, edge);
      return;
    }
    request.pause();
    files
        .manifest(site.owner(), manifestId)
        .onComplete(
            read -> {
              request.resume();
              if (read.failed()) {
                unavailable(request, label, read.cause());
                return;
              }
              response.putHeader(VERSION_HEADER, site.currentText());
              find(request, site, label, read.result(), edge);
            });
  }

  private void find(
      HttpServerRequest request, Site site, String label, Manifest manifest, boolean edge) {
    String path = SitePaths.request(request.path());
    if (path == null) {
      notFound(request, site, label, manifest, edge);
      return;
    }
    Manifest.Entry entry;
    if (path.isEmpty() || path.endsWith("/")) {
      entry = manifest.files().get(path + "index.html");
    } else {
      entry = manifest.files().get(path);
      if (entry == null && manifest.files().containsKey(path + "/index.html")) {
        String query = request.query();
        request
            .response()
            .putHeader("Location", request.path() + "/" + (query == null ? "" : "?" + query));
        request.response().putHeader("Cache-Control", HeaderRules.DEFAULT);
        plain(request, label, 301, "Moved to " + request.path() + "/\n");
        return;
      }
    }
    if (entry == null) {
      notFound(request, site, label, manifest, edge);
      return;
    }
    send(request, site, label, entry, 200, manifest.rules().cacheControl(request.path()), edge);
  }

  private void notFound(
      HttpServerRequest request, Site site, String label, Manifest manifest, boolean edge) {
    Manifest.Entry page = manifest.files().get("404.html");
    if (page == null) {
      plain(request, label, 404, "Not found\n");
      return;
    }
    send(request, site, label, page, 404, HeaderRules.DEFAULT, edge);
  }

  /** The file itself, or 304, or a part of it. */
  private void send(
      HttpServerRequest request,
      Site site,
      String label,
      Manifest.Entry entry,
      int status,
      String cacheControl,
      boolean edge) {
    long publishedAt = site.publishedAt();
    HttpServerResponse response = request.response();
    String range = status == 200 ? request.getHeader("Range") : null;
    if (range != null && !ifRangeHolds(request, entry)) {
      range = null;
    }
    // A part is always of the file itself; otherwise the smallest copy the client takes.
    String id = entry.id();
    long size = entry.size();
    String encoding = null;
    if (range == null) {
      String accepted = request.getHeader("Accept-Encoding");
      if (entry.br() != null && accepts(accepted, "br")) {
        id = entry.br();
        size = entry.brSize();
        encoding = "br";
      } else if (entry.gzip() != null && accepts(accepted, "gzip")) {
        id = entry.gzip();
        size = entry.gzipSize();
        encoding = "gzip";
      }
    }
    String etag = "\"" + id + "\"";
    response.putHeader(CONTENT_TYPE, entry.type());
    response.putHeader(ETAG, etag);
    response.putHeader(LAST_MODIFIED, site.lastModified());
    response.putHeader(CACHE_CONTROL, cacheControl);
    response.putHeader(ACCEPT_RANGES, BYTES);
    if (entry.gzip() != null || entry.br() != null) {
      response.putHeader(VARY, ACCEPT_ENCODING);
    }
    if (encoding != null) {
      response.putHeader(CONTENT_ENCODING, encoding);
    } else if (edge) {
      // The edge may compress answers itself; this one is final as it is.
      response.putHeader(CONTENT_ENCODING, HttpHeaders.IDENTITY);
    }
    if (status == 200 && notModified(request, etag, publishedAt)) {
      response.setStatusCode(304).end();
      metrics.request(label, 304, 0);
      return;
    }
    long offset = 0;
    long length = size;
    if (range != null) {
      long[] r = Ranges.parse(range, size);
      if (r == Ranges.UNSATISFIABLE) {
        response.putHeader("Content-Range", "bytes */" + size);
        plain(request, label, 416, "Range not satisfiable: the file has " + size + " bytes\n");
        return;
      }
      if (r != null) {
        offset = r[0];
        length = r[1] - r[0] + 1;
        status = 206;
        response.putHeader("Content-Range", "bytes " + r[0] + "-" + r[1] + "/" + size);
      }
    }
    response.setStatusCode(status);
    response.putHeader(CONTENT_LENGTH, String.valueOf(length));
    if (request.method() == HttpMethod.HEAD) {
      response.end();
      metrics.request(label, status, 0);
      return;
    }
    int answered = status;
    long bodyLength = length;
    (status == 206
            ? files.range(site.owner(), id, offset, length)
            : files.bytes(site.owner(), id, size))
        .onSuccess(
            (Buffer body) -> {
              response.end(body);
              metrics.request(label, answered, bodyLength);
            })
        .onFailure(e -> unavailable(request, label, e));
  }

  private static boolean accepts(String acceptEncoding, String coding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] pieces = part.trim().split(";");
      if (!pieces[0].trim().equalsIgnoreCase(coding)) {
        continue;
      }
      for (int i = 1; i < pieces.length; i++) {
        String p = pieces[i].trim().replace(" ", "");
        if (p.equals("q=0") || p.equals("q=0.0") || p.equals("q=0.00") || p.equals("q=0.000")) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private static boolean notModified(HttpServerRequest request, String etag, long publishedAt) {
    String ifNoneMatch = request.getHeader("If-None-Match");
    if (ifNoneMatch != null) {
      for (String tag : ifNoneMatch.split(",")) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
          t = t.substring(2);
        }
        if (t.equals("*") || t.equals(etag)) {
          return true;
        }
      }
      return false;
    }
    String since = request.getHeader("If-Modified-Since");
    if (since != null) {
      try {
        long at = Instant.from(Site.HTTP_DATE.parse(since.trim())).getEpochSecond();
        return publishedAt / 1000 <= at;
      } catch (DateTimeParseException e) {
        return false;
      }
    }
    return false;
  }

  /** {@code If-Range}: the range applies only if the file is still the one the client has. */
  private static boolean ifRangeHolds(HttpServerRequest request, Manifest.Entry entry) {
    String ifRange = request.getHeader("If-Range");
    return ifRange == null || ifRange.trim().equals("\"" + entry.id() + "\"");
  }

  private void plain(HttpServerRequest request, String label, int status, String text) {
    HttpServerResponse response = request.response();
    response.setStatusCode(status);
    response.putHeader("Content-Type", "text/plain; charset=utf-8");
    if (request.method() == HttpMethod.HEAD) {
      response.putHeader("Content-Length", String.valueOf(Buffer.buffer(text).length())).end();
    } else {
      response.end(text);
    }
    metrics.request(label, status, 0);
  }

  private void unavailable(HttpServerRequest request, String label, Throwable e) {
    log.warn(
        "{} cannot read {}'s site files now: {}; the reader gets 503 and may retry",
        device,
        label,
        e.toString());
    if (request.response().ended()) {
      return;
    }
    request.response().headers().clear();
    request.response().putHeader("Retry-After", "1");
    plain(request, label, 503, "The site's files cannot be read right now; try again shortly.\n");
  }
}
