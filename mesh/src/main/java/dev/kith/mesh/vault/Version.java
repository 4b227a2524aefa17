package dev.kith.mesh.vault;

import io.vertx.core.json.JsonObject;

/**
 * The version of one record write: the writer's {@link Hlc} timestamp and the writing device's
 * name. Versions are totally ordered, by timestamp and then by device name, so that every device
 * picks the same winner between two concurrent writes. A device's clock never repeats a timestamp,
 * so a version names exactly one write.
 */
public record Version(long hlc, String device) implements Comparable<Version> {

  public Version {
    if (hlc < 0) {
      throw new IllegalArgumentException("version hlc must not be negative: " + hlc);
    }
    if (device == null || device.isEmpty()) {
      throw new IllegalArgumentException("version device must not be empty");
    }
  }

  @Override
  public int compareTo(Version other) {
    int byClock = Long.compare(hlc, other.hlc);
    return byClock != 0 ? byClock : device.compareTo(other.device);
  }

  public boolean newerThan(Version other) {
    return compareTo(other) > 0;
  }

  public JsonObject toJson() {
    return new JsonObject().put("hlc", hlc).put("device", device);
  }

  public static Version fromJson(JsonObject json) {
    if (json == null) {
      throw new IllegalArgumentException("version is missing");
    }
    Object hlc = json.getValue("hlc");
    if (!(hlc instanceof Integer || hlc instanceof Long)) {
      throw new IllegalArgumentException("version hlc must be an integer: " + hlc);
    }
    Object device = json.getValue("device");
    if (!(device instanceof String)) {
      throw new IllegalArgumentException("version device must be a string: " + device);
    }
    return new Version(((Number) hlc).longValue(), (String) device);
  }

  @Override
  public String toString() {
    return Hlc.format(hlc) + "@" + device;
  }
}
