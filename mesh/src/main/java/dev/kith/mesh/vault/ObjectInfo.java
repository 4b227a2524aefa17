package dev.kith.mesh.vault;

import io.vertx.core.json.JsonObject;

/**
 * What the vault knows about one stored object: whose it is, its content id (the SHA-256 of its
 * bytes, lowercase hex), its size, the media type it was stored with and when this device stored
 * it.
 */
public record ObjectInfo(
    String owner, String id, long size, String mediaType, long storedAtMillis) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("owner", owner)
        .put("id", id)
        .put("size", size)
        .put("mediaType", mediaType)
        .put("storedAtMillis", storedAtMillis);
  }
}
