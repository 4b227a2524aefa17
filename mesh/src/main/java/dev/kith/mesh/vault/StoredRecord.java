package dev.kith.mesh.vault;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * One record as the vault stores and replicates it: an owner's key, the version of the write that
 * set it, and the value as JSON text. A {@code null} value is a tombstone: the key was deleted by
 * that write, and the tombstone wins over older writes just as a value would.
 *
 * <p>The value is checked to be JSON where it enters the vault ({@link #checkJson}: the HTTP API; a
 * service's value is a {@code JsonObject} already) and from then on passes through replicas, the
 * database and change notices as text, parsed only by whoever reads it.
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

  /** Refuses a value that is not JSON text. */
  static void checkJson(String value) {
    if (value != null) {
      try {
        Json.decodeValue(value);
      } catch (DecodeException e) {
        throw new IllegalArgumentException("record value is not JSON: " + e.getMessage(), e);
      }
    }
  }

  public StoredRecord {
    VaultNames.requireOwner(owner);
    VaultNames.requireKey(key);
    Objects.requireNonNull(version, "version");
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

  /**
   * The record as the replicas and change notices carry it: the value as its JSON text in {@code
   * text}, so that nobody on the way parses it.
   */
  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("owner", owner)
            .put("key", key)
            .put("version", version.toJson())
            .put("deleted", deleted());
    return value == null ? json : json.put("text", value);
  }

  /**
   * Reads {@link #toJson}'s form; a value given as parsed JSON in {@code value} instead of text in
   * {@code text} is accepted too.
   */
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
    Object text = json.getValue("text");
    if ((Boolean) deleted) {
      if (json.getValue("value") != null || text != null) {
        throw new IllegalArgumentException("a deleted record carries no value");
      }
      value = null;
    } else if (text instanceof String t) {
      value = t;
    } else if (text != null) {
      throw new IllegalArgumentException("record text must be a string");
    } else if (json.containsKey("value")) {
      value = Json.encode(json.getValue("value"));
    } else {
      throw new IllegalArgumentException("record value is missing");
    }
    return new StoredRecord(
        (String) owner, (String) key, Version.fromJson((JsonObject) version), value);
  }
}
