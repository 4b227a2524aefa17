package dev.kith.mail.mailbox;

import dev.kith.mail.mime.MessageParser;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API's search ({@code GET /api/mail/search?q=}): every word must match, in the field it
 * names ({@code from:}, {@code to:} (with Cc), {@code subject:}, {@code text:}) or, without one, in
 * any of them. Headers are matched against the index's records. The message text is not in the
 * records (it would fill the heap of a small device), so a word that must be looked for in it reads
 * the message from the vault, as IMAP's {@code SEARCH BODY} does: a search for words in the text of
 * a large mailbox reads all of it. Matching runs on a worker thread, never on the event loop.
 */
final class MailSearch {

  private static final Logger log = LoggerFactory.getLogger(MailSearch.class);
  private static final int MAX_QUERY_CHARS = 500;

  /** How many messages are read from the vault at once for a text search. */
  private static final int READ_BATCH = 32;

  private static final List<String> FIELDS = List.of("", "from", "to", "subject", "text");

  private record Term(String field, String value) {}

  /** A message whose headers left some words to be looked for in its text. */
  private record Pending(Indexed message, List<Term> words) {}

  private final Vertx vertx;
  private final Vault vault;
  private final String owner;
  private final List<Term> terms;

  private MailSearch(Vertx vertx, Vault vault, String owner, List<Term> terms) {
    this.vertx = vertx;
    this.vault = vault;
    this.owner = owner;
    this.terms = terms;
  }

  /** A search for {@code query}; a 400 when it is empty or longer than 500 characters. */
  static MailSearch of(Vertx vertx, Vault vault, String owner, String query) {
    String q = query == null ? "" : query.trim();
    if (q.isEmpty() || q.length() > MAX_QUERY_CHARS) {
      throw ServiceFailure.badRequest("q must be 1 to " + MAX_QUERY_CHARS + " characters");
    }
    List<Term> terms = new ArrayList<>();
    for (String word : q.toLowerCase(Locale.ROOT).split("\\s+")) {
      int colon = word.indexOf(':');
      String field = colon > 0 ? word.substring(0, colon) : "";
      if (!FIELDS.contains(field)) {
        field = "";
        colon = -1;
      }
      String value = colon > 0 ? word.substring(colon + 1) : word;
      if (!value.isEmpty()) {
        terms.add(new Term(field, value));
      }
    }
    return new MailSearch(vertx, vault, owner, terms);
  }

  /**
   * The messages of {@code newestFirst} that match, as {@code {"total", "messages"}} with the first
   * {@code limit} summaries.
   */
  Future<JsonObject> run(List<Indexed> newestFirst, int limit) {
    return vertx
        .executeBlocking(() -> byHeaders(newestFirst), false)
        .compose(pending -> byText(pending, 0, new ArrayList<>()))
        .compose(hits -> vertx.executeBlocking(() -> answer(hits, limit), false));
  }

  /**
   * Matches every message's headers; what is left to find in a message's text comes back with it. A
   * message whose headers satisfy every word comes back with no words left.
   */
  private List<Pending> byHeaders(List<Indexed> messages) {
    List<Pending> out = new ArrayList<>();
    for (Indexed m : messages) {
      JsonObject r = null;
      List<Term> left = new ArrayList<>();
      boolean possible = true;
      for (Term t : terms) {
        if (t.field().equals("text")) {
          left.add(t);
          continue;
        }
        r = r == null ? m.value() : r;
        if (!inHeaders(r, t)) {
          if (!t.field().isEmpty()) {
            possible = false;
            break;
          }
          left.add(t);
        }
      }
      if (possible) {
        out.add(new Pending(m, left));
      }
    }
    return out;
  }

  /** Reads the text of the messages that need it, {@link #READ_BATCH} at a time, in order. */
  private Future<List<Indexed>> byText(List<Pending> pending, int from, List<Indexed> hits) {
    int to = from;
    while (to < pending.size()) {
      Pending p = pending.get(to);
      if (!p.words().isEmpty()) {
        break;
      }
      hits.add(p.message());
      to++;
    }
    if (to == pending.size()) {
      return Future.succeededFuture(hits);
    }
    int end = Math.min(pending.size(), to + READ_BATCH);
    List<Pending> batch = pending.subList(to, end);
    List<Future<byte[]>> reads = new ArrayList<>();
    for (Pending p : batch) {
      reads.add(p.words().isEmpty() ? Future.succeededFuture(null) : read(p.message().value()));
    }
    return Future.join(reads)
        .transform(
            done ->
                vertx.executeBlocking(
                    () -> {
                      for (int i = 0; i < batch.size(); i++) {
                        if (matchesText(batch.get(i).words(), reads.get(i))) {
                          hits.add(batch.get(i).message());
                        }
                      }
                      return hits;
                    },
                    false))
        .compose(h -> byText(pending, end, h));
  }

  private Future<byte[]> read(JsonObject record) {
    return vault
        .getObject(owner, record.getString("object"))
        .map(o -> o.bytes().getBytes())
        .onFailure(
            e ->
                log.info(
                    "a search of {}'s mail could not read message {} ({}); it counts as no match",
                    owner,
                    record.getString("id"),
                    e.toString()));
  }

  private static boolean matchesText(List<Term> words, Future<byte[]> read) {
    if (words.isEmpty()) {
      return true;
    }
    if (read.failed()) {
      return false;
    }
    String text = MessageParser.searchText(read.result()).toLowerCase(Locale.ROOT);
    return words.stream().allMatch(t -> text.contains(t.value()));
  }

  private static JsonObject answer(List<Indexed> hits, int limit) {
    JsonArray page = new JsonArray();
    hits.stream().limit(limit).forEach(m -> page.add(m.value()));
    return new JsonObject().put("total", hits.size()).put("messages", page);
  }

  private static boolean inHeaders(JsonObject r, Term t) {
    String v = t.value();
    return switch (t.field()) {
      case "from" -> contains(r.getValue("from"), v);
      case "to" -> contains(r.getValue("to"), v) || contains(r.getValue("cc"), v);
      case "subject" -> contains(r.getValue("subject"), v);
      default ->
          contains(r.getValue("from"), v)
              || contains(r.getValue("to"), v)
              || contains(r.getValue("cc"), v)
              || contains(r.getValue("subject"), v);
    };
  }

  private static boolean contains(Object field, String value) {
    if (field == null) {
      return false;
    }
    String text = field instanceof JsonArray a ? a.encode() : field.toString();
    return text.toLowerCase(Locale.ROOT).contains(value);
  }
}
