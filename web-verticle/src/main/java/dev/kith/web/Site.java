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
 */
record Site(String owner, String name, List<String> domains, long current, JsonObject json) {

  static final String VAULT_OWNER = "kith-web";

  static String key(String owner, String site) {
    return "sites/" + owner + "/" + site;
  }

  static Site fromJson(JsonObject json) {
    List<String> domains = new ArrayList<>();
    json.getJsonArray("domains", new JsonArray()).forEach(d -> domains.add((String) d));
    return new Site(
        json.getString("owner"),
        json.getString("site"),
        List.copyOf(domains),
        json.getLong("current", 0L),
        json);
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
    for (int i = 0; i < versions().size(); i++) {
      JsonObject v = versions().getJsonObject(i);
      if (v.getLong("version") == n) {
        return v;
      }
    }
    return null;
  }

  /** The current version's manifest object, or null when nothing is published. */
  String manifest() {
    JsonObject v = version(current);
    return v == null ? null : v.getString("manifest");
  }

  long publishedAt() {
    JsonObject v = version(current);
    return v == null ? 0 : v.getLong("publishedAt", 0L);
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
