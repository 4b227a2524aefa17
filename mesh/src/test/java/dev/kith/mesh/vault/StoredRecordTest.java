package dev.kith.mesh.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A stored record and its version")
class StoredRecordTest {

  private static final Version V = new Version(Hlc.of(1_000, 3), "laptop.alice");

  @Test
  @DisplayName("survives a round trip through JSON, its value carried as text and never parsed")
  void roundTrip() {
    StoredRecord r = new StoredRecord("alice", "contacts/bob", V, "{\"name\":\"Bob\",\"n\":[1,2]}");

    JsonObject json = new JsonObject(r.toJson().encode());

    assertThat(json.getString("text")).isEqualTo(r.value());
    assertThat(json.getBoolean("deleted")).isFalse();
    assertThat(json.getJsonObject("version").getLong("hlc")).isEqualTo(V.hlc());
    StoredRecord back = StoredRecord.fromJson(json);
    assertThat(back.owner()).isEqualTo("alice");
    assertThat(back.version()).isEqualTo(V);
    assertThat(back.value()).isEqualTo(r.value());
    // The parsed form is read as well.
    JsonObject parsed = json.copy();
    parsed.remove("text");
    parsed.put("value", new JsonObject(r.value()));
    assertThat(new JsonObject(StoredRecord.fromJson(parsed).value()))
        .isEqualTo(new JsonObject(r.value()));
  }

  @Test
  @DisplayName("keeps a tombstone apart from a value that is JSON null")
  void tombstoneVersusNull() {
    StoredRecord tombstone = StoredRecord.tombstone("alice", "k", V);
    StoredRecord nullValue = new StoredRecord("alice", "k", V, "null");

    StoredRecord tombstoneBack = StoredRecord.fromJson(tombstone.toJson());
    StoredRecord nullBack = StoredRecord.fromJson(nullValue.toJson());

    assertThat(tombstone.toJson().getBoolean("deleted")).isTrue();
    assertThat(tombstoneBack.deleted()).isTrue();
    assertThat(tombstoneBack).isEqualTo(tombstone);
    assertThat(nullBack.deleted()).isFalse();
    assertThat(nullBack.value()).isEqualTo("null");
  }

  @Test
  @DisplayName("orders versions by clock, then by device name")
  void versionOrder() {
    Version early = new Version(Hlc.of(1_000, 0), "z-phone");
    Version late = new Version(Hlc.of(1_000, 1), "a-laptop");
    Version tieA = new Version(Hlc.of(2_000, 0), "a-laptop");
    Version tieB = new Version(Hlc.of(2_000, 0), "b-phone");

    assertThat(late).isGreaterThan(early);
    assertThat(tieB).isGreaterThan(tieA);
    assertThat(tieA.compareTo(new Version(tieA.hlc(), tieA.device()))).isZero();
    assertThat(Version.fromJson(tieB.toJson())).isEqualTo(tieB);
  }

  @Test
  @DisplayName("rejects malformed versions and values")
  void validation() {
    assertThatThrownBy(() -> new Version(-1, "d")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Version(1, "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Version.fromJson(new JsonObject().put("hlc", "1").put("device", "d")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StoredRecord.checkJson("{not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not JSON");
    assertThatThrownBy(
            () ->
                StoredRecord.fromJson(
                    StoredRecord.tombstone("alice", "k", V).toJson().put("text", "1")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                StoredRecord.fromJson(
                    StoredRecord.tombstone("alice", "k", V).toJson().put("value", 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
