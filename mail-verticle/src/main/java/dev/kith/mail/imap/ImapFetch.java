package dev.kith.mail.imap;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * FETCH and UID FETCH: the items of RFC 3501 and RFC 9051 (FLAGS, UID, INTERNALDATE, RFC822.SIZE,
 * ENVELOPE, BODY, BODYSTRUCTURE, BODY[section]&lt;partial&gt; and BODY.PEEK, RFC822, RFC822.HEADER,
 * RFC822.TEXT, BINARY, BINARY.PEEK, BINARY.SIZE), MODSEQ and the CHANGEDSINCE and VANISHED
 * modifiers (CONDSTORE, QRESYNC). Records come from the mailbox instance in chunks; a message's
 * bytes come from the owner's vault on this device (its own replica when it holds one), read for up
 * to {@value #BYTES_CHUNK} messages at once and answered in order, and the socket's write queue
 * paces the reading, so a client that reads slowly holds little memory.
 */
final class ImapFetch {

  static final int BYTES_CHUNK = 32;
  static final int RECORDS_CHUNK = 500;

  private static final DateTimeFormatter INTERNAL_DATE =
      DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss Z", Locale.ENGLISH)
          .withZone(ZoneOffset.UTC);

  private final ImapSession session;

  ImapFetch(ImapSession session) {
    this.session = session;
  }

  Future<String> run(ImapCommand c, ImapSelected box) {
    boolean byUid = c.name().equals("UID FETCH");
    if (c.size() < 2 || !(c.arg(0) instanceof ImapArg.Atom set)) {
      throw ImapFailure.bad("FETCH takes a message set and items");
    }
    ImapFetchItems items = ImapFetchItems.parse(c.arg(1), byUid);
    Long changedSince = null;
    boolean vanished = false;
    if (c.size() > 2) {
      if (!(c.arg(2) instanceof ImapArg.Group modifiers) || c.size() > 3) {
        throw ImapFailure.bad("FETCH modifiers come in one list: (CHANGEDSINCE n [VANISHED])");
      }
      List<ImapArg> m = modifiers.items();
      for (int i = 0; i < m.size(); i++) {
        String name = String.valueOf(ImapArg.text(m.get(i))).toUpperCase(Locale.ROOT);
        if (name.equals("CHANGEDSINCE") && i + 1 < m.size()) {
          changedSince = number(ImapArg.text(m.get(++i)));
        } else if (name.equals("VANISHED") && byUid && session.enabled("QRESYNC")) {
          vanished = true;
        } else {
          throw ImapFailure.bad("Unknown FETCH modifier " + name);
        }
      }
      if (vanished && changedSince == null) {
        throw ImapFailure.bad("VANISHED needs CHANGEDSINCE");
      }
      session.useCondstore();
    }
    SequenceSet numbers;
    try {
      numbers = SequenceSet.parse(set.text());
    } catch (IllegalArgumentException e) {
      throw ImapFailure.bad(e.getMessage());
    }
    List<Long> uids = box.resolve(numbers, byUid);
    Long since = changedSince;
    Future<Void> first =
        vanished ? reportVanished(box, numbers, changedSince) : Future.succeededFuture();
    boolean markSeen = items.setsSeen() && !box.readOnly();
    return first
        .compose(v -> fetchAll(box, uids, items, since, markSeen))
        .map(v -> "OK " + c.name() + " completed");
  }

  private static long number(String text) {
    try {
      return Long.parseLong(text);
    } catch (RuntimeException e) {
      throw ImapFailure.bad("Not a number: " + text);
    }
  }

  /** VANISHED (EARLIER) for the UIDs of the set expunged since {@code since} (RFC 7162 §3.2.6). */
  private Future<Void> reportVanished(ImapSelected box, SequenceSet set, long since) {
    return session
        .mailboxes()
        .changes(box.name(), since)
        .map(
            changes -> {
              List<Long> gone = ImapSelected.vanishedEarlier(changes, set, box.uidNext());
              if (!gone.isEmpty()) {
                session.write("* VANISHED (EARLIER) " + SequenceSet.format(gone) + "\r\n");
              }
              return null;
            });
  }

  /** The messages in chunks, each read once the socket has room for more. */
  private Future<Void> fetchAll(
      ImapSelected box, List<Long> uids, ImapFetchItems items, Long since, boolean markSeen) {
    return ImapMessageCommands.inChunks(
        uids,
        items.needsBytes() ? BYTES_CHUNK : RECORDS_CHUNK,
        part -> session.drained().compose(v -> fetchChunk(box, part, items, since, markSeen)));
  }

  private Future<Void> fetchChunk(
      ImapSelected box, JsonArray uids, ImapFetchItems items, Long since, boolean markSeen) {
    return session
        .mailboxes()
        .records(box.name(), uids)
        .compose(
            r ->
                markSeen
                    ? seen(box, r.getJsonArray("records"))
                    : Future.succeededFuture(r.getJsonArray("records")))
        .compose(
            records -> {
              List<JsonObject> chosen = new ArrayList<>();
              for (Object o : records) {
                JsonObject m = (JsonObject) o;
                if ((since == null || m.getLong("modseq", 1L) > since)
                    && box.seqOf(m.getLong("uid")) > 0) {
                  chosen.add(m);
                }
              }
              if (!items.needsBytes()) {
                chosen.forEach(m -> session.write(render(box, m, items, null)));
                return Future.succeededFuture();
              }
              List<Future<byte[]>> reads = new ArrayList<>();
              for (JsonObject m : chosen) {
                reads.add(session.messageBytes(m));
              }
              return Future.join(reads)
                  .transform(
                      all -> {
                        for (int i = 0; i < chosen.size(); i++) {
                          Future<byte[]> read = reads.get(i);
                          if (read.succeeded()) {
                            session.write(render(box, chosen.get(i), items, read.result()));
                          } else {
                            return Future.failedFuture(
                                ImapFailure.no(
                                    "[UNAVAILABLE] Message UID "
                                        + chosen.get(i).getLong("uid")
                                        + " cannot be read now ("
                                        + read.cause().getMessage()
                                        + "); try again"));
                          }
                        }
                        return Future.succeededFuture();
                      });
            });
  }

  /** Sets \Seen on the messages a non-PEEK body fetch reads; answers their updated records. */
  private Future<JsonArray> seen(ImapSelected box, JsonArray records) {
    JsonArray unseen = new JsonArray();
    for (Object o : records) {
      JsonObject m = (JsonObject) o;
      if (!m.getJsonArray("flags").contains("\\Seen")) {
        unseen.add(m.getLong("uid"));
      }
    }
    if (unseen.isEmpty()) {
      return Future.succeededFuture(records);
    }
    return session
        .mailboxes()
        .store(box.name(), unseen, "+", List.of("\\Seen"), null)
        .map(
            r -> {
              Map<Long, JsonObject> updated = new HashMap<>();
              r.getJsonArray("updated")
                  .forEach(u -> updated.put(((JsonObject) u).getLong("uid"), (JsonObject) u));
              for (Object o : records) {
                JsonObject m = (JsonObject) o;
                JsonObject u = updated.get(m.getLong("uid"));
                if (u != null) {
                  m.put("flags", u.getJsonArray("flags"))
                      .put("modseq", u.getLong("modseq"))
                      .put("flagsChanged", true);
                  box.reported(u.getLong("uid"), u.getLong("modseq"));
                }
              }
              return records;
            });
  }

  /** One message's {@code * n FETCH (...)} line, literals included. */
  private Buffer render(ImapSelected box, JsonObject m, ImapFetchItems items, byte[] raw) {
    long uid = m.getLong("uid");
    Buffer out = Buffer.buffer(256 + (raw == null ? 0 : raw.length));
    out.appendString("* " + box.seqOf(uid) + " FETCH (");
    ImapMessage message = raw == null ? null : new ImapMessage(raw);
    boolean first = true;
    for (ImapFetchItems.Item item :
        items.list(m.getBoolean("flagsChanged", false), session.enabled("CONDSTORE"))) {
      if (!first) {
        out.appendString(" ");
      }
      first = false;
      item.render(out, m, message);
    }
    return out.appendString(")\r\n");
  }

  // ------------------------------------------------------------------------ formats

  static String internalDate(long millis) {
    return '"' + INTERNAL_DATE.format(Instant.ofEpochMilli(millis)) + '"';
  }

  /** {@code (\Seen $Junk)}. */
  static String flagList(JsonArray flags) {
    List<String> out = new ArrayList<>();
    if (flags != null) {
      flags.forEach(f -> out.add(String.valueOf(f)));
    }
    return "(" + String.join(" ", out) + ")";
  }
}
