package dev.kith.health.power;

import io.vertx.core.json.JsonObject;
import java.util.Comparator;

/**
 * How a device is powered at one moment: on mains or on battery, the battery's level, and whether
 * it is charging. Devices gossip this and the placement controller ranks them by it (mains, then
 * charging, then battery by level), so a service leaves a phone before its battery runs out. A
 * device without a battery reports mains at level 1.0. A device on mains may also be charging (a
 * laptop plugged in); it still ranks as mains.
 *
 * @param onMains whether the device runs from an external supply
 * @param batteryLevel the battery's charge from 0.0 to 1.0; 1.0 when there is no battery
 * @param charging whether the battery is charging
 */
public record PowerStatus(boolean onMains, double batteryLevel, boolean charging) {

  /** A device on mains with no battery, or one whose battery cannot be read. */
  public static final PowerStatus MAINS = new PowerStatus(true, 1.0, false);

  /** Orders power for placement, the best first: mains, then charging, then battery by level. */
  public static final Comparator<PowerStatus> BEST_FIRST =
      Comparator.comparingDouble(PowerStatus::rank).reversed();

  public PowerStatus {
    if (!(batteryLevel >= 0.0 && batteryLevel <= 1.0)) {
      throw new IllegalArgumentException(
          "power: battery level " + batteryLevel + " is outside 0..1");
    }
  }

  /** A device running from its battery. */
  public static PowerStatus battery(double level, boolean charging) {
    return new PowerStatus(false, level, charging);
  }

  public boolean isBattery() {
    return !onMains;
  }

  /**
   * A score for placement where higher is better and only the order means anything. The bands do
   * not overlap, so a charging phone at 10% still beats a discharging one at 90%: the first one's
   * level can only rise.
   */
  public double rank() {
    if (onMains) {
      return 4.0;
    }
    return charging ? 2.0 + batteryLevel : batteryLevel;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("onMains", onMains)
        .put("level", batteryLevel)
        .put("charging", charging);
  }

  /**
   * Reads the form {@link #toJson()} writes. A missing key takes the value a device without a
   * battery would send, so an empty object means mains.
   *
   * @throws IllegalArgumentException naming the key when a value has the wrong type or range
   */
  public static PowerStatus fromJson(JsonObject json) {
    boolean onMains = booleanOf(json, "onMains", true);
    boolean charging = booleanOf(json, "charging", false);
    Object level = json.getValue("level", 1.0);
    if (!(level instanceof Number number)) {
      throw new IllegalArgumentException("power: 'level' must be a number, got " + level);
    }
    double value = number.doubleValue();
    if (!(value >= 0.0 && value <= 1.0)) {
      throw new IllegalArgumentException("power: 'level' " + value + " is outside 0..1");
    }
    return new PowerStatus(onMains, value, charging);
  }

  private static boolean booleanOf(JsonObject json, String key, boolean otherwise) {
    Object value = json.getValue(key, otherwise);
    if (!(value instanceof Boolean flag)) {
      throw new IllegalArgumentException(
          "power: '" + key + "' must be true or false, got " + value);
    }
    return flag;
  }
}
