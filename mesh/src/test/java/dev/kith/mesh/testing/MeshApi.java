package dev.kith.mesh.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a device's view of the mesh through its public HTTP API ({@code /api/mesh/devices}, {@code
 * /metrics}), so that tests can compare what each device believes. The harness never uses runtime
 * classes: what a test sees is what a user's client sees.
 */
public final class MeshApi {

  /** The state the device registry reports for a device that is up. */
  public static final String ALIVE = "alive";

  private MeshApi() {}

  /** The device list that the device at {@code baseUrl} reports. */
  public static JsonArray devices(String baseUrl) {
    return Http.getJsonArray(baseUrl + "/api/mesh/devices");
  }

  /** Each device's name mapped to its state ({@code alive}, {@code dead}, {@code left}), sorted. */
  public static Map<String, String> deviceStates(String baseUrl) {
    Map<String, String> states = new TreeMap<>();
    for (Object entry : devices(baseUrl)) {
      JsonObject device = (JsonObject) entry;
      states.put(device.getString("name"), device.getString("state"));
    }
    return states;
  }

  /** The sum of every series of the metric {@code name} on the device's {@code /metrics}. */
  public static double metricSum(String baseUrl, String name) {
    return Http.get(baseUrl + "/metrics")
        .body()
        .lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** Whether the device at {@code baseUrl} reports {@code name} as alive. */
  public static boolean reportsAlive(String baseUrl, String name) {
    return ALIVE.equals(deviceStates(baseUrl).get(name));
  }
}
