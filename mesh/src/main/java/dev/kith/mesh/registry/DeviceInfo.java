package dev.kith.mesh.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * One device as the registry records it: who it is, where to reach it and what it offers.
 *
 * @param memberId the Hazelcast member UUID of the process that holds the name
 * @param left whether the device shut down cleanly
 * @param capacity declared capacity: {@code storageQuotaBytes}, {@code freeDiskBytes}, {@code
 *     cpus}, {@code maxHeapBytes}
 * @param services names of the services running on the device
 */
public record DeviceInfo(
    String name,
    String owner,
    String memberId,
    String httpUrl,
    String clusterAddress,
    String version,
    Instant startedAt,
    JsonObject capacity,
    List<String> services,
    boolean left) {

  public DeviceInfo {
    services = List.copyOf(services);
  }

  public DeviceInfo withServices(List<String> running) {
    return new DeviceInfo(
        name,
        owner,
        memberId,
        httpUrl,
        clusterAddress,
        version,
        startedAt,
        capacity,
        running,
        left);
  }

  /** The same device under a new cluster member (after a split-brain merge gave it a new UUID). */
  public DeviceInfo withMemberId(String newMemberId) {
    return new DeviceInfo(
        name,
        owner,
        newMemberId,
        httpUrl,
        clusterAddress,
        version,
        startedAt,
        capacity,
        services,
        left);
  }

  public DeviceInfo asLeft() {
    return new DeviceInfo(
        name,
        owner,
        memberId,
        httpUrl,
        clusterAddress,
        version,
        startedAt,
        capacity,
        services,
        true);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("owner", owner)
        .put("memberId", memberId)
        .put("httpUrl", httpUrl)
        .put("clusterAddress", clusterAddress)
        .put("version", version)
        .put("startedAt", startedAt.toString())
        .put("capacity", capacity.copy())
        .put("services", new JsonArray(services))
        .put("left", left);
  }

  public static DeviceInfo fromJson(JsonObject json) {
    return new DeviceInfo(
        json.getString("name"),
        json.getString("owner"),
        json.getString("memberId"),
        json.getString("httpUrl"),
        json.getString("clusterAddress"),
        json.getString("version"),
        Instant.parse(json.getString("startedAt")),
        json.getJsonObject("capacity", new JsonObject()),
        json.getJsonArray("services", new JsonArray()).stream().map(String::valueOf).toList(),
        json.getBoolean("left", false));
  }

  /** The public view, with the state the mesh sees now. */
  public JsonObject toApiJson(DeviceState state) {
    JsonObject json = toJson();
    json.remove("memberId");
    json.remove("left");
    return new JsonObject()
        .put("name", name)
        .put("owner", owner)
        .put("state", state.wireName())
        .mergeIn(json);
  }
}
