package dev.kith.mail.mailbox;

import dev.kith.mail.api.Mailboxes;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.ServiceInstance;
import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import dev.kith.mesh.vault.Version;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One owner's mailboxes: the instance of {@link MailService} that the controller places on one
 * device, serving {@link Mailboxes}. The vault holds everything, as records of the owner:
 *
 * <ul>
 *   <li>{@code mail/box/<name>}: a mailbox, with its UIDVALIDITY and the next UID it gives;
 *   <li>{@code mail/msg/<id>}: a message: its mailbox, UID, flags, the vault object that holds its
 *       bytes, and the summary that lists and searches use.
 * </ul>
 *
 * <p>On start the instance claims its fence in the owner's vault (see {@link ServiceInstance}),
 * then reads every record of the owner's mail (a quorum read, so it sees every acknowledged write,
 * whichever device made it) into an index in memory, and keeps the index in step with writes from
 * elsewhere (a handoff's old instance, the far side of a healed partition) through a vault watch.
 * Requests then run against the index; every change is written to the vault and answered only once
 * the vault acknowledges it with its write quorum.
 */
final class MailboxInstance extends ServiceInstance implements Mailboxes {

  private static final Logger log = LoggerFactory.getLogger(MailboxInstance.class);

  static final String BOX_PREFIX = "mail/box/";
  static final String MESSAGE_PREFIX = "mail/msg/";
  static final Pattern BOX_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}");
  static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
  static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{64}");
  static final Set<String> FLAGS = Set.of("seen", "flagged", "answered", "deleted", "draft");
  static final int MAX_LIST = 200;
  static final int MAX_BOXES = 1000;
  private static final int SCAN_PAGE = 500;

  private final String owner;
  private final String device;
  private final Set<String> renumbering = new java.util.HashSet<>();

  /** Renumbering found while loading waits until every mailbox's next UID is known. */
  private final Map<String, String> renumberAfterLoad = new java.util.LinkedHashMap<>();

  private boolean loaded;
  private final Vault vault;
  private Vault.Watch watch;
  private final MailChanges changes;
  private final MailboxImap imap = new MailboxImap(this);
  private final Map<String, Box> boxes = new TreeMap<>();
  private final Map<String, Indexed> messages = new HashMap<>();
  private final Map<String, Future<JsonObject>> delivering = new HashMap<>();

  /**
   * The last UIDVALIDITY of each deleted mailbox: one made again under its name gets a later one.
   */
  private final Map<String, Long> retired = new HashMap<>();

  /** How many vault writes a mailbox-wide change (delete, rename) has in flight at once. */
  private static final int BATCH = 50;

  MailboxInstance(InstanceContext context) {
    super(context);
    owner = context.owner();
    device = context.device();
    // Every record write carries the placement epoch (the instance's fenced vault).
    vault = vault();
    changes = new MailChanges(services().vertx(), owner);
    serve(Mailboxes.class, Mailboxes.address(owner), this);
  }

  @Override
  protected String fencedVault() {
    return owner;
  }

  /** The watch starts before the claim, so that it sees every write from the claim on. */
  @Override
  protected Future<Void> prepare() {
    return vault.watch(owner, "mail/", this::changed).map(w -> watch = w).mapEmpty();
  }

  /**
   * Once the claim is made, no predecessor can change alice's mail, and everything a predecessor
   * had acknowledged is in what a quorum read returns: load it all.
   */
  @Override
  protected Future<Void> open() {
    return load(BOX_PREFIX, null, this::loadBox)
        .compose(v -> load(MESSAGE_PREFIX, null, this::loadMessage))
        .compose(v -> createStandardBoxes())
        .onSuccess(
            v -> {
              loaded = true;
              boxes.values().forEach(b -> b.vanishedSince = b.highestModSeq);
              renumberAfterLoad.forEach(this::renumber);
              renumberAfterLoad.clear();
              log.info(
                  "{} serves {}'s mail: {} mailboxes, {} messages",
                  device,
                  owner,
                  boxes.size(),
                  messages.size());
            })
        .onFailure(
            e ->
                log.warn(
                    "{} could not load {}'s mail from the vault; it will be tried again: {}",
                    device,
                    owner,
                    e.toString()));
  }

  @Override
  protected Future<Void> close() {
    return watch == null ? Future.succeededFuture() : watch.close();
  }

  // ---------------------------------------------------------------- loading and the vault watch

  private Future<Void> load(
      String prefix, String after, java.util.function.Consumer<StoredRecord> each) {
    return vault
        .scanPage(owner, prefix, after, SCAN_PAGE)
        .compose(
            p -> {
              p.records().forEach(each);
              return p.next() == null ? Future.succeededFuture() : load(prefix, p.next(), each);
            });
  }

  private void loadBox(StoredRecord record) {
    JsonObject value = new JsonObject(record.value());
    String name = record.key().substring(BOX_PREFIX.length());
    if (value.getBoolean("deleted", false)) {
      retired.merge(name, value.getLong("uidValidity", 0L), Math::max);
      Box gone = boxes.get(name);
      if (gone != null && gone.byUid.isEmpty()) {
        boxes.remove(name);
      }
      return;
    }
    if (value.getLong("uidValidity", 1L) <= retired.getOrDefault(name, 0L)) {
      return; // a late copy of a mailbox deleted since; one made again has a later UIDVALIDITY
    }
    Box box = boxes.get(name);
    long uidNext = value.getLong("uidNext", 1L);
    if (box == null) {
      box = new Box(name, value.getLong("uidValidity", 1L), uidNext);
      boxes.put(name, box);
    } else if (uidNext > box.uidNext) {
      box.uidNext = uidNext;
      box.durableUidNext = Math.max(box.durableUidNext, uidNext);
    }
    long modseq = value.getLong("highestModSeq", 0L);
    box.highestModSeq = Math.max(box.highestModSeq, modseq);
    box.durableModSeq = Math.max(box.durableModSeq, modseq);
  }

  private void loadMessage(StoredRecord record) {
    index(
        record.key().substring(MESSAGE_PREFIX.length()),
        new JsonObject(record.value()),
        record.version());
  }

  /** A change anywhere in the mesh: applies it when it is newer than what the index holds. */
  private void changed(StoredRecord record) {
    try {
      if (record.key().startsWith(MESSAGE_PREFIX)) {
        String id = record.key().substring(MESSAGE_PREFIX.length());
        if (!newerThanIndexed(id, record.version())) {
          return;
        }
        boolean foreign = record.version().epoch() != epoch() || epoch() == 0;
        if (record.deleted()) {
          Indexed gone = messages.get(id);
          unindex(id);
          if (gone != null && foreign) {
            vanished(gone);
          }
        } else {
          boolean orphan = isOrphan(id, record);
          JsonObject value = new JsonObject(record.value());
          Indexed before = messages.get(id);
          index(id, value, record.version());
          if (foreign && before != null && !sameSlot(before, value)) {
            vanished(before);
          }
          if (orphan) {
            renumber(id, "written by a superseded instance and found only now");
          }
        }
      } else if (record.key().startsWith(BOX_PREFIX) && !record.deleted()) {
        loadBox(record);
      }
    } catch (RuntimeException e) {
      log.warn("{} ignores an unreadable mail record {}: {}", device, record.key(), e.toString());
    }
  }

  /**
   * A message left its place (mailbox and UID) through another writer's change: a handoff's old
   * instance, the far side of a healed partition. Its mailbox's sessions learn of it as an expunge.
   */
  private void vanished(Indexed gone) {
    Box box = boxes.get(gone.box());
    if (box != null) {
      box.vanish(gone.uid(), box.nextModSeq());
      changes.touch(box.name);
    }
  }

  private static boolean sameSlot(Indexed before, JsonObject value) {
    return before.box().equals(value.getString("box")) && before.uid() == value.getLong("uid", 0L);
  }

  private void index(String id, JsonObject value, Version version) {
    unindex(id);
    String boxName = value.getString("box");
    Box box = boxes.get(boxName);
    if (box == null) {
      // A record can arrive before its mailbox's record: the mailbox exists all the same.
      box = new Box(boxName, 1, 1);
      box.durableUidNext = 0;
      boxes.put(boxName, box);
    }
    Indexed indexed = Indexed.of(value, version, box.name);
    messages.put(id, indexed);
    box.highestModSeq = Math.max(box.highestModSeq, indexed.modseq());
    changes.touch(boxName);
    long uid = value.getLong("uid", 0L);
    if (uid >= box.uidNext) {
      box.uidNext = uid + 1;
    }
    String holder = box.byUid.get(uid);
    Indexed other = holder == null || holder.equals(id) ? null : messages.get(holder);
    if (other == null) {
      box.byUid.put(uid, id);
    } else if (other.version().newerThan(version)) {
      renumber(id, "UID " + uid + " is also " + holder + "'s");
    } else {
      box.byUid.put(uid, id);
      renumber(holder, "UID " + uid + " is also " + id + "'s");
    }
  }

  /**
   * Whether a message record from the watch was written by an instance of an earlier epoch after
   * this one loaded: a write that instance made once this one had claimed alice's mail, which was
   * refused but reached some replica anyway. Its UID may be below UIDs clients have already seen.
   */
  private boolean isOrphan(String id, StoredRecord record) {
    if (epoch() == 0 || record.version().epoch() >= epoch() || messages.containsKey(id)) {
      return false;
    }
    return !delivering.containsKey(id);
  }

  /**
   * Gives a message a new UID, the next of its mailbox: two messages claimed one UID (both sides of
   * a partition, or a superseded instance, handed it out), or one appeared below the UIDs clients
   * have seen. The message is kept, and every UID stays unique and increasing.
   */
  private void renumber(String id, String why) {
    Indexed m = messages.get(id);
    if (m == null || epoch() == 0 || superseded()) {
      return;
    }
    if (!loaded) {
      renumberAfterLoad.putIfAbsent(id, why);
      return;
    }
    if (!renumbering.add(id)) {
      return;
    }
    Box box = boxes.get(m.box());
    box.removeUid(m.uid(), id);
    long uid = box.uidNext++;
    long modseq = box.nextModSeq();
    JsonObject record = m.value().put("uid", uid).put("modseq", modseq);
    log.info("{}: {}'s message {} in {} gets UID {}: {}", device, owner, id, box.name, uid, why);
    Future.all(persistBox(box, uid + 1), vault.putRecord(owner, MESSAGE_PREFIX + id, record))
        .onComplete(
            ar -> {
              renumbering.remove(id);
              if (ar.succeeded()) {
                box.vanish(m.uid(), modseq);
                indexIfNewer(id, record, ar.result().resultAt(1));
              } else if (ar.cause() instanceof Vault.Fenced f) {
                supersede(f);
              } else {
                log.warn(
                    "{}: could not give {}'s message {} a new UID ({}); the next start does",
                    device,
                    owner,
                    id,
                    ar.cause().toString());
              }
            });
  }

  /** Whether {@code version} of a message is newer than what the index holds (or it holds none). */
  private boolean newerThanIndexed(String id, Version version) {
    Indexed current = messages.get(id);
    return current == null || version.newerThan(current.version());
  }

  /** Indexes a write this instance made, unless a newer version arrived meanwhile. */
  private void indexIfNewer(String id, JsonObject record, Version version) {
    if (newerThanIndexed(id, version)) {
      index(id, record, version);
    }
  }

  private void unindex(String id) {
    Indexed old = messages.remove(id);
    if (old != null) {
      Box box = boxes.get(old.box());
      if (box != null && id.equals(box.byUid.get(old.uid()))) {
        box.byUid.remove(old.uid());
      }
    }
  }

  /** A message in the index, or null. */
  Indexed message(String id) {
    return messages.get(id);
  }

  /**
   * Files a new message record under {@code id} in {@code box}, with the next UID and modification
   * sequence there: {@code base} gives everything else. Answers the UID once the vault holds both
   * the record and the mailbox's next UID.
   */
  Future<Long> file(String id, JsonObject base, Box box) {
    long uid = box.uidNext++;
    JsonObject record =
        base.copy()
            .put("id", id)
            .put("box", box.name)
            .put("uid", uid)
            .put("modseq", box.nextModSeq());
    return Future.all(persistBox(box, uid + 1), vault.putRecord(owner, MESSAGE_PREFIX + id, record))
        .map(
            all -> {
              indexIfNewer(id, record, all.resultAt(1));
              return uid;
            });
  }

  private Future<Void> createStandardBoxes() {
    List<Future<Void>> created = new ArrayList<>();
    for (String name : Delivery.STANDARD_BOXES) {
      Box box = boxes.get(name);
      if (box == null) {
        box = new Box(name, newUidValidity(name), 1);
        box.durableUidNext = 0;
        boxes.put(name, box);
      }
      if (box.durableUidNext < box.uidNext || box.durableUidNext == 0) {
        created.add(persistBox(box, box.uidNext));
      }
    }
    return Future.all(created).mapEmpty();
  }

  // ------------------------------------------------------------------------------ requests

  @Override
  public Future<JsonObject> deliver(
      String id,
      String object,
      String boxName,
      List<String> flags,
      JsonObject summary,
      Buffer raw) {
    requireId(id);
    if (object == null || !OBJECT_ID.matcher(object).matches() || raw == null) {
      throw ServiceFailure.badRequest("a message needs its bytes and their SHA-256 in hex");
    }
    Indexed existing = messages.get(id);
    if (existing != null) {
      return Future.succeededFuture(deliveredAnswer(existing.value(), true));
    }
    Future<JsonObject> inFlight = delivering.get(id);
    if (inFlight != null) {
      return inFlight.map(answer -> answer.copy().put("duplicate", true));
    }
    Box box = requireBox(boxName == null ? "INBOX" : boxName);
    long uid = box.uidNext++;
    JsonObject record =
        (summary == null ? new JsonObject() : summary.copy())
            .put("id", id)
            .put("box", box.name)
            .put("uid", uid)
            .put("modseq", box.nextModSeq())
            .put("flags", flags(flags == null ? List.of() : flags))
            .put("object", object)
            .put("size", (long) raw.length())
            .put("received", System.currentTimeMillis());
    Future<JsonObject> stored =
        Future.all(
                persistBox(box, uid + 1),
                vault.putRecordWithObject(
                    owner, MESSAGE_PREFIX + id, record, "message/rfc822", raw, null))
            .map(
                all -> {
                  indexIfNewer(id, record, all.resultAt(1));
                  return deliveredAnswer(messages.get(id).value(), false);
                });
    delivering.put(id, stored);
    stored.onComplete(done -> delivering.remove(id));
    return stored;
  }

  private static JsonObject deliveredAnswer(JsonObject record, boolean duplicate) {
    return new JsonObject()
        .put("id", record.getString("id"))
        .put("box", record.getString("box"))
        .put("uid", record.getLong("uid"))
        .put("object", record.getString("object"))
        .put("duplicate", duplicate);
  }

  /** Makes {@code box}'s next UID durable up to at least {@code neededUid}. */
  Future<Void> persistBox(Box box, long neededUid) {
    return persistBox(box, neededUid, 0);
  }

  /**
   * Makes {@code box}'s next UID durable up to at least {@code neededUid} and its highest
   * modification sequence up to {@code neededModSeq}. Writes of the same mailbox are grouped: while
   * one is in flight, later ones wait for it and then write the newest values once.
   */
  Future<Void> persistBox(Box box, long neededUid, long neededModSeq) {
    if (box.durableUidNext >= neededUid
        && box.durableUidNext > 0
        && box.durableModSeq >= neededModSeq) {
      return Future.succeededFuture();
    }
    if (box.writing != null) {
      if (box.writingUidNext >= neededUid && box.writingModSeq >= neededModSeq) {
        return box.writing;
      }
      return box.writing.transform(ar -> persistBox(box, neededUid, neededModSeq));
    }
    long uidNext = Math.max(box.uidNext, neededUid);
    long modseq = Math.max(box.highestModSeq, neededModSeq);
    Promise<Void> done = Promise.promise();
    box.writing = done.future();
    box.writingUidNext = uidNext;
    box.writingModSeq = modseq;
    vault
        .putRecord(
            owner,
            BOX_PREFIX + box.name,
            new JsonObject()
                .put("name", box.name)
                .put("uidValidity", box.uidValidity)
                .put("uidNext", uidNext)
                .put("highestModSeq", modseq))
        .onComplete(
            ar -> {
              box.writing = null;
              if (ar.succeeded()) {
                box.durableUidNext = Math.max(box.durableUidNext, uidNext);
                box.durableModSeq = Math.max(box.durableModSeq, modseq);
                done.complete();
              } else {
                done.fail(ar.cause());
              }
            });
    return done.future();
  }

  @Override
  public Future<JsonObject> mailboxes() {
    JsonArray list = new JsonArray();
    for (Box box : boxes.values()) {
      long unseen = 0;
      long deleted = 0;
      long size = 0;
      for (String id : box.byUid.values()) {
        Indexed m = messages.get(id);
        if (m != null) {
          unseen += m.hasFlag("seen") ? 0 : 1;
          deleted += m.hasFlag("deleted") ? 1 : 0;
          size += m.size();
        }
      }
      list.add(
          new JsonObject()
              .put("name", box.name)
              .put("uidValidity", box.uidValidity)
              .put("uidNext", box.uidNext)
              .put("highestModSeq", box.highestModSeq)
              .put("total", box.byUid.size())
              .put("unseen", unseen)
              .put("deleted", deleted)
              .put("size", size));
    }
    return Future.succeededFuture(new JsonObject().put("mailboxes", list));
  }

  @Override
  public Future<JsonObject> create(String name) {
    requireNewName(name);
    if (boxes.size() >= MAX_BOXES) {
      throw ServiceFailure.badRequest("an owner has at most " + MAX_BOXES + " mailboxes");
    }
    Box box = new Box(name, newUidValidity(name), 1);
    box.durableUidNext = 0;
    boxes.put(name, box);
    return persistBox(box, 1)
        .map(v -> new JsonObject().put("name", name).put("uidValidity", box.uidValidity))
        .onFailure(
            e -> {
              if (box.byUid.isEmpty() && box.durableUidNext == 0) {
                boxes.remove(name);
              }
            });
  }

  /** A name for a new mailbox: valid, not INBOX, not in use. */
  private void requireNewName(String name) {
    if (name == null || !BOX_NAME.matcher(name).matches() || name.equalsIgnoreCase("inbox")) {
      throw ServiceFailure.badRequest(
          "a mailbox name is 1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a"
              + " letter or digit");
    }
    if (boxes.containsKey(name)) {
      throw ServiceFailure.conflict("mailbox '" + name + "' already exists");
    }
  }

  /**
   * The UIDVALIDITY of a mailbox made now: the time in seconds, and later than any earlier mailbox
   * of that name had (IMAP: a client must never see the same UIDVALIDITY for other messages).
   */
  private long newUidValidity(String name) {
    return Math.max(System.currentTimeMillis() / 1000, retired.getOrDefault(name, 0L) + 1);
  }

  @Override
  public Future<JsonObject> deleteMailbox(String name) {
    Box box = requireBox(name);
    if (Delivery.STANDARD_BOXES.contains(box.name)) {
      throw ServiceFailure.badRequest(
          "'" + box.name + "' is a standard mailbox: it can be emptied (expunge), not deleted");
    }
    // Gone at once for every request; its messages go first, then its record, so that a failure
    // part way leaves a mailbox with fewer messages, never messages without a mailbox.
    boxes.remove(box.name);
    List<String> ids = List.copyOf(box.byUid.values());
    return inBatches(ids, this::remove)
        .compose(v -> retire(box))
        .map(
            v ->
                new JsonObject()
                    .put("name", box.name)
                    .put("deleted", true)
                    .put("expunged", ids.size()))
        .onFailure(e -> restore(box));
  }

  @Override
  public Future<JsonObject> renameMailbox(String name, String newName) {
    Box from = requireBox(name);
    requireNewName(newName);
    if (Delivery.STANDARD_BOXES.contains(from.name) && !from.name.equals("INBOX")) {
      throw ServiceFailure.badRequest(
          "'" + from.name + "' is a standard mailbox: it keeps its name");
    }
    boolean inbox = from.name.equals("INBOX");
    // A new UIDVALIDITY, so no client mistakes the renamed mailbox for one it knew by that name.
    long validity = Math.max(newUidValidity(newName), from.uidValidity + 1);
    Box to = new Box(newName, validity, inbox ? 1 : from.uidNext);
    to.durableUidNext = 0;
    boxes.put(newName, to);
    if (!inbox) {
      boxes.remove(from.name);
    }
    List<String> ids = List.copyOf(from.byUid.values());
    return persistBox(to, to.uidNext)
        .compose(v -> inBatches(ids, id -> moveForRename(id, to, inbox)))
        .compose(v -> inbox ? Future.<Void>succeededFuture() : retire(from))
        .map(
            v ->
                new JsonObject()
                    .put("name", newName)
                    .put("uidValidity", to.uidValidity)
                    .put("moved", ids.size()))
        .onFailure(
            e -> {
              if (!inbox) {
                restore(from);
              }
            });
  }

  /** Puts a message in the renamed mailbox: with its UID, or the next UID for INBOX's messages. */
  private Future<Void> moveForRename(String id, Box to, boolean newUid) {
    Indexed m = messages.get(id);
    if (m == null) {
      return Future.succeededFuture();
    }
    if (newUid) {
      return write(m.value(), to).mapEmpty();
    }
    JsonObject record = m.value().put("box", to.name).put("modseq", to.nextModSeq());
    return vault
        .putRecord(owner, MESSAGE_PREFIX + id, record)
        .map(
            version -> {
              indexIfNewer(id, record, version);
              return null;
            });
  }

  /** Marks a mailbox deleted in the vault, keeping its UIDVALIDITY for a later one of its name. */
  private Future<Void> retire(Box box) {
    retired.merge(box.name, box.uidValidity, Math::max);
    return vault
        .putRecord(
            owner,
            BOX_PREFIX + box.name,
            new JsonObject()
                .put("name", box.name)
                .put("uidValidity", box.uidValidity)
                .put("uidNext", box.uidNext)
                .put("deleted", true))
        .mapEmpty();
  }

  /** A mailbox-wide change failed part way: the mailbox stays, with the messages it still has. */
  private void restore(Box box) {
    box.byUid.values().removeIf(id -> !box.name.equals(boxOf(id)));
    boxes.putIfAbsent(box.name, box);
  }

  private String boxOf(String id) {
    Indexed m = messages.get(id);
    return m == null ? null : m.box();
  }

  /**
   * Runs {@code each} over {@code items}, {@value #BATCH} at a time, failing at the first failure.
   */
  <T> Future<Void> inBatches(List<T> items, java.util.function.Function<T, Future<?>> each) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < items.size(); from += BATCH) {
      List<T> batch = items.subList(from, Math.min(items.size(), from + BATCH));
      chain =
          chain.compose(
              v ->
                  Future.all(batch.stream().map(each).map(f -> (Future<?>) f).toList()).mapEmpty());
    }
    return chain;
  }

  @Override
  public Future<JsonObject> list(String boxName, Long cursor, int requestedLimit) {
    Box box = requireBox(boxName);
    int limit = limit(requestedLimit);
    NavigableMap<Long, String> newestFirst =
        cursor == null
            ? box.byUid.descendingMap()
            : box.byUid.headMap(cursor, false).descendingMap();
    JsonArray page = new JsonArray();
    Long last = null;
    for (Map.Entry<Long, String> e : newestFirst.entrySet()) {
      if (page.size() == limit) {
        break;
      }
      Indexed m = messages.get(e.getValue());
      if (m != null) {
        page.add(m.value());
        last = e.getKey();
      }
    }
    boolean more = last != null && box.byUid.lowerKey(last) != null;
    return Future.succeededFuture(
        new JsonObject()
            .put("mailbox", box.name)
            .put("uidValidity", box.uidValidity)
            .put("total", box.byUid.size())
            .put("messages", page)
            .put("next", more ? String.valueOf(last) : null));
  }

  @Override
  public Future<JsonObject> get(String id) {
    return Future.succeededFuture(requireMessage(id).value());
  }

  @Override
  public Future<JsonObject> update(String id, JsonObject flagChanges, String target) {
    Indexed m = requireMessage(id);
    JsonObject record = m.value();
    if (flagChanges != null) {
      List<String> flags = new ArrayList<>(stringList(record.getJsonArray("flags")));
      for (String flag : flagChanges.fieldNames()) {
        if (!FLAGS.contains(flag)) {
          throw ServiceFailure.badRequest("unknown flag '" + flag + "'; flags are " + FLAGS);
        }
        Object on = flagChanges.getValue(flag);
        if (!(on instanceof Boolean)) {
          throw ServiceFailure.badRequest("flag '" + flag + "' must be true or false");
        }
        flags.remove(flag);
        if ((Boolean) on) {
          flags.add(flag);
        }
      }
      record.put("flags", new JsonArray(flags.stream().sorted().toList()));
    }
    return write(record, target == null ? null : requireBox(target));
  }

  /**
   * Writes a changed message under a new modification sequence, moving it to {@code to} (a new UID
   * there) when given. A move also writes the mailbox it leaves, whose highest modification
   * sequence grows with the expunge that its sessions see.
   */
  Future<JsonObject> write(JsonObject record, Box to) {
    String id = record.getString("id");
    Box from = boxes.get(record.getString("box"));
    long fromUid = record.getLong("uid", 0L);
    Future<Void> boxWrite = Future.succeededFuture();
    Future<Void> fromWrite = Future.succeededFuture();
    long fromModSeq = 0;
    if (to != null && !to.name.equals(record.getString("box"))) {
      long uid = to.uidNext++;
      record.put("box", to.name).put("uid", uid).put("modseq", to.nextModSeq());
      boxWrite = persistBox(to, uid + 1);
      if (from != null) {
        fromModSeq = from.nextModSeq();
        fromWrite = persistBox(from, 0, fromModSeq);
      }
    } else {
      Box in = to != null ? to : from;
      record.put("modseq", in == null ? 1 : in.nextModSeq());
    }
    long leftAt = fromModSeq;
    return Future.all(boxWrite, vault.putRecord(owner, MESSAGE_PREFIX + id, record), fromWrite)
        .map(
            all -> {
              if (leftAt > 0) {
                from.vanish(fromUid, leftAt);
              }
              indexIfNewer(id, record, all.resultAt(1));
              return record;
            });
  }

  @Override
  public Future<JsonObject> delete(String id) {
    Indexed m = requireMessage(id);
    if ("Trash".equals(m.box())) {
      return remove(id).map(v -> new JsonObject().put("id", id).put("expunged", true));
    }
    return write(m.value(), boxes.get("Trash"))
        .map(s -> new JsonObject().put("id", id).put("box", "Trash").put("expunged", false));
  }

  @Override
  public Future<JsonObject> expunge(String boxName) {
    Box box = requireBox(boxName);
    boolean all = "Trash".equals(box.name);
    List<Future<Void>> removed = new ArrayList<>();
    for (String id : List.copyOf(box.byUid.values())) {
      Indexed m = messages.get(id);
      if (m != null && (all || m.hasFlag("deleted"))) {
        removed.add(remove(id));
      }
    }
    return Future.all(removed).map(v -> new JsonObject().put("expunged", removed.size()));
  }

  /**
   * Removes a message for good. Its mailbox is written with the expunge's modification sequence,
   * which no message record carries.
   */
  Future<Void> remove(String id) {
    Indexed m = messages.get(id);
    Box box = m == null ? null : boxes.get(m.box());
    long modseq = box == null ? 0 : box.nextModSeq();
    Future<Void> boxWrite = box == null ? Future.succeededFuture() : persistBox(box, 0, modseq);
    return Future.all(vault.deleteRecord(owner, MESSAGE_PREFIX + id), boxWrite)
        .map(
            all -> {
              Version version = all.resultAt(0);
              if (newerThanIndexed(id, version)) {
                unindex(id);
                if (box != null) {
                  box.vanish(m.uid(), modseq);
                  changes.touch(box.name);
                }
              }
              return null;
            });
  }

  @Override
  public Future<JsonObject> search(String query, String boxName, int requestedLimit) {
    MailSearch search = MailSearch.of(services().vertx(), vault, owner, query);
    int limit = limit(requestedLimit);
    Box only = boxName == null ? null : requireBox(boxName);
    List<Indexed> candidates = new ArrayList<>();
    for (Indexed m : messages.values()) {
      if (only == null || only.name.equals(m.box())) {
        candidates.add(m);
      }
    }
    candidates.sort(NEWEST_FIRST);
    return search.run(candidates, limit);
  }

  @Override
  public Future<JsonObject> thread(String thread) {
    if (thread == null || thread.isEmpty() || thread.length() > 998) {
      throw ServiceFailure.badRequest("a thread id is the Message-ID of its first message");
    }
    List<Indexed> hits = new ArrayList<>();
    for (Indexed m : messages.values()) {
      if (m.inThread(thread)) {
        hits.add(m);
      }
    }
    hits.sort(NEWEST_FIRST.reversed());
    JsonArray list = new JsonArray();
    hits.forEach(m -> list.add(m.value()));
    if (list.isEmpty()) {
      throw ServiceFailure.notFound("no thread " + thread);
    }
    return Future.succeededFuture(new JsonObject().put("thread", thread).put("messages", list));
  }

  // ------------------------------------------------------------------------------ IMAP

  @Override
  public Future<JsonObject> select(String box) {
    return imap.select(box);
  }

  @Override
  public Future<JsonObject> changes(String box, long sinceModSeq) {
    return imap.changes(box, sinceModSeq);
  }

  @Override
  public Future<JsonObject> records(String box, JsonArray uids) {
    return imap.records(box, uids);
  }

  @Override
  public Future<JsonObject> store(
      String box, JsonArray uids, String mode, List<String> flags, Long unchangedSince) {
    return imap.store(box, uids, mode, flags, unchangedSince);
  }

  @Override
  public Future<JsonObject> copy(String box, JsonArray uids, String target, boolean move) {
    return imap.copy(box, uids, target, move);
  }

  @Override
  public Future<JsonObject> append(
      String object,
      long size,
      String box,
      List<String> flags,
      JsonObject summary,
      long internalDate) {
    return imap.append(object, size, box, flags, summary, internalDate);
  }

  @Override
  public Future<JsonObject> expungeDeleted(String box, JsonArray uids) {
    return imap.expungeDeleted(box, uids);
  }

  // ------------------------------------------------------------------------------ helpers

  private static final Comparator<Indexed> NEWEST_FIRST =
      Comparator.comparingLong(Indexed::received).thenComparing(Indexed::id).reversed();

  private static JsonArray flags(List<String> requested) {
    List<String> flags = new ArrayList<>();
    for (Object f : requested) {
      if (f instanceof String s && FLAGS.contains(s) && !flags.contains(s)) {
        flags.add(s);
      }
    }
    return new JsonArray(flags.stream().sorted().toList());
  }

  private static List<String> stringList(JsonArray array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }

  private static String requireId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw ServiceFailure.badRequest("a message id is 32 lowercase hex digits");
    }
    return id;
  }

  private Indexed requireMessage(String id) {
    Indexed m = messages.get(requireId(id));
    if (m == null) {
      throw ServiceFailure.notFound("no message " + id);
    }
    return m;
  }

  Box requireBox(String name) {
    if (name == null) {
      throw ServiceFailure.badRequest("a mailbox is needed");
    }
    Box box = boxes.get(name.equalsIgnoreCase("inbox") ? "INBOX" : name);
    if (box == null) {
      throw ServiceFailure.notFound("no mailbox '" + name + "'");
    }
    return box;
  }

  private static int limit(Integer requested) {
    if (requested == null || requested < 1 || requested > MAX_LIST) {
      throw ServiceFailure.badRequest("limit must be 1 to " + MAX_LIST);
    }
    return requested;
  }
}
