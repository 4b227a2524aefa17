package dev.kith.chat.im;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.Stanzas;
import dev.kith.chat.xml.XmlElement;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * A query of the owner's archive (XEP-0313 v2): the form's {@code with}, {@code start}, {@code end}
 * and the result set's {@code max}, {@code after}, {@code before} (an empty {@code before} asks for
 * the last page). Each match goes to the asking resource as a {@code <result>} message, then the IQ
 * result with {@code <fin>}, in that order, since both travel the same way.
 */
final class MamQuery {

  static final int DEFAULT_MAX = 50;
  static final int MAX_MAX = 250;

  private final ChatInstance chat;

  MamQuery(ChatInstance chat) {
    this.chat = chat;
  }

  /** Answers {@code iq} (a set with a {@code <query>}) for resource {@code r}. */
  Future<Void> run(Resource r, XmlElement iq) {
    XmlElement query = iq.child("query", Ns.MAM);
    String with = null;
    Long start = null;
    Long end = null;
    try {
      XmlElement form = query.child("x", Ns.DATA_FORMS);
      if (form != null) {
        for (XmlElement field : form.children("field", Ns.DATA_FORMS)) {
          String value = field.childText("value", Ns.DATA_FORMS);
          switch (String.valueOf(field.attr("var"))) {
            case "with" -> with = Jid.parse(value).bare().toString();
            case "start" -> start = Instant.parse(value).toEpochMilli();
            case "end" -> end = Instant.parse(value).toEpochMilli();
            case "FORM_TYPE" -> {}
            default -> {
              chat.send(
                  r,
                  Stanzas.error(iq, "modify", "bad-request", "unknown field " + field.attr("var")));
              return Future.succeededFuture();
            }
          }
        }
      }
    } catch (IllegalArgumentException | DateTimeParseException | NullPointerException e) {
      chat.send(r, Stanzas.error(iq, "modify", "bad-request", "bad query form: " + e.getMessage()));
      return Future.succeededFuture();
    }
    List<Archive.Entry> matches = chat.archive().select(with, start, end);
    XmlElement set = query.child("set", Ns.RSM);
    int max = DEFAULT_MAX;
    String after = null;
    String before = null;
    if (set != null) {
      String m = set.childText("max", Ns.RSM);
      after = set.childText("after", Ns.RSM);
      XmlElement b = set.child("before", Ns.RSM);
      before = b == null ? null : b.text() == null ? "" : b.text();
      try {
        max = m == null ? DEFAULT_MAX : Math.min(MAX_MAX, Math.max(0, Integer.parseInt(m.trim())));
      } catch (NumberFormatException e) {
        chat.send(r, Stanzas.error(iq, "modify", "bad-request", "max is not a number"));
        return Future.succeededFuture();
      }
    }
    int from = 0;
    int to = matches.size();
    if (after != null) {
      int at = indexOf(matches, after);
      if (at < 0) {
        chat.send(r, Stanzas.error(iq, "cancel", "item-not-found", "no message " + after));
        return Future.succeededFuture();
      }
      from = at + 1;
    }
    if (before != null && !before.isEmpty()) {
      int at = indexOf(matches, before);
      if (at < 0) {
        chat.send(r, Stanzas.error(iq, "cancel", "item-not-found", "no message " + before));
        return Future.succeededFuture();
      }
      to = at;
    }
    int lo = before != null ? Math.max(from, to - max) : from;
    int hi = before != null ? to : Math.min(to, from + max);
    List<Archive.Entry> page = lo < hi ? matches.subList(lo, hi) : List.of();
    boolean complete = before != null ? lo <= from : hi >= to;
    int firstIndex = lo;
    return send(r, query.attr("queryid"), new ArrayList<>(page))
        .map(
            v -> {
              chat.send(r, Stanzas.result(iq, fin(page, firstIndex, matches.size(), complete)));
              return null;
            });
  }

  private Future<Void> send(Resource r, String queryId, List<Archive.Entry> page) {
    List<Future<JsonObject>> reads = new ArrayList<>();
    page.forEach(e -> reads.add(chat.archive().get(e.id())));
    return Future.all(reads)
        .map(
            all -> {
              for (int i = 0; i < page.size(); i++) {
                JsonObject entry = reads.get(i).result();
                if (entry != null) {
                  chat.send(r, result(r, queryId, page.get(i), entry));
                }
              }
              return null;
            });
  }

  private XmlElement result(Resource r, String queryId, Archive.Entry e, JsonObject entry) {
    XmlElement message = XmlElement.parse(entry.getString("stanza"), Ns.CLIENT);
    return XmlElement.builder("message", Ns.CLIENT)
        .attr("from", chat.self().toString())
        .attr("to", chat.self().withResource(r.name).toString())
        .child(
            XmlElement.builder("result", Ns.MAM)
                .attr("queryid", queryId)
                .attr("id", e.id())
                .child(
                    XmlElement.builder("forwarded", Ns.FORWARD)
                        .child(
                            XmlElement.builder("delay", Ns.DELAY)
                                .attr("stamp", Instant.ofEpochMilli(e.millis()).toString())
                                .build())
                        .child(message)
                        .build())
                .build())
        .build();
  }

  private static XmlElement fin(
      List<Archive.Entry> page, int firstIndex, int count, boolean complete) {
    XmlElement.Builder set = XmlElement.builder("set", Ns.RSM);
    if (!page.isEmpty()) {
      set.child(
          XmlElement.builder("first", Ns.RSM)
              .attr("index", Integer.toString(firstIndex))
              .text(page.get(0).id())
              .build());
      set.child(XmlElement.builder("last", Ns.RSM).text(page.get(page.size() - 1).id()).build());
    }
    set.child(XmlElement.builder("count", Ns.RSM).text(Integer.toString(count)).build());
    return XmlElement.builder("fin", Ns.MAM)
        .attr("complete", complete ? "true" : null)
        .child(set.build())
        .build();
  }

  private static int indexOf(List<Archive.Entry> entries, String id) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).id().equals(id)) {
        return i;
      }
    }
    return -1;
  }
}
