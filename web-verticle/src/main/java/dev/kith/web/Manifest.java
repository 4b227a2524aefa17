package dev.kith.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version of a site: every file's path with its object, type and size, and the precompressed
 * copies made at publish time. A manifest is itself a vault object (JSON), named by its content, so
 * it never changes and every device may cache it forever; the site record says which manifest is
 * current ({@link Sites}).
 *
 * @param files by path, in the order published
 * @param rules the site's {@code Cache-Control} rules
 * @param createdAtMillis when it was published
 */
record Manifest(Map<String, Entry> files, HeaderRules rules, long createdAtMillis) {

  /**
   * A file.
   *
   * @param id the object with its bytes (the SHA-256 of them)
   * @param gzip the object with its gzip copy, or null
   * @param br the object with its brotli copy, or null
   */
  record Entry(
      String id, String type, long size, String gzip, long gzipSize, String br, long brSize) {

    JsonObject toJson() {
      JsonObject o = new JsonObject().put("id", id).put("type", type).put("size", size);
      if (gzip != null) {
        o.put("gzip", gzip).put("gzipSize", gzipSize);
      }
      if (br != null) {
        o.put("br", br).put("brSize", brSize);
      }
      return o;
    }

    static Entry fromJson(JsonObject o) {
      return new Entry(
          o.getString("id"),
          o.getString("type"),
          o.getLong("size", 0L),
          o.getString("gzip"),
          o.getLong("gzipSize", 0L),
          o.getString("br"),
          o.getLong("brSize", 0L));
    }
  }

  long totalBytes() {
    return files.values().stream().mapToLong(Entry::size).sum();
  }

  Buffer encode() {
    JsonObject files = new JsonObject();
    this.files.forEach((path, e) -> files.put(path, e.toJson()));
    return new JsonObject()
        .put("kind", "kith-site-manifest")
        .put("createdAt", createdAtMillis)
        .put("files", files)
        .put("headers", rules.toJson())
        .toBuffer();
  }

  static Manifest decode(Buffer bytes) {
    JsonObject json = new JsonObject(bytes);
    Map<String, Entry> files = new LinkedHashMap<>();
    json.getJsonObject("files", new JsonObject())
        .forEach(f -> files.put(f.getKey(), Entry.fromJson((JsonObject) f.getValue())));
    return new Manifest(
        files, HeaderRules.fromJson(json.getJsonArray("headers")), json.getLong("createdAt", 0L));
  }
}
