package dev.kith.mail.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One owner's mailboxes, as the owner's one mailbox instance serves them, wherever it runs. Every
 * change is durable with the vault's write quorum before its future completes. Failures carry an
 * HTTP status: 400 for a bad argument, 404 for an unknown mailbox or message, 409 for a mailbox
 * that exists, 503 while the instance moves or the vault cannot make a change durable (retry).
 */
@ProxyGen
@VertxGen
public interface Mailboxes {

  /** The address of {@code owner}'s mailbox instance. */
  static String address(String owner) {
    return "kith.mail." + owner;
  }

  /**
   * Where {@code owner}'s mailbox instance publishes {@code {boxes: [names]}} when mailboxes
   * change: a hint for IMAP sessions on every device to ask {@link #changes}.
   */
  static String changesAddress(String owner) {
    return "kith.mail." + owner + ".changes";
  }

  /**
   * Files a message: its bytes become the vault object {@code object} and its record is written
   * with them, both durable together in one write. A message whose {@code id} is filed already is
   * not filed again. Answers {@code {id, box, uid, object, duplicate}}.
   *
   * @param id the message's stable id in this mailbox (32 hex digits, from its Message-ID)
   * @param object the id the bytes get in the vault: their SHA-256 in lowercase hex
   * @param box the mailbox to file it in
   * @param flags its flags: {@code seen}, {@code flagged}, {@code answered}, {@code draft}
   * @param summary what lists and searches show: from, to, subject, date, a text excerpt
   * @param raw the message's bytes
   */
  Future<JsonObject> deliver(
      String id, String object, String box, List<String> flags, JsonObject summary, Buffer raw);

  /**
   * {@code {mailboxes: [{name, uidValidity, uidNext, highestModSeq, total, unseen, deleted,
   * size}]}}.
   */
  Future<JsonObject> mailboxes();

  /** Creates a mailbox; {@code {name, uidValidity}}. */
  Future<JsonObject> create(String name);

  /**
   * Deletes a mailbox and the messages in it: {@code {name, deleted: true, expunged}}. The standard
   * mailboxes (INBOX, Sent, Drafts, Trash, Archive) can be emptied but not deleted (400). A mailbox
   * made again under the same name gets a new UIDVALIDITY, as IMAP requires.
   */
  Future<JsonObject> deleteMailbox(String name);

  /**
   * Renames a mailbox, with its messages and their UIDs, under a new UIDVALIDITY: {@code {name,
   * uidValidity, moved}}. Renaming INBOX moves its messages into a new mailbox and leaves INBOX
   * empty, as IMAP's RENAME does; the other standard mailboxes cannot be renamed (400); a name in
   * use is 409.
   */
  Future<JsonObject> renameMailbox(String name, String newName);

  /**
   * A page of a mailbox, newest first: {@code {mailbox, uidValidity, total, messages, next}}.
   *
   * @param cursor the {@code next} of the page before, or null for the first page
   */
  Future<JsonObject> list(String box, Long cursor, int limit);

  /** A message's record: its mailbox, UID, flags, object and summary. */
  Future<JsonObject> get(String id);

  /**
   * Changes a message's flags ({@code {"seen": true}}), moves it to {@code box}, or both; null
   * leaves that part as it is. Answers the message's summary.
   */
  Future<JsonObject> update(String id, JsonObject flags, String box);

  /** Moves a message to Trash, or removes it from Trash: {@code {id, box?, expunged}}. */
  Future<JsonObject> delete(String id);

  /** Removes the messages flagged deleted ({@code Trash}: all): {@code {expunged: count}}. */
  Future<JsonObject> expunge(String box);

  /**
   * Messages whose from, to, subject or text hold every word of {@code q} ({@code from:x} limits a
   * word to a field), newest first: {@code {total, messages}}.
   *
   * @param box a mailbox to search, or null for all
   */
  Future<JsonObject> search(String q, String box, int limit);

  /** A thread's messages, oldest first: {@code {thread, messages}}. */
  Future<JsonObject> thread(String thread);

  // ------------------------------------------------------------ IMAP's view of the same state

  /*
   * Flags here are IMAP's: \Seen, \Answered, \Flagged, \Deleted, \Draft and keywords ($Junk,
   * $Forwarded, ...). The system flags are the records' flags that the HTTP API shows; keywords
   * are kept beside them. UIDs, UIDVALIDITY and modification sequences are RFC 3501's and RFC
   * 7162's: UIDs only grow and are never reused, modification sequences only grow, across every
   * failover.
   */

  /**
   * A mailbox as a session selects it: {@code {name, uidValidity, uidNext, highestModSeq, uids:
   * [ascending], keywords: [in use]}}.
   */
  Future<JsonObject> select(String box);

  /**
   * What changed in a mailbox after {@code sinceModSeq}: {@code {uidValidity, uidNext,
   * highestModSeq, changed: [{uid, modseq, flags}], vanished: [uids]}}; when the instance no longer
   * knows every expunge since then (it started later, or forgot), {@code uids: [every UID]} takes
   * the place of {@code vanished}.
   */
  Future<JsonObject> changes(String box, long sinceModSeq);

  /**
   * The records of messages by UID (at most 1000; missing UIDs are left out): {@code {uidValidity,
   * records: [{uid, id, object, size, received, modseq, flags, ...summary}]}}.
   */
  Future<JsonObject> records(String box, JsonArray uids);

  /**
   * Sets ({@code "="}), adds ({@code "+"}) or removes ({@code "-"}) flags of messages by UID (at
   * most 1000). With {@code unchangedSince} (CONDSTORE), a message changed after it is left alone
   * and listed in {@code modified}. Answers {@code {highestModSeq, updated: [{uid, modseq, flags}],
   * modified: [uids]}}.
   */
  Future<JsonObject> store(
      String box, JsonArray uids, String mode, List<String> flags, Long unchangedSince);

  /**
   * Copies or moves messages by UID (at most 1000) into {@code target}, in UID order: {@code
   * {uidValidity (target's), from: [uids], to: [new uids]}}. A copy is a new message with the same
   * bytes; a move keeps the message and gives it a UID in the target.
   */
  Future<JsonObject> copy(String box, JsonArray uids, String target, boolean move);

  /**
   * Files a message a client appended (IMAP APPEND): always a new message, even with a Message-ID
   * already filed. Answers {@code {id, box, uid, uidValidity}}.
   *
   * @param internalDate the message's internal date (epoch milliseconds), or 0 for now
   */
  Future<JsonObject> append(
      String object,
      long size,
      String box,
      List<String> flags,
      JsonObject summary,
      long internalDate);

  /**
   * Removes the messages flagged \Deleted, only those among {@code uids} when given (UID EXPUNGE):
   * {@code {expunged: [uids], highestModSeq}}.
   */
  Future<JsonObject> expungeDeleted(String box, JsonArray uids);
}
