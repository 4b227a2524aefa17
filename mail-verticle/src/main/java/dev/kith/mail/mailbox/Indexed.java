package dev.kith.mail.mailbox;

import dev.kith.mesh.vault.Version;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A message in a {@link MailboxInstance}'s index: its record, kept encoded, and the record's
 * version. A mailbox may hold a hundred thousand messages on a device with a 256 MB heap, so the
 * record stays as its UTF-8 bytes (about 1 KB) and {@link #value()} parses a fresh copy when a
 * list, a fetch or a write needs it. What the loops over a whole mailbox ask (place, flags, size,
 * date, thread) is kept beside it, parsed once.
 */
final class Indexed {

  /** The system flags, one bit each in {@link #flags}. */
  private static final List<String> FLAG_BITS =
      List.of("seen", "flagged", "answered", "deleted", "draft");

  private final byte[] record;
  private final Version version;
  private final String id;
  private final String box;
  private final long uid;
  private final long modseq;
  private final long received;
  private final long size;
  private final int flags;
  private final boolean keywords;
  private final int threadHash;

  private Indexed(JsonObject value, Version version, String box) {
    this.version = version;
    this.id = value.getString("id");
    this.box = box;
    this.uid = value.getLong("uid", 0L);
    this.modseq = value.getLong("modseq", 1L);
    this.received = value.getLong("received", 0L);
    this.size = value.getLong("size", 0L);
    int bits = 0;
    JsonArray list = value.getJsonArray("flags");
    if (list != null) {
      for (Object f : list) {
        int bit = FLAG_BITS.indexOf(String.valueOf(f));
        bits |= bit < 0 ? 0 : 1 << bit;
      }
    }
    this.flags = bits;
    JsonArray words = value.getJsonArray("keywords");
    this.keywords = words != null && !words.isEmpty();
    String thread = value.getString("thread");
    this.threadHash = thread == null ? 0 : thread.hashCode();
    this.record = value.toBuffer().getBytes();
  }

  /**
   * The index entry for {@code value}, a message record as stored. Records written before issue 21
   * carry the message's text for search; the index leaves it out ({@code value} is not changed).
   * {@code box} is the mailbox's name as the index holds it, so that entries share it.
   */
  static Indexed of(JsonObject value, Version version, String box) {
    if (value.containsKey("text")) {
      value = value.copy();
      value.remove("text");
    }
    return new Indexed(value, version, box);
  }

  /** The record, parsed anew: the caller may change it. */
  JsonObject value() {
    return new JsonObject(Buffer.buffer(record));
  }

  Version version() {
    return version;
  }

  String id() {
    return id;
  }

  String box() {
    return box;
  }

  long uid() {
    return uid;
  }

  /** The record's modification sequence; records from before there were any count as 1. */
  long modseq() {
    return modseq;
  }

  /** When the message arrived (milliseconds since the epoch), for newest-first order. */
  long received() {
    return received;
  }

  long size() {
    return size;
  }

  /** Whether the message has {@code flag}, one of the system flags (seen, deleted, ...). */
  boolean hasFlag(String flag) {
    int bit = FLAG_BITS.indexOf(flag);
    if (bit < 0) {
      throw new IllegalArgumentException("not a system flag: " + flag);
    }
    return (flags & 1 << bit) != 0;
  }

  /** Whether the message has IMAP keywords ({@code $Forwarded}, labels). */
  boolean hasKeywords() {
    return keywords;
  }

  /** Whether the message belongs to {@code thread} (a thread's first Message-ID). */
  boolean inThread(String thread) {
    return thread.hashCode() == threadHash && thread.equals(value().getString("thread"));
  }
}
