package dev.kith.web;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Publishing a version of a site, the way static hosts take digest uploads: the client names every
 * file with its SHA-256 ({@link #missing} answers which objects the vault lacks), uploads only
 * those as vault objects, then commits the list ({@link #commit}). The commit checks every limit,
 * makes the gzip and brotli copies of text files (reusing those of the current version for files
 * that did not change), stores the manifest as an object, and switches the site to it with one
 * change of its record.
 */
final class Publisher {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Publisher.class);

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** Objects compressed at once: bounds the memory a publish holds. */
  private static final int COMPRESS_BATCH = 8;

  private final Vertx vertx;
  private final Vault vault;
  private final Sites sites;
  private final WebConfig config;
  private final SiteFiles files;

  Publisher(Vertx vertx, Vault vault, Sites sites, WebConfig config, SiteFiles files) {
    this.vertx = vertx;
    this.vault = vault;
    this.sites = sites;
    this.config = config;
    this.files = files;
  }

  /** A file of a publish: its path in the site and its object. */
  record FileRef(String path, String id) {}

  /**
   * Reads and checks a publish's file list ({@code [{"path": ..., "sha256": ...}]}).
   *
   * @throws ServiceFailure 400 for a bad path or digest, or a path named twice; 413 for too many
   */
  List<FileRef> fileList(Object given) {
    if (!(given instanceof JsonArray list)) {
      throw ServiceFailure.badRequest("send files: [{\"path\": ..., \"sha256\": ...}, ...]");
    }
    if (list.size() > config.maxFiles()) {
      throw ServiceFailure.tooLarge(
          list.size()
              + " files; a site version has at most "
              + config.maxFiles()
              + " (web-max-files)");
    }
    List<FileRef> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < list.size(); i++) {
      Object item = list.getValue(i);
      if (!(item instanceof JsonObject f)) {
        throw ServiceFailure.badRequest("files[" + i + "] is not an object with path and sha256");
      }
      String path;
      try {
        path =
            SitePaths.file(
                f.getValue("path") instanceof String s ? s : null, config.maxPathLength());
      } catch (IllegalArgumentException e) {
        throw ServiceFailure.badRequest("files[" + i + "]: " + e.getMessage());
      }
      Object digest = f.getValue("sha256");
      if (!(digest instanceof String id) || !SHA256.matcher(id).matches()) {
        throw ServiceFailure.badRequest(
            "files[" + i + "] (" + path + "): sha256 is not 64 lowercase hex digits");
      }
      if (!seen.add(path)) {
        throw ServiceFailure.badRequest("files[" + i + "]: " + path + " is named twice");
      }
      out.add(new FileRef(path, id));
    }
    return out;
  }

  /** The objects of {@code list} that the owner's vault does not hold: the ones to upload. */
  Future<List<String>> missing(String owner, List<FileRef> list) {
    Set<String> ids = new LinkedHashSet<>();
    list.forEach(f -> ids.add(f.id()));
    List<String> order = new ArrayList<>(ids);
    List<Future<Boolean>> checks = new ArrayList<>();
    order.forEach(id -> checks.add(vault.hasObject(owner, id)));
    return Future.all(checks)
        .map(
            all -> {
              List<String> missing = new ArrayList<>();
              for (int i = 0; i < order.size(); i++) {
                if (!checks.get(i).result()) {
                  missing.add(order.get(i));
                }
              }
              return missing;
            });
  }

  /**
   * Publishes {@code list} as the site's next version and makes it current.
   *
   * @param domains the site's domains from now on, unchecked (see {@link SitePaths#domains}), or
   *     null to keep them
   */
  Future<JsonObject> commit(String owner, String site, List<FileRef> list, List<?> domains) {
    long startedNanos = System.nanoTime();
    return commitChecked(owner, site, list, domains)
        .onSuccess(
            r ->
                log.info(
                    "{}/{} version {} published: {} files, {} compressed now, in {} ms",
                    owner,
                    site,
                    r.getLong("version"),
                    r.getInteger("files"),
                    r.getInteger("compressed"),
                    (System.nanoTime() - startedNanos) / 1_000_000));
  }

  private Future<JsonObject> commitChecked(
      String owner, String site, List<FileRef> list, List<?> domains) {
    List<String> checkedDomains = domains == null ? null : SitePaths.domains(domains);
    Map<String, Long> sizes = new HashMap<>();
    List<String> absent = new ArrayList<>();
    Set<String> ids = new LinkedHashSet<>();
    list.forEach(f -> ids.add(f.id()));
    List<Future<Void>> reads = new ArrayList<>();
    for (String id : ids) {
      reads.add(
          vault
              .getObject(owner, id, 0, 0)
              .<Void>map(
                  o -> {
                    synchronized (sizes) {
                      sizes.put(id, o.info().size());
                    }
                    return null;
                  })
              .recover(
                  e -> {
                    if (e instanceof Vault.NotFound) {
                      synchronized (absent) {
                        absent.add(id);
                      }
                      return Future.succeededFuture();
                    }
                    return Future.failedFuture(e);
                  }));
    }
    return Future.all(reads)
        .compose(
            all -> {
              if (!absent.isEmpty()) {
                return Future.failedFuture(
                    ServiceFailure.conflict(
                        absent.size()
                            + " file(s) not uploaded yet (upload them as objects first): "
                            + String.join(", ", absent.subList(0, Math.min(5, absent.size())))));
              }
              checkSizes(list, sizes);
              return previous(owner, site);
            })
        .compose(before -> build(owner, list, sizes, before))
        .compose(built -> switchTo(owner, site, built, checkedDomains));
  }

  private void checkSizes(List<FileRef> list, Map<String, Long> sizes) {
    long total = 0;
    for (FileRef f : list) {
      long size = sizes.get(f.id());
      if (size > config.maxFileBytes()) {
        throw ServiceFailure.tooLarge(
            f.path()
                + " has "
                + size
                + " bytes; a file has at most "
                + config.maxFileBytes()
                + " (web-max-file-bytes)");
      }
      total += size;
    }
    if (total > config.maxSiteBytes()) {
      throw ServiceFailure.tooLarge(
          "the files have "
              + total
              + " bytes together; a site version has at most "
              + config.maxSiteBytes()
              + " (web-max-site-bytes)");
    }
  }

  /** The current version's manifest, whose compressed copies an unchanged file reuses. */
  private Future<Manifest> previous(String owner, String site) {
    return sites
        .read(owner, site)
        .compose(
            s -> {
              if (s == null || s.manifest() == null) {
                return Future.succeededFuture(null);
              }
              return files.manifest(owner, s.manifest()).recover(e -> Future.succeededFuture(null));
            });
  }

  private record Built(
      String manifestId, Manifest manifest, List<String> ignored, int compressed) {}

  private Future<Built> build(
      String owner, List<FileRef> list, Map<String, Long> sizes, Manifest before) {
    Map<String, Manifest.Entry> reuse = new HashMap<>();
    if (before != null) {
      before.files().values().forEach(e -> reuse.putIfAbsent(e.id(), e));
    }
    Map<String, Manifest.Entry> entries = new LinkedHashMap<>();
    List<FileRef> toCompress = new ArrayList<>();
    String headersId = null;
    for (FileRef f : list) {
      if (f.path().equals(HeaderRules.FILE)) {
        headersId = f.id();
        continue;
      }
      String type = MediaTypes.of(f.path());
      long size = sizes.get(f.id());
      Manifest.Entry old = reuse.get(f.id());
      if (old != null) {
        entries.put(
            f.path(),
            new Manifest.Entry(
                f.id(), type, size, old.gzip(), old.gzipSize(), old.br(), old.brSize()));
      } else {
        entries.put(f.path(), new Manifest.Entry(f.id(), type, size, null, 0, null, 0));
        if (MediaTypes.compressible(type) && size >= Compression.MIN_BYTES) {
          toCompress.add(f);
        }
      }
    }
    List<String> ignored = new ArrayList<>();
    Future<HeaderRules> rules =
        headersId == null
            ? Future.succeededFuture(HeaderRules.none())
            : vault
                .getObject(owner, headersId)
                .map(o -> HeaderRules.parse(o.bytes().toString(StandardCharsets.UTF_8), ignored));
    return rules.compose(
        r ->
            compressAll(owner, toCompress, entries, 0)
                .compose(
                    v -> {
                      Manifest m = new Manifest(entries, r, System.currentTimeMillis());
                      return vault
                          .putObject(owner, "application/json", m.encode())
                          .map(id -> new Built(id, m, ignored, toCompress.size()));
                    }));
  }

  private Future<Void> compressAll(
      String owner, List<FileRef> todo, Map<String, Manifest.Entry> entries, int from) {
    if (from >= todo.size()) {
      return Future.succeededFuture();
    }
    List<Future<Void>> batch = new ArrayList<>();
    for (int i = from; i < Math.min(todo.size(), from + COMPRESS_BATCH); i++) {
      batch.add(compressOne(owner, todo.get(i), entries));
    }
    return Future.all(batch).compose(v -> compressAll(owner, todo, entries, from + COMPRESS_BATCH));
  }

  private Future<Void> compressOne(String owner, FileRef f, Map<String, Manifest.Entry> entries) {
    return vault
        .getObject(owner, f.id())
        .compose(
            o ->
                vertx.executeBlocking(
                    () -> {
                      byte[] data = o.bytes().getBytes();
                      return new byte[][] {Compression.gzip(data), Compression.brotli(data)};
                    },
                    false))
        .compose(
            copies -> {
              Future<String> gz =
                  copies[0] == null
                      ? Future.succeededFuture(null)
                      : vault.putObject(owner, "application/gzip", Buffer.buffer(copies[0]));
              Future<String> br =
                  copies[1] == null
                      ? Future.succeededFuture(null)
                      : vault.putObject(owner, "application/x-brotli", Buffer.buffer(copies[1]));
              return Future.all(gz, br)
                  .map(
                      all -> {
                        synchronized (entries) {
                          Manifest.Entry e = entries.get(f.path());
                          entries.put(
                              f.path(),
                              new Manifest.Entry(
                                  e.id(),
                                  e.type(),
                                  e.size(),
                                  gz.result(),
                                  copies[0] == null ? 0 : copies[0].length,
                                  br.result(),
                                  copies[1] == null ? 0 : copies[1].length));
                        }
                        return null;
                      });
            });
  }

  private Future<JsonObject> switchTo(
      String owner, String site, Built built, List<String> domains) {
    long now = System.currentTimeMillis();
    return sites
        .change(
            owner,
            site,
            domains,
            record -> {
              long version = record.getLong("next", 1L);
              JsonArray versions = record.getJsonArray("versions", new JsonArray()).copy();
              versions.add(
                  new JsonObject()
                      .put("version", version)
                      .put("manifest", built.manifestId())
                      .put("publishedAt", now)
                      .put("files", built.manifest().files().size())
                      .put("bytes", built.manifest().totalBytes()));
              while (versions.size() > config.keepVersions()) {
                versions.remove(0);
              }
              return record
                  .copy()
                  .put("versions", versions)
                  .put("current", version)
                  .put("next", version + 1);
            })
        .map(
            s ->
                new JsonObject()
                    .put("owner", owner)
                    .put("site", site)
                    .put("version", s.current())
                    .put("manifest", built.manifestId())
                    .put("files", built.manifest().files().size())
                    .put("bytes", built.manifest().totalBytes())
                    .put("compressed", built.compressed())
                    .put("domains", new JsonArray(s.domains()))
                    .put("ignored", new JsonArray(built.ignored())));
  }
}
