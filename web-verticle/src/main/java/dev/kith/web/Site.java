package dev.kith.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A site as its record in the {@code kith-web} vault says: its owner and name, its domains, the
 * versions it keeps (newest last) and which is current. Records are JSON:
 *
 * <pre>
 * {"owner": "alice", "site": "alice", "domains": ["alice.example"], "current": 3, "next": 4,
 *  "versions": [{"version": 3, "manifest": "9f2c...", "publishedAt": 1765000000000,
 *                "files": 500, "bytes": 2048000}, ...]}
 * </pre>
 *
 * The other components are derived from the record once, for the requests that read them.
 */
record Site(
    String owner,
    String name,
    List<String> domains,
    long current,
    JsonObject json,
    String label,
    String currentText,
    String manifest,
    long publishedAt,
    String lastModified) {

  /** HTTP's date format (RFC 9110: IMF-fixdate), for Last-Modified and If-Modified-Since. */
  static final java.time.format.DateTimeFormatter HTTP_DATE =
      java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
          .withZone(java.time.ZoneOffset.UTC)
          .withLocale(java.util.Locale.ROOT);

  static final String VAULT_OWNER = "kith-web";

  static String key(String owner, String site) {
    return "sites/" + owner + "/" + site;
  }

  static Site fromJson(JsonObject json) {
    List<String> domains = new ArrayList<>();
    json.getJsonArray("domains", new JsonArray()).forEach(d -> domains.add((String) d));
    String owner = json.getString("owner");
    String site = json.getString("site");
    long current = json.getLong("current", 0L);
    JsonObject version = version(json, current);
    long publishedAt = version == null ? 0 : version.getLong("publishedAt", 0L);
    return new Site(
        owner,
        site,
        List.copyOf(domains),
        current,
        json,
        owner + "/" + site,
        String.valueOf(current),
        version == null ? null : version.getString("manifest"),
        publishedAt,
        HTTP_DATE.format(java.time.Instant.ofEpochMilli(publishedAt)));
  }

  static JsonObject empty(String owner, String site) {
    return new JsonObject()
        .put("owner", owner)
        .put("site", site)
        .put("domains", new JsonArray())
        .put("current", 0L)
        .put("next", 1L)
        .put("versions", new JsonArray());
  }

  String key() {
    return key(owner, name);
  }

  JsonArray versions() {
    return json.getJsonArray("versions", new JsonArray());
  }

  /** A kept version, or null. */
  JsonObject version(long n) {
    return version(json, n);
  }

  private static JsonObject version(JsonObject json, long n) {
    JsonArray versions = json.getJsonArray("versions", new JsonArray());
    for (int i = 0; i < versions.size(); i++) {
      JsonObject v = versions.getJsonObject(i);
      if (v.getLong("version") == n) {
        return v;
      }
    }
    return null;
  }

  /** The record as the API shows it. */
  JsonObject describe() {
    return new JsonObject()
        .put("owner", owner)
        .put("site", name)
        .put("domains", new JsonArray(domains))
        .put("current", current)
        .put("versions", versions().copy());
  }
}
