package dev.kith.mail.mailbox;

import dev.kith.mesh.spi.ServiceFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The IMAP side of one owner's mailbox instance: the requests of {@link
 * dev.kith.mail.api.Mailboxes} that IMAP sessions make, answered from the same index and written
 * through the same fenced writes as the HTTP API's, so that both protocols see one state.
 *
 * <p>Flags cross here between IMAP's names and the records': the five system flags are the records'
 * {@code flags} ({@code \Seen} is {@code seen}), and every other flag is a keyword, kept in the
 * record's {@code keywords} as the client spelled it and compared without regard to case.
 */
final class MailboxImap {

  /** The most messages one request names; sessions split larger sets. */
  static final int MAX_UIDS = 1000;

  static final int MAX_KEYWORDS = 50;
  static final int MAX_KEYWORD_CHARS = 64;

  private static final Map<String, String> SYSTEM =
      Map.of(
          "\\seen", "seen",
          "\\answered", "answered",
          "\\flagged", "flagged",
          "\\deleted", "deleted",
          "\\draft", "draft");

  private final MailboxInstance mail;

  MailboxImap(MailboxInstance mail) {
    this.mail = mail;
  }

  Future<JsonObject> select(String name) {
    Box box = mail.requireBox(name);
    Set<String> keywords = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    for (String id : box.byUid.values()) {
      Indexed m = mail.message(id);
      if (m != null && m.hasKeywords()) {
        m.value().getJsonArray("keywords").forEach(k -> keywords.add(String.valueOf(k)));
      }
    }
    return Future.succeededFuture(
        new JsonObject()
            .put("name", box.name)
            .put("uidValidity", box.uidValidity)
            .put("uidNext", box.uidNext)
            .put("highestModSeq", box.highestModSeq)
            .put("uids", new JsonArray(new ArrayList<>(box.byUid.keySet())))
            .put("firstUnseen", firstUnseen(box))
            .put("keywords", new JsonArray(new ArrayList<>(keywords))));
  }

  private Long firstUnseen(Box box) {
    for (Map.Entry<Long, String> e : box.byUid.entrySet()) {
      Indexed m = mail.message(e.getValue());
      if (m != null && !m.hasFlag("seen")) {
        return e.getKey();
      }
    }
    return null;
  }

  Future<JsonObject> changes(String name, long since) {
    Box box = mail.requireBox(name);
    JsonArray changed = new JsonArray();
    for (String id : box.byUid.values()) {
      Indexed m = mail.message(id);
      if (m != null && m.modseq() > since) {
        changed.add(flagsOf(m.value()));
      }
    }
    JsonObject answer =
        new JsonObject()
            .put("uidValidity", box.uidValidity)
            .put("uidNext", box.uidNext)
            .put("highestModSeq", box.highestModSeq)
            .put("changed", changed);
    if (since >= box.vanishedSince) {
      Set<Long> gone = new TreeSet<>();
      for (long[] v : box.vanished) {
        if (v[0] > since && !box.byUid.containsKey(v[1])) {
          gone.add(v[1]);
        }
      }
      answer.put("vanished", new JsonArray(new ArrayList<>(gone)));
    } else {
      answer.put("uids", new JsonArray(new ArrayList<>(box.byUid.keySet())));
    }
    return Future.succeededFuture(answer);
  }

  Future<JsonObject> records(String name, JsonArray uids) {
    Box box = mail.requireBox(name);
    JsonArray records = new JsonArray();
    for (long uid : uidList(uids)) {
      Indexed m = message(box, uid);
      if (m != null) {
        JsonObject r = m.value();
        r.put("flags", imapFlags(r)).put("modseq", m.modseq());
        r.remove("keywords");
        records.add(r);
      }
    }
    return Future.succeededFuture(
        new JsonObject().put("uidValidity", box.uidValidity).put("records", records));
  }

  Future<JsonObject> store(
      String name, JsonArray uids, String mode, List<String> flags, Long unchangedSince) {
    Box box = mail.requireBox(name);
    if (!List.of("=", "+", "-").contains(mode)) {
      throw ServiceFailure.badRequest("mode is =, + or -");
    }
    Flags change = Flags.parse(flags);
    JsonArray modified = new JsonArray();
    List<JsonObject> writes = new ArrayList<>();
    for (long uid : uidList(uids)) {
      Indexed m = message(box, uid);
      if (m == null) {
        continue;
      }
      if (unchangedSince != null && m.modseq() > unchangedSince) {
        modified.add(uid);
        continue;
      }
      JsonObject record = m.value();
      if (change.applyTo(record, mode)) {
        writes.add(record);
      }
    }
    JsonArray updated = new JsonArray();
    return mail.inBatches(
            writes,
            // write gives the record its new modification sequence
            r -> mail.write(r, null).onSuccess(s -> updated.add(flagsOf(r))))
        .map(
            v ->
                new JsonObject()
                    .put("highestModSeq", box.highestModSeq)
                    .put("updated", updated)
                    .put("modified", modified));
  }

  Future<JsonObject> copy(String name, JsonArray uids, String targetName, boolean move) {
    Box box = mail.requireBox(name);
    Box target = mail.requireBox(targetName);
    if (move && box == target) {
      throw ServiceFailure.badRequest("a message cannot move into its own mailbox");
    }
    List<Indexed> chosen = new ArrayList<>();
    for (long uid : uidList(uids)) {
      Indexed m = message(box, uid);
      if (m != null) {
        chosen.add(m);
      }
    }
    JsonArray from = new JsonArray();
    JsonArray to = new JsonArray();
    Function<Indexed, Future<?>> each =
        m -> {
          from.add(m.uid());
          to.add(target.uidNext);
          if (move) {
            return mail.write(m.value(), target);
          }
          String id = copyId(m.id(), target);
          return mail.file(id, m.value(), target);
        };
    return mail.inBatches(chosen, each)
        .map(
            v ->
                new JsonObject()
                    .put("uidValidity", target.uidValidity)
                    .put("from", from)
                    .put("to", to));
  }

  /** A copy's id: new, and the same for the same copy into the same UID (a retried write). */
  private static String copyId(String id, Box target) {
    String seed = id + "\n" + target.name + "\n" + target.uidValidity + "\n" + target.uidNext;
    return HexFormat.of().formatHex(Delivery.sha256(seed.getBytes()), 0, 16);
  }

  Future<JsonObject> append(
      String object,
      long size,
      String name,
      List<String> flags,
      JsonObject summary,
      long internalDate) {
    Box box = mail.requireBox(name);
    if (object == null || size < 0) {
      throw ServiceFailure.badRequest("an appended message needs its object and size");
    }
    Flags set = Flags.parse(flags == null ? List.of() : flags);
    JsonObject record =
        (summary == null ? new JsonObject() : summary.copy())
            .put("object", object)
            .put("size", size)
            .put("received", internalDate > 0 ? internalDate : System.currentTimeMillis())
            .put("flags", new JsonArray());
    set.applyTo(record, "=");
    // A new message however often it is appended: a random id (32 hex digits), not its Message-ID.
    String id = java.util.UUID.randomUUID().toString().replace("-", "");
    return mail.file(id, record, box)
        .map(
            uid ->
                new JsonObject()
                    .put("id", id)
                    .put("box", box.name)
                    .put("uid", uid)
                    .put("uidValidity", box.uidValidity));
  }

  Future<JsonObject> expungeDeleted(String name, JsonArray uids) {
    Box box = mail.requireBox(name);
    List<Long> only = uids == null ? null : uidList(uids);
    List<String> ids = new ArrayList<>();
    JsonArray expunged = new JsonArray();
    for (Map.Entry<Long, String> e : box.byUid.entrySet()) {
      Indexed m = mail.message(e.getValue());
      if (m != null && (only == null || only.contains(e.getKey())) && m.hasFlag("deleted")) {
        ids.add(m.id());
        expunged.add(e.getKey());
      }
    }
    return mail.inBatches(ids, mail::remove)
        .map(
            v ->
                new JsonObject().put("expunged", expunged).put("highestModSeq", box.highestModSeq));
  }

  // ------------------------------------------------------------------------------ helpers

  private Indexed message(Box box, long uid) {
    String id = box.byUid.get(uid);
    return id == null ? null : mail.message(id);
  }

  private static List<Long> uidList(JsonArray uids) {
    if (uids == null || uids.size() > MAX_UIDS) {
      throw ServiceFailure.badRequest("1 to " + MAX_UIDS + " UIDs per request");
    }
    List<Long> out = new ArrayList<>(uids.size());
    for (Object o : uids) {
      if (!(o instanceof Number n) || n.longValue() < 1) {
        throw ServiceFailure.badRequest("a UID is a positive number: " + o);
      }
      out.add(n.longValue());
    }
    return out;
  }

  /** {@code {uid, modseq, flags}} of a record, flags in IMAP's names. */
  private static JsonObject flagsOf(JsonObject record) {
    return new JsonObject()
        .put("uid", record.getLong("uid"))
        .put("modseq", record.getLong("modseq", 1L))
        .put("flags", imapFlags(record));
  }

  /** A record's flags and keywords in IMAP's names. */
  static JsonArray imapFlags(JsonObject record) {
    JsonArray out = new JsonArray();
    for (String f : flagList(record, "flags")) {
      out.add("\\" + Character.toUpperCase(f.charAt(0)) + f.substring(1));
    }
    flagList(record, "keywords").forEach(out::add);
    return out;
  }

  private static List<String> flagList(JsonObject record, String field) {
    JsonArray a = record.getJsonArray(field);
    List<String> out = new ArrayList<>();
    if (a != null) {
      a.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }

  /** Flags a client named, split into the records' system flags and keywords. */
  private record Flags(Set<String> system, Set<String> keywords) {

    static Flags parse(List<String> flags) {
      Set<String> system = new TreeSet<>();
      Set<String> keywords = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      for (String f : flags) {
        String lower = f.toLowerCase(Locale.ROOT);
        if (SYSTEM.containsKey(lower)) {
          system.add(SYSTEM.get(lower));
        } else if (lower.equals("\\recent")) {
          continue; // the server's to set, never a client's
        } else if (f.startsWith("\\")) {
          throw ServiceFailure.badRequest("unknown system flag " + f);
        } else if (f.isEmpty()
            || f.length() > MAX_KEYWORD_CHARS
            || !f.chars().allMatch(c -> c > 0x20 && c < 0x7f && "(){%*\"\\]".indexOf(c) < 0)) {
          throw ServiceFailure.badRequest(
              "a keyword is 1 to " + MAX_KEYWORD_CHARS + " atom characters");
        } else {
          keywords.add(f);
        }
      }
      return new Flags(system, keywords);
    }

    /** Sets, adds or removes these flags in {@code record}; whether anything changed. */
    boolean applyTo(JsonObject record, String mode) {
      Set<String> flags = new TreeSet<>(flagList(record, "flags"));
      Set<String> words = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      words.addAll(flagList(record, "keywords"));
      Set<String> oldFlags = new TreeSet<>(flags);
      Set<String> oldWords = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      oldWords.addAll(words);
      switch (mode) {
        case "=" -> {
          flags = new TreeSet<>(system);
          words.clear();
          words.addAll(keywords);
        }
        case "+" -> {
          flags.addAll(system);
          words.addAll(keywords);
        }
        default -> {
          flags.removeAll(system);
          words.removeAll(keywords);
        }
      }
      if (words.size() > MAX_KEYWORDS) {
        throw ServiceFailure.badRequest("a message has at most " + MAX_KEYWORDS + " keywords");
      }
      record.put("flags", new JsonArray(new ArrayList<>(flags)));
      if (words.isEmpty()) {
        record.remove("keywords");
      } else {
        record.put("keywords", new JsonArray(new ArrayList<>(words)));
      }
      return !flags.equals(oldFlags) || !equalIgnoringCase(words, oldWords);
    }

    private static boolean equalIgnoringCase(Set<String> a, Set<String> b) {
      return a.size() == b.size() && a.containsAll(b);
    }
  }
}
