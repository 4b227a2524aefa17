package dev.kith.health.gossip;

import dev.kith.health.power.PowerStatus;
import dev.kith.health.sampling.LoadStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a device tells the mesh about itself, once a gossip period: who it is, which process it is
 * ({@code incarnation}), which message this is ({@code sequence}), how often it speaks, its power
 * and load, and whether it is leaving. Messages come from other devices, so {@link #parse} and
 * {@link #fromJson} trust nothing: they cap the size at {@link #MAX_BYTES}, check every field's
 * type and range, and reject anything else with an {@link IllegalArgumentException} that names the
 * field.
 *
 * @param device the sender's name, {@code NAME.OWNER}
 * @param owner the owner part of the name
 * @param memberId the sender's Hazelcast member UUID now; it changes when a member rejoins the
 *     cluster after a split, so it is read afresh for every message
 * @param incarnation when the sending process started, in epoch milliseconds: a restart is a new
 *     incarnation, and a status from a newer incarnation replaces an older one
 * @param sequence the number of this message within the incarnation, from 0
 * @param periodMillis how long the sender waits before its next status
 * @param leaving whether the sender is shutting down cleanly (its last message)
 * @param sentAtMillis the sender's wall clock when it sent the status, for humans; clocks differ,
 *     so no decision depends on it
 */
public record DeviceStatus(
    String device,
    String owner,
    String memberId,
    long incarnation,
    long sequence,
    long periodMillis,
    PowerStatus power,
    LoadStatus load,
    boolean leaving,
    long sentAtMillis) {

  /** Largest message accepted, in bytes; a real status takes about 400. */
  public static final int MAX_BYTES = 4096;

  /** Longest gossip period a status may declare. */
  public static final long MAX_PERIOD_MILLIS = 600_000;

  private static final String LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  private static final Pattern DEVICE_NAME = Pattern.compile(LABEL + "\\." + LABEL);
  private static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Set<String> FIELDS =
      Set.of(
          "device",
          "owner",
          "memberId",
          "incarnation",
          "sequence",
          "periodMillis",
          "power",
          "load",
          "leaving",
          "sentAtMillis");

  public DeviceStatus {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(memberId, "memberId");
    Objects.requireNonNull(power, "power");
    Objects.requireNonNull(load, "load");
    if (!DEVICE_NAME.matcher(device).matches()) {
      throw invalid("device", "'" + shown(device) + "' is not NAME.OWNER");
    }
    if (!device.substring(device.indexOf('.') + 1).equals(owner)) {
      throw invalid("owner", "'" + shown(owner) + "' is not the owner part of " + device);
    }
    if (!UUID.matcher(memberId).matches()) {
      throw invalid("memberId", "'" + shown(memberId) + "' is not a UUID");
    }
    if (incarnation <= 0) {
      throw invalid("incarnation", incarnation + " must be positive");
    }
    if (sequence < 0) {
      throw invalid("sequence", sequence + " must not be negative");
    }
    if (periodMillis <= 0 || periodMillis > MAX_PERIOD_MILLIS) {
      throw invalid("periodMillis", periodMillis + " is outside 1.." + MAX_PERIOD_MILLIS);
    }
    if (sentAtMillis < 0) {
      throw invalid("sentAtMillis", sentAtMillis + " must not be negative");
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("device", device)
        .put("owner", owner)
        .put("memberId", memberId)
        .put("incarnation", incarnation)
        .put("sequence", sequence)
        .put("periodMillis", periodMillis)
        .put("power", power.toJson())
        .put("load", load.toJson())
        .put("leaving", leaving)
        .put("sentAtMillis", sentAtMillis);
  }

  /** The wire form: compact JSON text. */
  public String encode() {
    return toJson().encode();
  }

  /**
   * Reads a message body as it arrives on the event bus: JSON text as a {@link String} or a {@link
   * Buffer}, at most {@link #MAX_BYTES} bytes.
   *
   * @throws IllegalArgumentException if the body is of another type, too large, not a JSON object,
   *     or not a valid status
   */
  public static DeviceStatus parse(Object body) {
    String text;
    if (body instanceof String s) {
      // A UTF-8 byte is at least one char, so only long strings need counting.
      if (s.length() > MAX_BYTES || s.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
        throw tooLarge();
      }
      text = s;
    } else if (body instanceof Buffer b) {
      if (b.length() > MAX_BYTES) {
        throw tooLarge();
      }
      text = b.toString(StandardCharsets.UTF_8);
    } else {
      throw new IllegalArgumentException(
          "status: expected JSON text, got "
              + (body == null ? "nothing" : body.getClass().getSimpleName()));
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("status: not a JSON object");
    }
    return fromJson(json);
  }

  /**
   * Reads the form {@link #toJson()} writes. Every field is required except {@code leaving}, which
   * is false when absent; unknown fields are rejected so that a typo is not silently ignored.
   *
   * @throws IllegalArgumentException naming the field that is missing, of the wrong type or out of
   *     range
   */
  public static DeviceStatus fromJson(JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!FIELDS.contains(key)) {
        throw invalid(shown(key), "is not a status field");
      }
    }
    try {
      return new DeviceStatus(
          string(json, "device"),
          string(json, "owner"),
          string(json, "memberId"),
          whole(json, "incarnation"),
          whole(json, "sequence"),
          whole(json, "periodMillis"),
          PowerStatus.fromJson(object(json, "power")),
          LoadStatus.fromJson(object(json, "load")),
          flag(json, "leaving"),
          whole(json, "sentAtMillis"));
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("status: ")) {
        throw e;
      }
      // PowerStatus and LoadStatus name their own key; say that it is inside a status.
      throw new IllegalArgumentException("status: " + e.getMessage());
    }
  }

  private static String string(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (!(value instanceof String s)) {
      throw invalid(key, value == null ? "is missing" : "must be a string");
    }
    return s;
  }

  private static long whole(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    throw invalid(
        key, value == null ? "is missing" : "must be a whole number, got " + shownOf(value));
  }

  private static JsonObject object(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (!(value instanceof JsonObject o)) {
      throw invalid(key, value == null ? "is missing" : "must be an object");
    }
    return o;
  }

  private static boolean flag(JsonObject json, String key) {
    Object value = json.getValue(key, false);
    if (!(value instanceof Boolean b)) {
      throw invalid(key, "must be true or false, got " + shownOf(value));
    }
    return b;
  }

  private static IllegalArgumentException invalid(String field, String problem) {
    return new IllegalArgumentException("status: '" + field + "' " + problem);
  }

  private static IllegalArgumentException tooLarge() {
    return new IllegalArgumentException("status: message is larger than " + MAX_BYTES + " bytes");
  }

  private static String shownOf(Object value) {
    return shown(String.valueOf(value));
  }

  /** Text from another device as an error quotes it: on one line and short. */
  private static String shown(String text) {
    String line = text.replaceAll("\\p{Cntrl}", "?");
    return line.length() > 40 ? line.substring(0, 40) + "..." : line;
  }
}
