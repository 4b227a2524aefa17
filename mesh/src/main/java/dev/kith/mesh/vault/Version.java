package dev.kith.mesh.vault;

import io.vertx.core.json.JsonObject;

/**
 * The version of one record write: the fencing epoch it was written under, the writer's {@link Hlc}
 * timestamp and the writing device's name. Versions are totally ordered, by epoch, then by
 * timestamp, then by device name, so that every device picks the same winner between two concurrent
 * writes. A device's clock never repeats a timestamp, so a version names exactly one write.
 *
 * <p>The epoch is 0 for a write made outside any fence (the edge's, an owner's through the API). A
 * placed instance writes under its placement epoch ({@link Fence}), and ordering by epoch first
 * means that a write of a superseded instance that reached some replica anyway (it woke from a hang
 * before it learned it was fenced) never wins over its successor's, whatever the clocks say.
 */
public record Version(long epoch, long hlc, String device) implements Comparable<Version> {

  public Version {
    if (epoch < 0) {
      throw new IllegalArgumentException("version epoch must not be negative: " + epoch);
    }
    if (hlc < 0) {
      throw new IllegalArgumentException("version hlc must not be negative: " + hlc);
    }
    if (device == null || device.isEmpty()) {
      throw new IllegalArgumentException("version device must not be empty");
    }
  }

  /** An unfenced version (epoch 0). */
  public Version(long hlc, String device) {
    this(0, hlc, device);
  }

  @Override
  public int compareTo(Version other) {
    int byEpoch = Long.compare(epoch, other.epoch);
    if (byEpoch != 0) {
      return byEpoch;
    }
    int byClock = Long.compare(hlc, other.hlc);
    return byClock != 0 ? byClock : device.compareTo(other.device);
  }

  public boolean newerThan(Version other) {
    return compareTo(other) > 0;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("hlc", hlc).put("device", device);
    return epoch == 0 ? json : json.put("epoch", epoch);
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
    Object epoch = json.getValue("epoch", 0);
    if (!(epoch instanceof Integer || epoch instanceof Long)) {
      throw new IllegalArgumentException("version epoch must be an integer: " + epoch);
    }
    return new Version(((Number) epoch).longValue(), ((Number) hlc).longValue(), (String) device);
  }

  @Override
  public String toString() {
    String at = Hlc.format(hlc) + "@" + device;
    return epoch == 0 ? at : "e" + epoch + ":" + at;
  }
}
