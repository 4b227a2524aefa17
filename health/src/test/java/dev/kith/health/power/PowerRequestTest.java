package dev.kith.health.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("A power request")
class PowerRequestTest {

  @Test
  @DisplayName("reads a battery level and direction, or mains, and writes them back")
  void valid() {
    PowerRequest battery =
        PowerRequest.fromJson(new JsonObject("{\"level\":0.1,\"charging\":false}"));
    assertThat(battery).isEqualTo(PowerRequest.battery(0.1, false));
    assertThat(PowerRequest.fromJson(battery.toJson())).isEqualTo(battery);

    assertThat(PowerRequest.fromJson(new JsonObject("{\"mains\":true}")))
        .isEqualTo(PowerRequest.onMains());
    assertThat(PowerRequest.fromJson(new JsonObject("{\"level\":1,\"charging\":true}")))
        .isEqualTo(PowerRequest.battery(1.0, true));
    assertThat(
            PowerRequest.fromJson(
                new JsonObject("{\"mains\":false,\"level\":0,\"charging\":true}")))
        .isEqualTo(PowerRequest.battery(0.0, true));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{}",
        "{\"level\":1.01,\"charging\":false}",
        "{\"level\":-0.5,\"charging\":false}",
        "{\"level\":\"0.5\",\"charging\":false}",
        "{\"level\":null,\"charging\":false}",
        "{\"level\":0.5}",
        "{\"level\":0.5,\"charging\":1}",
        "{\"mains\":1}",
        "{\"mains\":true,\"charging\":false}",
        "{\"level\":0.5,\"charging\":false,\"rate\":2}"
      })
  @DisplayName("rejects a body that is not a valid request, saying what to send")
  void invalid(String body) {
    assertThatThrownBy(() -> PowerRequest.fromJson(new JsonObject(body)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("power: ")
        .hasMessageEndingWith(PowerRequest.EXAMPLE);
  }
}
