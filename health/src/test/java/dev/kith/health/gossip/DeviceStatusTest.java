package dev.kith.health.gossip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.health.power.PowerStatus;
import dev.kith.health.sampling.LoadStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("A device status")
class DeviceStatusTest {

  private static final DeviceStatus STATUS =
      new DeviceStatus(
          "pi.alice",
          "alice",
          "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
          1_795_312_358_104L,
          42,
          1500,
          PowerStatus.battery(0.35, true),
          new LoadStatus(0.25, 50_000_000, 256_000_000, 84_000_000_000L),
          false,
          1_795_312_400_000L);

  @Test
  @DisplayName("survives a round trip through JSON text, as a string and as a buffer")
  void roundTrip() {
    String wire = STATUS.encode();

    assertThat(DeviceStatus.parse(wire)).isEqualTo(STATUS);
    assertThat(DeviceStatus.parse(Buffer.buffer(wire))).isEqualTo(STATUS);
    assertThat(DeviceStatus.fromJson(STATUS.toJson())).isEqualTo(STATUS);
    assertThat(wire.length()).isLessThan(DeviceStatus.MAX_BYTES / 4);
  }

  @Test
  @DisplayName("keeps an unknown CPU load unknown and reads a missing 'leaving' as false")
  void optionalParts() {
    DeviceStatus unknownLoad =
        new DeviceStatus(
            "pi.alice",
            "alice",
            STATUS.memberId(),
            1,
            0,
            1000,
            PowerStatus.MAINS,
            LoadStatus.UNKNOWN,
            true,
            0);
    DeviceStatus back = DeviceStatus.parse(unknownLoad.encode());
    assertThat(back.load().cpuLoad()).isNaN();
    assertThat(back.leaving()).isTrue();

    JsonObject json = STATUS.toJson();
    json.remove("leaving");
    assertThat(DeviceStatus.fromJson(json).leaving()).isFalse();
  }

  @Test
  @DisplayName("rejects a message over 4 KiB before parsing it, even if it is valid JSON")
  void oversized() {
    String padded = STATUS.encode() + " ".repeat(DeviceStatus.MAX_BYTES);
    String multibyte = "\"" + "é".repeat(DeviceStatus.MAX_BYTES / 2 + 1) + "\"";

    assertThatThrownBy(() -> DeviceStatus.parse(padded)).hasMessageContaining("4096 bytes");
    assertThatThrownBy(() -> DeviceStatus.parse(Buffer.buffer(padded)))
        .hasMessageContaining("4096 bytes");
    assertThatThrownBy(() -> DeviceStatus.parse(multibyte)).hasMessageContaining("4096 bytes");
  }

  @Test
  @DisplayName("rejects bodies that are not JSON objects in text")
  void notJsonText() {
    assertThatThrownBy(() -> DeviceStatus.parse("not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("status: not a JSON object");
    assertThatThrownBy(() -> DeviceStatus.parse("[1,2]"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DeviceStatus.parse(42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Integer");
    assertThatThrownBy(() -> DeviceStatus.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  static Stream<Arguments> badFields() {
    return Stream.of(
        bad("device", j -> j.put("device", "Pi.Alice"), "not NAME.OWNER"),
        bad("device", j -> j.put("device", "pi"), "not NAME.OWNER"),
        bad("device", j -> j.remove("device"), "missing"),
        bad("owner", j -> j.put("owner", "bob"), "owner part"),
        bad("memberId", j -> j.put("memberId", "member-1"), "not a UUID"),
        bad("memberId", j -> j.put("memberId", 7), "must be a string"),
        bad("incarnation", j -> j.put("incarnation", 0), "positive"),
        bad("incarnation", j -> j.put("incarnation", "12"), "whole number"),
        bad("incarnation", j -> j.put("incarnation", 1.5), "whole number"),
        bad("sequence", j -> j.put("sequence", -1), "negative"),
        bad("sequence", j -> j.remove("sequence"), "missing"),
        bad("periodMillis", j -> j.put("periodMillis", 0), "outside"),
        bad("periodMillis", j -> j.put("periodMillis", 3_600_000), "outside"),
        bad("sentAtMillis", j -> j.put("sentAtMillis", -5), "negative"),
        bad("power", j -> j.put("power", "mains"), "must be an object"),
        bad("power", j -> j.getJsonObject("power").put("level", 2), "outside 0..1"),
        bad("power", j -> j.getJsonObject("power").put("charging", "yes"), "charging"),
        bad("load", j -> j.getJsonObject("load").put("cpuLoad", "high"), "cpuLoad"),
        bad("load", j -> j.remove("load"), "missing"),
        bad("leaving", j -> j.put("leaving", "no"), "true or false"),
        bad("unknown", j -> j.put("favourite", 1), "not a status field"));
  }

  private static Arguments bad(String field, Consumer<JsonObject> change, String message) {
    return Arguments.of(field, change, message);
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("badFields")
  @DisplayName("rejects a bad field with a message that names it")
  void badField(String field, Consumer<JsonObject> change, String message) {
    JsonObject json = STATUS.toJson();
    change.accept(json);

    assertThatThrownBy(() -> DeviceStatus.parse(json.encode()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("status: ")
        .hasMessageContaining(message);
  }
}
