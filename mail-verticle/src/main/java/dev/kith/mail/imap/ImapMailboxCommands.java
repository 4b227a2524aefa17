package dev.kith.mail.imap;

import dev.kith.mail.api.Mailboxes;
import dev.kith.mail.mime.MessageParser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The commands about mailboxes: SELECT and EXAMINE (with CONDSTORE and QRESYNC), CREATE, DELETE,
 * RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (with LIST-EXTENDED's selection and return options, SPECIAL-
 * USE and LIST-STATUS), LSUB, NAMESPACE, STATUS, APPEND, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE.
 *
 * <p>Kith's mailboxes are flat (no hierarchy; {@code /} is the delimiter clients are told, and no
 * name holds one) and every mailbox counts as subscribed: SUBSCRIBE and UNSUBSCRIBE succeed and
 * change nothing, so a client that shows only subscribed mailboxes shows them all.
 */
final class ImapMailboxCommands {

  /** The special-use attribute of each standard mailbox (RFC 6154). */
  static final Map<String, String> SPECIAL_USE =
      Map.of(
          "Sent", "\\Sent",
          "Drafts", "\\Drafts",
          "Trash", "\\Trash",
          "Archive", "\\Archive",
          "Junk", "\\Junk");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}");

  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("d-MMM-yyyy HH:mm:ss Z", Locale.ENGLISH);

  private final ImapSession session;

  ImapMailboxCommands(ImapSession session) {
    this.session = session;
  }

  Future<String> run(ImapCommand c) {
    return switch (c.name()) {
      case "SELECT", "EXAMINE" -> select(c, c.name().equals("EXAMINE"));
      case "CREATE" -> create(c);
      case "DELETE" -> mailboxes().deleteMailbox(boxArg(c, 0)).map(r -> "OK DELETE completed");
      case "RENAME" ->
          mailboxes().renameMailbox(boxArg(c, 0), newName(c, 1)).map(r -> "OK RENAME completed");
      case "SUBSCRIBE", "UNSUBSCRIBE" -> subscribe(c);
      case "LIST" -> list(c, false);
      case "LSUB" -> list(c, true);
      case "NAMESPACE" -> {
        session.write("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
        yield ImapSession.ok("NAMESPACE completed");
      }
      case "STATUS" -> status(c);
      case "APPEND" -> append(c);
      case "CLOSE" -> close(c);
      case "UNSELECT" -> {
        session.requireSelected();
        session.select(null);
        yield ImapSession.ok("UNSELECT completed");
      }
      case "EXPUNGE", "UID EXPUNGE" -> expunge(c);
      default -> Future.failedFuture(ImapFailure.bad("Unknown command " + c.name()));
    };
  }

  private Mailboxes mailboxes() {
    return session.mailboxes();
  }

  // ------------------------------------------------------------------------- SELECT

  private Future<String> select(ImapCommand c, boolean readOnly) {
    String name = boxArg(c, 0);
    QresyncParams qresync = null;
    if (c.arg(1) instanceof ImapArg.Group params) {
      qresync = selectParams(params);
    } else if (c.size() > 1) {
      throw ImapFailure.bad("SELECT takes a mailbox and optional parameters in parentheses");
    }
    session.select(null); // a failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1)
    QresyncParams resync = qresync;
    return mailboxes()
        .select(name)
        .compose(view -> opened(view, readOnly, resync))
        .recover(
            e ->
                Future.failedFuture(
                    ImapFailure.replyFor(e).startsWith("NO [NONEXISTENT]")
                        ? ImapFailure.no("[NONEXISTENT] No mailbox '" + name + "'")
                        : e));
  }

  /** QRESYNC's parameters: the UIDVALIDITY and modification sequence the client last knew. */
  private record QresyncParams(long uidValidity, long modSeq, SequenceSet known) {}

  private QresyncParams selectParams(ImapArg.Group params) {
    QresyncParams qresync = null;
    List<ImapArg> items = params.items();
    for (int i = 0; i < items.size(); i++) {
      String p = String.valueOf(ImapArg.text(items.get(i))).toUpperCase(Locale.ROOT);
      if (p.equals("CONDSTORE")) {
        session.useCondstore();
      } else if (p.equals("QRESYNC")
          && i + 1 < items.size()
          && items.get(i + 1) instanceof ImapArg.Group q) {
        if (!session.enabled("QRESYNC")) {
          throw ImapFailure.bad("QRESYNC must be enabled first (ENABLE QRESYNC)");
        }
        i++;
        qresync = qresyncParams(q);
      } else {
        throw ImapFailure.bad("Unknown SELECT parameter " + p);
      }
    }
    return qresync;
  }

  private static QresyncParams qresyncParams(ImapArg.Group q) {
    try {
      long validity = Long.parseLong(ImapArg.text(q.items().get(0)));
      long modseq = Long.parseLong(ImapArg.text(q.items().get(1)));
      SequenceSet known =
          q.items().size() > 2 && q.items().get(2) instanceof ImapArg.Atom a
              ? SequenceSet.parse(a.text())
              : null;
      return new QresyncParams(validity, modseq, known);
    } catch (RuntimeException e) {
      throw ImapFailure.bad("QRESYNC takes (uidvalidity modseq [known-uids])");
    }
  }

  private Future<String> opened(JsonObject view, boolean readOnly, QresyncParams qresync) {
    ImapSelected box = new ImapSelected(session, view, readOnly);
    StringBuilder out = new StringBuilder();
    Set<String> flags =
        new TreeSet<>(List.of("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"));
    view.getJsonArray("keywords").forEach(k -> flags.add(String.valueOf(k)));
    out.append("* FLAGS (").append(String.join(" ", flags)).append(")\r\n");
    out.append("* OK [PERMANENTFLAGS ")
        .append(readOnly ? "()" : "(" + String.join(" ", flags) + " \\*)")
        .append("] Flags permitted\r\n");
    out.append("* ").append(box.count()).append(" EXISTS\r\n");
    if (!session.enabled("IMAP4REV2")) {
      out.append("* 0 RECENT\r\n");
      Long unseen = view.getLong("firstUnseen");
      if (unseen != null && box.seqOf(unseen) > 0) {
        out.append("* OK [UNSEEN ").append(box.seqOf(unseen)).append("] First unseen\r\n");
      }
    }
    out.append("* OK [UIDVALIDITY ").append(box.uidValidity()).append("] UIDs valid\r\n");
    out.append("* OK [UIDNEXT ").append(box.uidNext()).append("] Predicted next UID\r\n");
    out.append("* OK [HIGHESTMODSEQ ").append(box.highestModSeq()).append("] Highest\r\n");
    if (session.enabled("IMAP4REV2")) {
      out.append("* LIST () \"/\" ")
          .append(ImapMessage.string(view.getString("name")))
          .append("\r\n");
    }
    session.write(out.toString());
    session.select(box);
    String done = "OK [" + (readOnly ? "READ-ONLY" : "READ-WRITE") + "] Selected";
    if (qresync == null || qresync.uidValidity() != box.uidValidity()) {
      return Future.succeededFuture(done);
    }
    return mailboxes()
        .changes(box.name(), qresync.modSeq())
        .map(
            changes -> {
              resync(box, changes, qresync);
              return done;
            });
  }

  /** QRESYNC on SELECT: what vanished and what changed since the client's modification sequence. */
  private void resync(ImapSelected box, JsonObject changes, QresyncParams q) {
    StringBuilder out = new StringBuilder();
    List<Long> gone = ImapSelected.vanishedEarlier(changes, q.known(), box.uidNext());
    if (!gone.isEmpty()) {
      out.append("* VANISHED (EARLIER) ").append(SequenceSet.format(gone)).append("\r\n");
    }
    for (Object o : changes.getJsonArray("changed")) {
      JsonObject m = (JsonObject) o;
      int seq = box.seqOf(m.getLong("uid"));
      if (seq > 0) {
        out.append(ImapSelected.flagsFetch(seq, m, true));
      }
    }
    session.write(out.toString());
  }

  // ------------------------------------------------------------- CREATE, LIST, STATUS

  private Future<String> create(ImapCommand c) {
    String name = newName(c, 0);
    return mailboxes().create(name).map(r -> "OK CREATE completed");
  }

  private Future<String> subscribe(ImapCommand c) {
    String name = boxArg(c, 0);
    return mailboxes()
        .mailboxes()
        .map(
            all -> {
              if (find(all, name) == null && c.name().equals("SUBSCRIBE")) {
                throw ImapFailure.no("[NONEXISTENT] No mailbox '" + name + "'");
              }
              return "OK " + c.name() + " completed (every mailbox is subscribed)";
            });
  }

  private Future<String> list(ImapCommand c, boolean lsub) {
    ImapListArgs args = ImapListArgs.parse(c, lsub);
    if (args.delimiterOnly()) {
      session.write("* " + c.name() + " (\\Noselect) \"/\" \"\"\r\n");
      return ImapSession.ok(c.name() + " completed");
    }
    return mailboxes()
        .mailboxes()
        .map(
            all -> {
              StringBuilder out = new StringBuilder();
              for (Object o : all.getJsonArray("mailboxes")) {
                JsonObject box = (JsonObject) o;
                String name = box.getString("name");
                String special = SPECIAL_USE.get(name);
                if (!args.matches(name) || (args.specialUseOnly() && special == null)) {
                  continue;
                }
                List<String> attributes = new ArrayList<>(List.of("\\HasNoChildren"));
                if (args.subscribedAttribute() || lsub) {
                  attributes.add("\\Subscribed");
                }
                if (special != null && !lsub) {
                  attributes.add(special);
                }
                out.append("* ").append(lsub ? "LSUB" : "LIST").append(" (");
                out.append(String.join(" ", attributes)).append(") \"/\" ");
                out.append(ImapMessage.string(name)).append("\r\n");
                if (args.status() != null) {
                  out.append(statusLine(box, args.status()));
                }
              }
              session.write(out.toString());
              return "OK " + c.name() + " completed";
            });
  }

  private Future<String> status(ImapCommand c) {
    String name = boxArg(c, 0);
    if (!(c.arg(1) instanceof ImapArg.Group items) || items.items().isEmpty()) {
      throw ImapFailure.bad("STATUS takes a mailbox and a list of items");
    }
    List<String> wanted = new ArrayList<>();
    for (ImapArg a : items.items()) {
      wanted.add(String.valueOf(ImapArg.text(a)).toUpperCase(Locale.ROOT));
    }
    return mailboxes()
        .mailboxes()
        .map(
            all -> {
              JsonObject box = find(all, name);
              if (box == null) {
                throw ImapFailure.no("[NONEXISTENT] No mailbox '" + name + "'");
              }
              session.write(statusLine(box, wanted));
              return "OK STATUS completed";
            });
  }

  private static JsonObject find(JsonObject all, String name) {
    for (Object o : all.getJsonArray("mailboxes")) {
      JsonObject box = (JsonObject) o;
      if (box.getString("name").equals(name)
          || (name.equalsIgnoreCase("INBOX") && box.getString("name").equals("INBOX"))) {
        return box;
      }
    }
    return null;
  }

  static String statusLine(JsonObject box, List<String> wanted) {
    List<String> parts = new ArrayList<>();
    for (String item : wanted) {
      Object value =
          switch (item) {
            case "MESSAGES" -> box.getLong("total");
            case "UIDNEXT" -> box.getLong("uidNext");
            case "UIDVALIDITY" -> box.getLong("uidValidity");
            case "UNSEEN" -> box.getLong("unseen");
            case "RECENT" -> 0L;
            case "DELETED" -> box.getLong("deleted", 0L);
            case "SIZE" -> box.getLong("size", 0L);
            case "HIGHESTMODSEQ" -> box.getLong("highestModSeq", 0L);
            default -> throw ImapFailure.bad("Unknown STATUS item " + item);
          };
      parts.add(item + " " + value);
    }
    return "* STATUS "
        + ImapMessage.string(box.getString("name"))
        + " ("
        + String.join(" ", parts)
        + ")\r\n";
  }

  // ----------------------------------------------------------------- APPEND

  private Future<String> append(ImapCommand c) {
    String name = boxArg(c, 0);
    List<String> flags = List.of();
    long internalDate = 0;
    int at = 1;
    if (c.arg(at) instanceof ImapArg.Group g) {
      flags = ImapMessageCommands.flags(g);
      at++;
    }
    if (c.arg(at) instanceof ImapArg.Str s && c.size() > at + 1) {
      internalDate = dateTime(s.text());
      at++;
    }
    if (!(c.arg(at) instanceof ImapArg.Str message) || c.size() != at + 1) {
      throw ImapFailure.bad("APPEND takes a mailbox, optional flags and date, and a literal");
    }
    byte[] sent = message.bytes();
    if (sent.length == 0) {
      throw ImapFailure.no("An empty message cannot be appended");
    }
    List<String> flagList = flags;
    long date = internalDate;
    String owner = session.owner();
    ImapServer server = session.server();
    return server
        .vertx()
        // Both passes over the message (its line ends, its summary) run on a worker: it may be
        // as large as smtp-max-message-bytes.
        .executeBlocking(() -> Appended.of(crlf(sent)), false)
        .compose(
            appended ->
                server
                    .context()
                    .vault()
                    .putObject(owner, "message/rfc822", Buffer.buffer(appended.raw()))
                    .compose(
                        object ->
                            mailboxes()
                                .append(
                                    object,
                                    appended.raw().length,
                                    name,
                                    flagList,
                                    appended.summary(),
                                    date)))
        .map(
            r ->
                "OK [APPENDUID "
                    + r.getLong("uidValidity")
                    + " "
                    + r.getLong("uid")
                    + "] APPEND completed")
        .recover(e -> ImapFailure.tryCreate(e, name))
        .compose(done -> session.refresh(true).map(v -> done));
  }

  /** An appended message as it is stored, and its summary. */
  private record Appended(byte[] raw, JsonObject summary) {
    static Appended of(byte[] raw) {
      return new Appended(raw, MessageParser.summary(raw));
    }
  }

  /**
   * The message with every bare LF made CRLF, as RFC 5322 and IMAP want it (and as Dovecot stores
   * it): a client that appends a Unix-style file gets the sizes and sections it would elsewhere.
   */
  static byte[] crlf(byte[] raw) {
    int bare = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) {
        bare++;
      }
    }
    if (bare == 0) {
      return raw;
    }
    byte[] out = new byte[raw.length + bare];
    int at = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) {
        out[at++] = '\r';
      }
      out[at++] = raw[i];
    }
    return out;
  }

  private static long dateTime(String text) {
    try {
      return ZonedDateTime.parse(text.trim(), DATE_TIME).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      throw ImapFailure.bad("Not an IMAP date-time: \"" + text + "\" (dd-Mon-yyyy hh:mm:ss +zzzz)");
    }
  }

  // ---------------------------------------------------------- CLOSE and EXPUNGE

  private Future<String> close(ImapCommand c) {
    ImapSelected box = session.requireSelected();
    session.select(null);
    if (box.readOnly()) {
      return ImapSession.ok("CLOSE completed");
    }
    return mailboxes().expungeDeleted(box.name(), null).map(r -> "OK CLOSE completed");
  }

  private Future<String> expunge(ImapCommand c) {
    ImapSelected box = session.requireSelected();
    if (box.readOnly()) {
      throw ImapFailure.no("[READ-ONLY] The mailbox was opened with EXAMINE");
    }
    if (c.name().equals("EXPUNGE")) {
      return mailboxes()
          .expungeDeleted(box.name(), null)
          .compose(r -> session.refresh(true))
          .map(v -> "OK EXPUNGE completed");
    }
    if (c.size() != 1 || !(c.arg(0) instanceof ImapArg.Atom set)) {
      throw ImapFailure.bad("UID EXPUNGE takes a UID set");
    }
    List<Long> uids = box.resolve(SequenceSet.parse(set.text()), true);
    return ImapMessageCommands.inChunks(
            uids, chunk -> mailboxes().expungeDeleted(box.name(), chunk))
        .compose(v -> session.refresh(true))
        .map(v -> "OK UID EXPUNGE completed");
  }

  // ------------------------------------------------------------------------ names

  /** A mailbox argument: INBOX in any case is INBOX. */
  static String boxArg(ImapCommand c, int index) {
    String name = ImapArg.text(c.arg(index));
    if (name == null) {
      throw ImapFailure.bad(c.name() + " needs a mailbox name");
    }
    return name.equalsIgnoreCase("INBOX") ? "INBOX" : name;
  }

  private static String newName(ImapCommand c, int index) {
    String name = boxArg(c, index);
    if (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    if (!NAME.matcher(name).matches()) {
      throw ImapFailure.no(
          "[CANNOT] A mailbox name is 1 to 64 letters, digits, spaces, '.', '_' or '-' (no"
              + " hierarchy)");
    }
    return name;
  }
}
