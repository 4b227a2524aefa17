package dev.kith.mail.imap;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * STORE, COPY, MOVE and SEARCH, by sequence number or by UID (UIDPLUS, MOVE, CONDSTORE). Each goes
 * to the mailbox instance in chunks of at most {@value #CHUNK} UIDs, so a command over a mailbox of
 * 100,000 messages is many bounded requests rather than one unbounded one.
 */
final class ImapMessageCommands {

  static final int CHUNK = 500;

  private final ImapSession session;

  ImapMessageCommands(ImapSession session) {
    this.session = session;
  }

  Future<String> run(ImapCommand c, ImapSelected box) {
    boolean byUid = c.name().startsWith("UID ");
    String verb = byUid ? c.name().substring(4) : c.name();
    Future<String> done =
        switch (verb) {
          case "STORE" -> store(c, box, byUid);
          case "COPY" -> copy(c, box, byUid, false);
          case "MOVE" -> copy(c, box, byUid, true);
          default -> new ImapSearchCommand(session, box).run(c, byUid);
        };
    // Sequence numbers must hold during STORE and SEARCH by number; the UID forms may see
    // expunges (RFC 3501 §7.4.1).
    boolean expunges = byUid || verb.equals("COPY") || verb.equals("MOVE");
    return done.compose(reply -> session.refresh(expunges).map(v -> reply));
  }

  // ---------------------------------------------------------------------------- STORE

  private Future<String> store(ImapCommand c, ImapSelected box, boolean byUid) {
    if (box.readOnly()) {
      throw ImapFailure.no("[READ-ONLY] The mailbox was opened with EXAMINE");
    }
    int at = 1;
    Long unchangedSince = null;
    if (c.arg(at) instanceof ImapArg.Group modifiers) {
      unchangedSince = unchangedSince(modifiers);
      session.useCondstore();
      at++;
    }
    String item = String.valueOf(ImapArg.text(c.arg(at))).toUpperCase(Locale.ROOT);
    boolean silent = item.endsWith(".SILENT");
    String base = silent ? item.substring(0, item.length() - 7) : item;
    String mode =
        switch (base) {
          case "FLAGS" -> "=";
          case "+FLAGS" -> "+";
          case "-FLAGS" -> "-";
          default -> throw ImapFailure.bad("STORE takes FLAGS, +FLAGS or -FLAGS, not " + item);
        };
    List<String> flags = new ArrayList<>();
    for (int i = at + 1; i < c.size(); i++) {
      if (c.arg(i) instanceof ImapArg.Group g) {
        flags.addAll(flags(g));
      } else if (c.arg(i) instanceof ImapArg.Atom a) {
        flags.add(a.text());
      } else {
        throw ImapFailure.bad("A flag is an atom");
      }
    }
    List<Long> uids = box.resolve(set(c), byUid);
    JsonArray modified = new JsonArray();
    StringBuilder out = new StringBuilder();
    Long since = unchangedSince;
    return inChunks(
            uids,
            chunk ->
                session
                    .mailboxes()
                    .store(box.name(), chunk, mode, flags, since)
                    .map(
                        r -> {
                          r.getJsonArray("modified").forEach(modified::add);
                          for (Object o : r.getJsonArray("updated")) {
                            out.append(storeFetch(box, (JsonObject) o, silent, byUid));
                          }
                          return r;
                        }))
        .map(
            v -> {
              session.write(out.toString());
              if (!modified.isEmpty()) {
                List<Long> numbers = new ArrayList<>();
                modified.forEach(
                    u -> {
                      long uid = ((Number) u).longValue();
                      numbers.add(byUid ? uid : box.seqOf(uid));
                    });
                return "OK [MODIFIED " + SequenceSet.format(numbers) + "] Conditional STORE failed";
              }
              return "OK STORE completed";
            });
  }

  private String storeFetch(ImapSelected box, JsonObject m, boolean silent, boolean byUid) {
    long uid = m.getLong("uid");
    long modseq = m.getLong("modseq");
    box.reported(uid, modseq);
    boolean condstore = session.enabled("CONDSTORE");
    if (silent && !condstore) {
      return "";
    }
    StringBuilder s = new StringBuilder("* ").append(box.seqOf(uid)).append(" FETCH (");
    List<String> parts = new ArrayList<>();
    if (byUid || session.enabled("QRESYNC")) {
      parts.add("UID " + uid);
    }
    if (!silent) {
      parts.add("FLAGS " + ImapFetch.flagList(m.getJsonArray("flags")));
    }
    if (condstore) {
      parts.add("MODSEQ (" + modseq + ")");
    }
    return s.append(String.join(" ", parts)).append(")\r\n").toString();
  }

  private static Long unchangedSince(ImapArg.Group modifiers) {
    List<ImapArg> items = modifiers.items();
    if (items.size() != 2 || !"UNCHANGEDSINCE".equalsIgnoreCase(ImapArg.text(items.get(0)))) {
      throw ImapFailure.bad("STORE's only modifier is (UNCHANGEDSINCE n)");
    }
    try {
      return Long.parseLong(ImapArg.text(items.get(1)));
    } catch (NumberFormatException e) {
      throw ImapFailure.bad("UNCHANGEDSINCE takes a number");
    }
  }

  // ------------------------------------------------------------------------ COPY, MOVE

  private Future<String> copy(ImapCommand c, ImapSelected box, boolean byUid, boolean move) {
    if (move && box.readOnly()) {
      throw ImapFailure.no("[READ-ONLY] The mailbox was opened with EXAMINE");
    }
    if (c.size() != 2) {
      throw ImapFailure.bad(c.name() + " takes a set and a mailbox");
    }
    String target = ImapMailboxCommands.boxArg(c, 1);
    List<Long> uids = box.resolve(set(c), byUid);
    List<Long> from = new ArrayList<>();
    List<Long> to = new ArrayList<>();
    long[] validity = {0};
    String verb = move ? "MOVE" : "COPY";
    return inChunks(
            uids,
            chunk ->
                session
                    .mailboxes()
                    .copy(box.name(), chunk, target, move)
                    .map(
                        r -> {
                          validity[0] = r.getLong("uidValidity");
                          r.getJsonArray("from").forEach(u -> from.add(((Number) u).longValue()));
                          r.getJsonArray("to").forEach(u -> to.add(((Number) u).longValue()));
                          return r;
                        }))
        .map(
            v -> {
              if (from.isEmpty()) {
                return "OK " + verb + " completed (no messages)";
              }
              String code =
                  "[COPYUID "
                      + validity[0]
                      + " "
                      + SequenceSet.format(from)
                      + " "
                      + SequenceSet.format(to)
                      + "]";
              if (move) {
                session.write("* OK " + code + " Moved\r\n");
                box.expunge(from);
                return "OK " + verb + " completed";
              }
              return "OK " + code + " " + verb + " completed";
            })
        .recover(e -> ImapFailure.tryCreate(e, target));
  }

  // -------------------------------------------------------------------------- helpers

  private static SequenceSet set(ImapCommand c) {
    if (!(c.arg(0) instanceof ImapArg.Atom a)) {
      throw ImapFailure.bad(c.name() + " needs a message set first");
    }
    try {
      return SequenceSet.parse(a.text());
    } catch (IllegalArgumentException e) {
      throw ImapFailure.bad(e.getMessage());
    }
  }

  static List<String> flags(ImapArg.Group g) {
    List<String> flags = new ArrayList<>();
    for (ImapArg a : g.items()) {
      if (!(a instanceof ImapArg.Atom atom)) {
        throw ImapFailure.bad("A flag is an atom, not " + a.describe());
      }
      flags.add(atom.text());
    }
    return flags;
  }

  /** Runs {@code each} over {@code uids} in chunks of {@value #CHUNK}, one after another. */
  static <T> Future<Void> inChunks(List<Long> uids, Function<JsonArray, Future<T>> each) {
    return inChunks(uids, CHUNK, each);
  }

  /** Runs {@code each} over {@code uids} in chunks of {@code size}, one after another. */
  static <T> Future<Void> inChunks(List<Long> uids, int size, Function<JsonArray, Future<T>> each) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < uids.size(); from += size) {
      JsonArray chunk =
          new JsonArray(new ArrayList<>(uids.subList(from, Math.min(uids.size(), from + size))));
      chain = chain.compose(v -> each.apply(chunk).mapEmpty());
    }
    return chain;
  }
}
