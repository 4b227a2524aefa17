package dev.kith.health.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A load status")
class LoadStatusTest {

  @Test
  @DisplayName("survives a round trip through its JSON form unchanged")
  void roundTrip() {
    LoadStatus load = new LoadStatus(0.25, 100L << 20, 1L << 30, 50L << 30);

    JsonObject json = new JsonObject(load.toJson().encode());

    assertThat(json.fieldNames())
        .containsExactlyInAnyOrder("cpuLoad", "heapUsedBytes", "heapMaxBytes", "freeDiskBytes");
    assertThat(LoadStatus.fromJson(json)).isEqualTo(load);
  }

  @Test
  @DisplayName("leaves an unknown CPU load out of JSON, which has no NaN, and reads it back as NaN")
  void unknownCpu() {
    JsonObject json = new JsonObject(LoadStatus.UNKNOWN.toJson().encode());

    assertThat(json.containsKey("cpuLoad")).isFalse();
    assertThat(LoadStatus.fromJson(json)).isEqualTo(LoadStatus.UNKNOWN);
  }

  @Test
  @DisplayName("reads missing keys as unknown")
  void missingKeys() {
    assertThat(LoadStatus.fromJson(new JsonObject())).isEqualTo(LoadStatus.UNKNOWN);
  }

  @Test
  @DisplayName("refuses a value that is not a number, naming the key")
  void wrongType() {
    assertThatThrownBy(() -> LoadStatus.fromJson(new JsonObject().put("freeDiskBytes", "lots")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'freeDiskBytes'");
  }

  @Test
  @DisplayName("gives the heap in use as a share of the maximum, or NaN when either is unknown")
  void heapRatio() {
    assertThat(new LoadStatus(0, 256, 1024, 0).heapRatio()).isEqualTo(0.25);
    assertThat(new LoadStatus(0, 256, -1, 0).heapRatio()).isNaN();
    assertThat(LoadStatus.UNKNOWN.heapRatio()).isNaN();
  }
}
