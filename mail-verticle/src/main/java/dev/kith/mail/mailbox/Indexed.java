package dev.kith.mail.mailbox;

import dev.kith.mesh.vault.Version;
import io.vertx.core.json.JsonObject;

/** A message in a {@link MailboxInstance}'s index: its record and the record's version. */
record Indexed(JsonObject value, Version version) {

  String id() {
    return value.getString("id");
  }

  String box() {
    return value.getString("box");
  }

  long uid() {
    return value.getLong("uid", 0L);
  }

  /** The record's modification sequence; records from before there were any count as 1. */
  long modseq() {
    return value.getLong("modseq", 1L);
  }
}
