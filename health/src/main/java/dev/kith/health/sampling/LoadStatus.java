package dev.kith.health.sampling;

import io.vertx.core.json.JsonObject;

/**
 * How busy and how full a device is at one moment, as it gossips it and the placement controller
 * weighs it after owner affinity, failover order and power. Unknown figures are NaN for the CPU and
 * -1 for byte counts, so a device whose platform hides one still gossips the rest.
 *
 * @param cpuLoad the whole system's CPU use from 0.0 to 1.0, or NaN when unknown
 * @param heapUsedBytes the JVM heap in use, or -1
 * @param heapMaxBytes the most heap the JVM may use, or -1
 * @param freeDiskBytes the space this process may still write in the device's home directory, or -1
 */
public record LoadStatus(
    double cpuLoad, long heapUsedBytes, long heapMaxBytes, long freeDiskBytes) {

  /** Nothing known. */
  public static final LoadStatus UNKNOWN = new LoadStatus(Double.NaN, -1, -1, -1);

  /** The share of the maximum heap in use from 0.0 to 1.0, or NaN when either is unknown. */
  public double heapRatio() {
    if (heapUsedBytes < 0 || heapMaxBytes <= 0) {
      return Double.NaN;
    }
    return Math.min(1.0, (double) heapUsedBytes / heapMaxBytes);
  }

  /** The JSON form; an unknown CPU load is left out, because JSON has no NaN. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (!Double.isNaN(cpuLoad)) {
      json.put("cpuLoad", cpuLoad);
    }
    return json.put("heapUsedBytes", heapUsedBytes)
        .put("heapMaxBytes", heapMaxBytes)
        .put("freeDiskBytes", freeDiskBytes);
  }

  /**
   * Reads the form {@link #toJson()} writes; a missing key reads as unknown.
   *
   * @throws IllegalArgumentException naming the key whose value is not a number
   */
  public static LoadStatus fromJson(JsonObject json) {
    Number cpu = numberOf(json, "cpuLoad");
    return new LoadStatus(
        cpu == null ? Double.NaN : cpu.doubleValue(),
        bytesOf(json, "heapUsedBytes"),
        bytesOf(json, "heapMaxBytes"),
        bytesOf(json, "freeDiskBytes"));
  }

  private static long bytesOf(JsonObject json, String key) {
    Number value = numberOf(json, key);
    return value == null ? -1 : value.longValue();
  }

  private static Number numberOf(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value == null || value instanceof Number) {
      return (Number) value;
    }
    throw new IllegalArgumentException("load: '" + key + "' must be a number, got " + value);
  }
}
