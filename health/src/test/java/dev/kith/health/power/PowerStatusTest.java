package dev.kith.health.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A power status")
class PowerStatusTest {

  private static final PowerStatus MAINS = PowerStatus.MAINS;
  private static final PowerStatus CHARGING_10 = PowerStatus.battery(0.1, true);
  private static final PowerStatus BATTERY_90 = PowerStatus.battery(0.9, false);
  private static final PowerStatus BATTERY_50 = PowerStatus.battery(0.5, false);

  @Test
  @DisplayName("ranks mains above charging at 10%, above battery at 90%, above battery at 50%")
  void placementOrder() {
    List<PowerStatus> devices =
        new ArrayList<>(List.of(BATTERY_50, MAINS, BATTERY_90, CHARGING_10));
    Collections.shuffle(devices, new Random(7));

    devices.sort(PowerStatus.BEST_FIRST);

    assertThat(devices).containsExactly(MAINS, CHARGING_10, BATTERY_90, BATTERY_50);
    assertThat(MAINS.rank()).isGreaterThan(CHARGING_10.rank());
    assertThat(CHARGING_10.rank()).isGreaterThan(BATTERY_90.rank());
    assertThat(BATTERY_90.rank()).isGreaterThan(BATTERY_50.rank());
  }

  @Test
  @DisplayName("ranks an empty charging battery above a full discharging one")
  void chargingBeatsAnyBattery() {
    assertThat(PowerStatus.battery(0.0, true).rank())
        .isGreaterThan(PowerStatus.battery(1.0, false).rank());
  }

  @Test
  @DisplayName("ranks charging devices by level, and every device on mains the same")
  void tiesAndLevelsWithinABand() {
    assertThat(PowerStatus.battery(0.6, true).rank())
        .isGreaterThan(PowerStatus.battery(0.2, true).rank());
    assertThat(new PowerStatus(true, 0.4, true).rank()).isEqualTo(MAINS.rank());
  }

  @Test
  @DisplayName("is a battery device exactly when it is not on mains")
  void isBattery() {
    assertThat(MAINS.isBattery()).isFalse();
    assertThat(CHARGING_10.isBattery()).isTrue();
    assertThat(new PowerStatus(true, 0.5, true).isBattery()).isFalse();
  }

  @Test
  @DisplayName("writes onMains, level and charging to JSON and reads them back unchanged")
  void jsonRoundTrip() {
    PowerStatus status = PowerStatus.battery(0.42, true);

    JsonObject json = status.toJson();

    assertThat(json.fieldNames()).containsExactlyInAnyOrder("onMains", "level", "charging");
    assertThat(json.getDouble("level")).isEqualTo(0.42);
    assertThat(PowerStatus.fromJson(new JsonObject(json.encode()))).isEqualTo(status);
  }

  @Test
  @DisplayName("reads an empty JSON object as mains, and a level alone as that level on mains")
  void jsonDefaults() {
    assertThat(PowerStatus.fromJson(new JsonObject())).isEqualTo(MAINS);
    assertThat(PowerStatus.fromJson(new JsonObject().put("level", 1)).batteryLevel())
        .isEqualTo(1.0);
  }

  @Test
  @DisplayName("rejects JSON whose values have the wrong type or range, naming the key")
  void jsonErrors() {
    assertThatThrownBy(() -> PowerStatus.fromJson(new JsonObject().put("level", "high")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'level'");
    assertThatThrownBy(() -> PowerStatus.fromJson(new JsonObject().put("level", 1.5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'level'")
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> PowerStatus.fromJson(new JsonObject().put("charging", "yes")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'charging'");
    assertThatThrownBy(() -> PowerStatus.fromJson(new JsonObject().put("onMains", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'onMains'");
  }

  @Test
  @DisplayName("refuses a level outside 0..1 or not a number")
  void levelRange() {
    assertThatThrownBy(() -> PowerStatus.battery(-0.01, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PowerStatus.battery(1.01, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PowerStatus.battery(Double.NaN, false))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
