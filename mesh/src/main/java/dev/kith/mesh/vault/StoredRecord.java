package dev.kith.mesh.vault;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * One record as the vault stores and replicates it: an owner's key, the version of the write that
 * set it, and the value as JSON text. A {@code null} value is a tombstone: the key was deleted by
 * that write, and the tombstone wins over older writes just as a value would.
 */
public record StoredRecord(String owner, String key, Version version, String value) {

  /** The largest value of a record, in characters of its JSON; larger data is an object. */
  public static final int MAX_VALUE_BYTES = 256 * 1024;

  /** Refuses a value that is larger than {@link #MAX_VALUE_BYTES}. */
  static void checkValue(String value) {
    if (value != null && value.length() > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "record value is larger than " + MAX_VALUE_BYTES + " bytes; store it as an object");
    }
  }

  public StoredRecord {
    VaultNames.requireOwner(owner);
    VaultNames.requireKey(key);
    Objects.requireNonNull(version, "version");
    if (value != null) {
      try {
        Json.decodeValue(value);
      } catch (DecodeException e) {
        throw new IllegalArgumentException("record value is not JSON: " + e.getMessage(), e);
      }
    }
  }

  public static StoredRecord tombstone(String owner, String key, Version version) {
    return new StoredRecord(owner, key, version, null);
  }

  public boolean deleted() {
    return value == null;
  }

  public boolean newerThan(StoredRecord other) {
    return version.newerThan(other.version);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("owner", owner)
        .put("key", key)
        .put("version", version.toJson())
        .put("value", value == null ? null : Json.decodeValue(value))
        .put("deleted", deleted());
  }

  public static StoredRecord fromJson(JsonObject json) {
    Object owner = json.getValue("owner");
    Object key = json.getValue("key");
    Object version = json.getValue("version");
    Object deleted = json.getValue("deleted", false);
    if (!(owner instanceof String) || !(key instanceof String)) {
      throw new IllegalArgumentException("record owner and key must be strings");
    }
    if (!(version instanceof JsonObject)) {
      throw new IllegalArgumentException("record version must be an object");
    }
    if (!(deleted instanceof Boolean)) {
      throw new IllegalArgumentException("record deleted must be a boolean: " + deleted);
    }
    String value;
    if ((Boolean) deleted) {
      if (json.getValue("value") != null) {
        throw new IllegalArgumentException("a deleted record carries no value");
      }
      value = null;
    } else {
      if (!json.containsKey("value")) {
        throw new IllegalArgumentException("record value is missing");
      }
      value = Json.encode(json.getValue("value"));
    }
    return new StoredRecord(
        (String) owner, (String) key, Version.fromJson((JsonObject) version), value);
  }
}
