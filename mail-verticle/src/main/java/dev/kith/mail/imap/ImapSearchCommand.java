package dev.kith.mail.imap;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * SEARCH and UID SEARCH over the selected mailbox: the criteria ({@link ImapSearch}) are checked
 * against each message's record (flags, size, dates, UID, modification sequence), and, only when a
 * criterion needs them, against its headers and text, read from the vault.
 */
final class ImapSearchCommand {

  private final ImapSession session;
  private final ImapSelected box;

  ImapSearchCommand(ImapSession session, ImapSelected box) {
    this.session = session;
    this.box = box;
  }

  Future<String> run(ImapCommand c, boolean byUid) {
    ImapSearch search;
    try {
      search = ImapSearch.parse(c.args());
    } catch (ImapSearch.BadCharset e) {
      throw ImapFailure.no("[BADCHARSET (UTF-8 US-ASCII)] " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw ImapFailure.bad(e.getMessage());
    }
    if (search.usesModSeq()) {
      session.useCondstore();
    }
    List<Long> uids = new ArrayList<>();
    for (int seq = 1; seq <= box.count(); seq++) {
      uids.add(box.uidAt(seq));
    }
    boolean bytes = search.needsText() || search.needsHeaders();
    List<Long> hits = new ArrayList<>();
    java.util.Map<Long, Long> modseqs = new java.util.HashMap<>();
    Future<Void> chain =
        ImapMessageCommands.inChunks(
            uids,
            bytes ? ImapFetch.BYTES_CHUNK : ImapFetch.RECORDS_CHUNK,
            part ->
                session
                    .mailboxes()
                    .records(box.name(), part)
                    .compose(r -> check(search, r.getJsonArray("records"), bytes))
                    .map(
                        matched -> {
                          for (JsonObject m : matched) {
                            long n = byUid ? m.getLong("uid") : box.seqOf(m.getLong("uid"));
                            hits.add(n);
                            modseqs.put(n, m.getLong("modseq", 1L));
                          }
                          return null;
                        }));
    return chain.map(
        v -> {
          long highest = 0;
          for (long n : search.modSeqScope(hits)) {
            highest = Math.max(highest, modseqs.getOrDefault(n, 0L));
          }
          session.write(search.respond(c.tag(), byUid, hits, highest) + "\r\n");
          return "OK " + c.name() + " completed";
        });
  }

  private Future<List<JsonObject>> check(ImapSearch search, JsonArray records, boolean bytes) {
    List<JsonObject> list = new ArrayList<>();
    records.forEach(o -> list.add((JsonObject) o));
    if (!bytes) {
      List<JsonObject> matched = new ArrayList<>();
      for (JsonObject m : list) {
        if (search.matches(candidate(m, null))) {
          matched.add(m);
        }
      }
      return Future.succeededFuture(matched);
    }
    List<Future<byte[]>> reads = new ArrayList<>();
    for (JsonObject m : list) {
      reads.add(session.messageBytes(m));
    }
    return Future.all(reads)
        .map(
            all -> {
              List<JsonObject> matched = new ArrayList<>();
              for (int i = 0; i < list.size(); i++) {
                if (search.matches(
                    candidate(list.get(i), new ImapMessage(reads.get(i).result())))) {
                  matched.add(list.get(i));
                }
              }
              return matched;
            });
  }

  private ImapSearch.Candidate candidate(JsonObject m, ImapMessage message) {
    Set<String> flags = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    m.getJsonArray("flags").forEach(f -> flags.add(String.valueOf(f)));
    long uid = m.getLong("uid");
    return new ImapSearch.Candidate() {
      @Override
      public long seq() {
        return box.seqOf(uid);
      }

      @Override
      public long uid() {
        return uid;
      }

      @Override
      public Set<String> flags() {
        return flags;
      }

      @Override
      public long modseq() {
        return m.getLong("modseq", 1L);
      }

      @Override
      public long size() {
        return m.getLong("size", 0L);
      }

      @Override
      public long internalDate() {
        return m.getLong("received", 0L);
      }

      @Override
      public List<String> header(String name) {
        return message == null ? List.of() : message.headers(name);
      }

      @Override
      public String headerSection() {
        return message == null
            ? null
            : new String(message.section("HEADER"), StandardCharsets.UTF_8);
      }

      @Override
      public String text() {
        return message == null ? null : message.searchText();
      }

      @Override
      public long largestSeq() {
        return box.count();
      }

      @Override
      public long largestUid() {
        return box.largestUid();
      }
    };
  }
}
