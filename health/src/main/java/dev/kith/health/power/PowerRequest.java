package dev.kith.health.power;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A request to change a device's power at run time, the body of {@code PUT
 * /api/mesh/devices/{name}/power}: {@code {"level":0.1,"charging":false}} puts the device on a
 * battery at that level, {@code {"mains":true}} plugs it in. It travels on the event bus to the
 * device it is for, so it is checked where it is read.
 *
 * @param mains whether the device is to run from mains; then {@code level} and {@code charging} are
 *     unused
 * @param level the battery level from 0.0 to 1.0
 * @param charging whether the battery is charging
 */
public record PowerRequest(boolean mains, double level, boolean charging) {

  /** What a caller is told to send. */
  public static final String EXAMPLE = "{\"level\":0.1,\"charging\":false} or {\"mains\":true}";

  private static final Set<String> KEYS = Set.of("mains", "level", "charging");

  public PowerRequest {
    if (!mains && !(level >= 0.0 && level <= 1.0)) {
      throw new IllegalArgumentException("power: 'level' " + level + " is outside 0..1");
    }
  }

  /** Plugged in. */
  public static PowerRequest onMains() {
    return new PowerRequest(true, 1.0, false);
  }

  /** On battery at {@code level}. */
  public static PowerRequest battery(double level, boolean charging) {
    return new PowerRequest(false, level, charging);
  }

  public JsonObject toJson() {
    return mains
        ? new JsonObject().put("mains", true)
        : new JsonObject().put("level", level).put("charging", charging);
  }

  /**
   * Reads a request body.
   *
   * @throws IllegalArgumentException with a message for the caller that names the key at fault
   */
  public static PowerRequest fromJson(JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw invalid("'" + shown(key) + "' is not a power setting");
      }
    }
    Object mains = json.getValue("mains");
    if (mains != null && !(mains instanceof Boolean)) {
      throw invalid("'mains' must be true or false, got " + shown(String.valueOf(mains)));
    }
    if (Boolean.TRUE.equals(mains)) {
      if (json.containsKey("level") || json.containsKey("charging")) {
        throw invalid("a device on mains takes no 'level' or 'charging'");
      }
      return onMains();
    }
    Object level = json.getValue("level");
    if (level == null) {
      throw invalid("'level' is missing");
    }
    if (!(level instanceof Number number) || !Double.isFinite(number.doubleValue())) {
      throw invalid("'level' must be a number from 0 to 1, got " + shown(String.valueOf(level)));
    }
    double value = number.doubleValue();
    if (!(value >= 0.0 && value <= 1.0)) {
      throw invalid("'level' " + value + " is outside 0..1 (a fraction: 0.1 means 10%)");
    }
    Object charging = json.getValue("charging");
    if (!(charging instanceof Boolean flag)) {
      throw invalid(
          "'charging' must be true or false, got "
              + (charging == null ? "nothing" : shown(String.valueOf(charging))));
    }
    return battery(value, flag);
  }

  private static IllegalArgumentException invalid(String problem) {
    return new IllegalArgumentException("power: " + problem + "; send " + EXAMPLE);
  }

  private static String shown(String text) {
    String line = text.replaceAll("\\p{Cntrl}", "?");
    return line.length() > 40 ? line.substring(0, 40) + "..." : line;
  }
}
