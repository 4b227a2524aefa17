package dev.kith.mesh.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A device registry entry")
class DeviceInfoTest {

  private static final String MEMBER = "5f1c2a4e-0000-4000-8000-000000000001";

  private static DeviceInfo laptop() {
    return new DeviceInfo(
        "laptop.alice",
        "alice",
        MEMBER,
        "http://192.0.2.10:8080",
        "192.0.2.10:5701",
        "1.2.3",
        Instant.parse("2025-01-02T03:04:05.123456789Z"),
        new JsonObject().put("storageQuotaBytes", 0L).put("cpus", 4),
        List.of("echo", "mail"),
        false);
  }

  @Test
  @DisplayName("survives a round trip through its JSON form unchanged, to the nanosecond")
  void roundTrip() {
    DeviceInfo info = laptop();

    DeviceInfo back = DeviceInfo.fromJson(new JsonObject(info.toJson().encode()));

    assertThat(back).isEqualTo(info);
    assertThat(back.startedAt()).isEqualTo(Instant.parse("2025-01-02T03:04:05.123456789Z"));
  }

  @Test
  @DisplayName("keeps whether the device left through a round trip")
  void roundTripOfALeftDevice() {
    DeviceInfo left = laptop().asLeft();

    DeviceInfo back = DeviceInfo.fromJson(new JsonObject(left.toJson().encode()));

    assertThat(back.left()).isTrue();
    assertThat(back).isEqualTo(left);
  }

  @Test
  @DisplayName("reads an entry without capacity, services or left as empty, none and not left")
  void readsMinimalEntry() {
    JsonObject minimal =
        new JsonObject()
            .put("name", "pi.bob")
            .put("owner", "bob")
            .put("memberId", MEMBER)
            .put("httpUrl", "http://192.0.2.11:8080")
            .put("clusterAddress", "192.0.2.11:5701")
            .put("version", "1.2.3")
            .put("startedAt", "2025-01-02T03:04:05Z");

    DeviceInfo info = DeviceInfo.fromJson(minimal);

    assertThat(info.capacity()).isEqualTo(new JsonObject());
    assertThat(info.services()).isEmpty();
    assertThat(info.left()).isFalse();
  }

  @Test
  @DisplayName("shows the API its state and public fields but hides the member id and left flag")
  void apiJsonHidesInternals() {
    JsonObject api = laptop().toApiJson(DeviceState.ALIVE);

    assertThat(api.fieldNames()).doesNotContain("memberId", "left");
    assertThat(api.getString("name")).isEqualTo("laptop.alice");
    assertThat(api.getString("owner")).isEqualTo("alice");
    assertThat(api.getString("state")).isEqualTo("alive");
    assertThat(api.getString("httpUrl")).isEqualTo("http://192.0.2.10:8080");
    assertThat(api.getString("startedAt")).isEqualTo("2025-01-02T03:04:05.123456789Z");
    assertThat(api.getString("version")).isEqualTo("1.2.3");
    assertThat(api.getJsonArray("services").stream().toList()).containsExactly("echo", "mail");
    assertThat(api.encode()).doesNotContain(MEMBER);
  }

  @Test
  @DisplayName("writes each state by its lowercase wire name")
  void apiJsonStates() {
    assertThat(laptop().toApiJson(DeviceState.DEAD).getString("state")).isEqualTo("dead");
    assertThat(laptop().asLeft().toApiJson(DeviceState.LEFT).getString("state")).isEqualTo("left");
  }

  @Test
  @DisplayName("does not let changes to a JSON form reach the entry's capacity")
  void jsonIsACopy() {
    DeviceInfo info = laptop();

    info.toJson().getJsonObject("capacity").put("cpus", 64);
    info.toApiJson(DeviceState.ALIVE).getJsonObject("capacity").put("cpus", 64);

    assertThat(info.capacity().getInteger("cpus")).isEqualTo(4);
  }

  @Test
  @DisplayName("is left if it said goodbye, else alive while its member is in the cluster")
  void stateFromMembers() {
    DeviceInfo info = laptop();

    assertThat(DeviceRegistry.stateOf(info, Set.of(MEMBER))).isEqualTo(DeviceState.ALIVE);
    assertThat(DeviceRegistry.stateOf(info, Set.of())).isEqualTo(DeviceState.DEAD);
    assertThat(DeviceRegistry.stateOf(info.asLeft(), Set.of(MEMBER))).isEqualTo(DeviceState.LEFT);
  }
}
