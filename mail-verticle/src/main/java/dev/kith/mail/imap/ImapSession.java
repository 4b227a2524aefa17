package dev.kith.mail.imap;

import dev.kith.mail.api.Mailboxes;
import dev.kith.mail.mailbox.Delivery;
import dev.kith.mesh.spi.Owners;
import dev.kith.mesh.spi.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IMAP connection: its state (not authenticated, authenticated, selected), the commands a
 * client may send in any state (CAPABILITY, NOOP, LOGOUT, ID, ENABLE), getting in (STARTTLS, LOGIN,
 * AUTHENTICATE PLAIN with SASL-IR), and IDLE. Commands run one at a time in the order they came,
 * however many a client pipelines; the parser reads ahead, and the socket pauses while {@value
 * #MAX_QUEUED} commands wait. The mailbox and message commands are {@link ImapMailboxCommands},
 * {@link ImapFetch} and {@link ImapMessageCommands}.
 *
 * <p>Passwords are taken only over TLS, or over loopback (a client on the device itself); the check
 * is the mesh's shared one, so guesses over IMAP count toward the same lockout as HTTP's and
 * SMTP's, per account and per address.
 */
final class ImapSession implements ImapParser.Listener {

  private static final Logger log = LoggerFactory.getLogger(ImapSession.class);

  static final int MAX_QUEUED = 16;

  enum State {
    NOT_AUTHENTICATED,
    AUTHENTICATED,
    SELECTED,
    LOGOUT
  }

  private final ImapServer server;
  private final NetSocket socket;
  private final ImapParser parser;
  private final ArrayDeque<ImapCommand> queue = new ArrayDeque<>();
  private final Set<String> enabled = new HashSet<>();
  private final boolean loopback;
  private final String address;
  private boolean secure;
  private boolean busy;
  private boolean paused;
  private State state = State.NOT_AUTHENTICATED;
  private String owner;
  private Mailboxes mailboxes;
  private ImapSelected selected;
  private String idleTag;
  private String authenticateTag;
  private long idleTimer = -1;
  private long lastHeard = System.currentTimeMillis();
  private final ImapMailboxCommands mailboxCommands = new ImapMailboxCommands(this);
  private final ImapMessageCommands messageCommands = new ImapMessageCommands(this);
  private final ImapFetch fetch = new ImapFetch(this);

  ImapSession(ImapServer server, NetSocket socket, boolean implicitTls) {
    this.server = server;
    this.socket = socket;
    this.secure = implicitTls;
    SocketAddress remote = socket.remoteAddress();
    this.address = remote == null ? "unknown" : remote.hostAddress();
    this.loopback = isLoopback(address);
    this.parser = new ImapParser(ImapServer.MAX_LINE_BYTES, server.mail().maxMessageBytes(), this);
  }

  private static boolean isLoopback(String address) {
    return address.startsWith("127.") || address.equals("0:0:0:0:0:0:0:1") || address.equals("::1");
  }

  void start() {
    socket.handler(this::received);
    socket.exceptionHandler(
        e -> log.debug("{}: IMAP connection from {} failed: {}", device(), address, e.toString()));
    long checkMillis = Math.min(60_000, server.config().idleSeconds() * 1000L / 4);
    idleTimer = server.vertx().setPeriodic(checkMillis, t -> checkSilence());
    write("* OK [CAPABILITY " + capabilities() + "] Kith IMAP on " + device() + " ready\r\n");
  }

  private void received(Buffer data) {
    lastHeard = System.currentTimeMillis();
    parser.handle(data);
  }

  private void checkSilence() {
    long silentMillis = System.currentTimeMillis() - lastHeard;
    if (silentMillis > server.config().idleSeconds() * 1000L) {
      bye(
          "Autologout; idle for too long (imap-idle-seconds "
              + server.config().idleSeconds()
              + ")");
    } else if (idleTag != null) {
      refresh(true); // change events are hints; a lost one costs at most this long
    }
  }

  /** The socket closed: whatever the reason, the session ends. */
  void closed() {
    state = State.LOGOUT;
    if (idleTimer >= 0) {
      server.vertx().cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }

  /** Says {@code * BYE} and closes the connection. */
  void bye(String text) {
    if (state == State.LOGOUT) {
      return;
    }
    state = State.LOGOUT;
    socket.end(Buffer.buffer("* BYE " + text + "\r\n"));
  }

  // -------------------------------------------------------------------------- parser events

  @Override
  public void command(ImapCommand command) {
    if (idleTag != null) {
      return; // only DONE ends IDLE; it comes as a raw line
    }
    queue.add(command);
    if (queue.size() >= MAX_QUEUED && !paused) {
      paused = true;
      socket.pause();
    }
    next();
  }

  @Override
  public void literalWanted(String tag, long size) {
    write("+ Ready for " + size + " octets\r\n");
  }

  @Override
  public void line(String text) {
    if (idleTag != null) {
      endIdle(text);
    } else if (authenticateTag != null) {
      String tag = authenticateTag;
      authenticateTag = null;
      plain(tag, text.trim());
    }
  }

  @Override
  public void refused(String tag, String reply, boolean fatal) {
    server.count("bad");
    if (fatal) {
      bye(reply.startsWith("BAD ") || reply.startsWith("NO ") ? reply.substring(3).trim() : reply);
    } else {
      write((tag == null ? "*" : tag) + " " + reply + "\r\n");
    }
  }

  // ----------------------------------------------------------------------------- dispatch

  private void next() {
    if (busy || queue.isEmpty() || state == State.LOGOUT) {
      return;
    }
    ImapCommand command = queue.poll();
    if (paused && queue.size() < MAX_QUEUED / 2) {
      paused = false;
      socket.resume();
    }
    busy = true;
    Future<String> done;
    try {
      done = run(command);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(
        ar -> {
          String reply = ar.succeeded() ? ar.result() : ImapFailure.replyFor(ar.cause());
          if (reply != null) {
            finish(command, reply);
          }
        });
  }

  /** Ends a command with its tagged reply and runs the next. */
  void finish(ImapCommand command, String reply) {
    server.count(
        reply
            .substring(0, reply.indexOf(' ') < 0 ? reply.length() : reply.indexOf(' '))
            .toLowerCase(Locale.ROOT));
    write(command.tag() + " " + reply + "\r\n");
    busy = false;
    next();
  }

  /**
   * Runs one command. The future gives the tagged reply's text; null means the command answers
   * itself later (AUTHENTICATE, IDLE).
   */
  private Future<String> run(ImapCommand c) {
    switch (c.name()) {
      case "CAPABILITY" -> {
        write("* CAPABILITY " + capabilities() + "\r\n");
        return ok("CAPABILITY completed");
      }
      case "NOOP", "CHECK" -> {
        return refresh(true).map(v -> "OK " + c.name() + " completed");
      }
      case "LOGOUT" -> {
        write("* BYE Logging out\r\n");
        write(c.tag() + " OK LOGOUT completed\r\n");
        state = State.LOGOUT;
        socket.end();
        return Future.succeededFuture(null);
      }
      case "ID" -> {
        write("* ID (\"name\" \"Kith\" \"vendor\" \"Kith\")\r\n");
        return ok("ID completed");
      }
      case "STARTTLS" -> {
        return startTls(c);
      }
      case "LOGIN" -> {
        return login(c);
      }
      case "AUTHENTICATE" -> {
        return authenticate(c);
      }
      default -> {
        if (state == State.NOT_AUTHENTICATED) {
          return Future.failedFuture(
              known(c.name())
                  ? ImapFailure.bad("Log in first (LOGIN or AUTHENTICATE)")
                  : ImapFailure.bad("Unknown command " + c.name()));
        }
        return authenticated(c);
      }
    }
  }

  private Future<String> authenticated(ImapCommand c) {
    switch (c.name()) {
      case "ENABLE" -> {
        return enable(c);
      }
      case "IDLE" -> {
        return idle(c);
      }
      case "FETCH", "UID FETCH" -> {
        return fetch.run(c, requireSelected());
      }
      case "STORE", "UID STORE", "COPY", "UID COPY", "MOVE", "UID MOVE", "SEARCH", "UID SEARCH" -> {
        return messageCommands.run(c, requireSelected());
      }
      default -> {
        return mailboxCommands.run(c);
      }
    }
  }

  private static boolean known(String name) {
    return Set.of(
            "SELECT",
            "EXAMINE",
            "CREATE",
            "DELETE",
            "RENAME",
            "SUBSCRIBE",
            "UNSUBSCRIBE",
            "LIST",
            "LSUB",
            "NAMESPACE",
            "STATUS",
            "APPEND",
            "CHECK",
            "CLOSE",
            "UNSELECT",
            "EXPUNGE",
            "UID EXPUNGE",
            "FETCH",
            "UID FETCH",
            "STORE",
            "UID STORE",
            "COPY",
            "UID COPY",
            "MOVE",
            "UID MOVE",
            "SEARCH",
            "UID SEARCH",
            "ENABLE",
            "IDLE")
        .contains(name);
  }

  ImapSelected requireSelected() {
    if (selected == null) {
      throw ImapFailure.bad("No mailbox selected (SELECT or EXAMINE first)");
    }
    return selected;
  }

  static Future<String> ok(String text) {
    return Future.succeededFuture("OK " + text);
  }

  // ---------------------------------------------------------------------- getting in

  String capabilities() {
    StringBuilder caps = new StringBuilder("IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE");
    if (state == State.NOT_AUTHENTICATED) {
      if (!secure && server.tls() != null) {
        caps.append(" STARTTLS");
      }
      caps.append(passwordsAllowed() ? " AUTH=PLAIN" : " LOGINDISABLED");
    } else {
      caps.append(
          " IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE QRESYNC SPECIAL-USE CHILDREN ESEARCH"
              + " LIST-EXTENDED LIST-STATUS STATUS=SIZE APPENDLIMIT="
              + server.mail().maxMessageBytes());
    }
    return caps.toString();
  }

  private boolean passwordsAllowed() {
    return secure || loopback;
  }

  private Future<String> startTls(ImapCommand c) {
    if (secure) {
      throw ImapFailure.bad("TLS is on already");
    }
    if (server.tls() == null) {
      throw ImapFailure.no("This device has no certificate (smtp-cert); STARTTLS is off");
    }
    if (state != State.NOT_AUTHENTICATED) {
      throw ImapFailure.bad("STARTTLS comes before logging in");
    }
    busy = true;
    // The OK goes out through the upgrade, which puts TLS in place as soon as it is written:
    // written before, the client's first TLS bytes could arrive ahead of TLS and be read as text.
    socket
        .upgradeToSsl(server.tls(), Buffer.buffer(c.tag() + " OK Begin TLS negotiation now\r\n"))
        .onComplete(
            ar -> {
              busy = false;
              if (ar.succeeded()) {
                secure = true;
                next();
              } else {
                log.info(
                    "{}: STARTTLS from {} failed: {}", device(), address, ar.cause().toString());
                socket.close();
              }
            });
    return Future.succeededFuture(null);
  }

  private Future<String> login(ImapCommand c) {
    requireNotAuthenticated();
    if (c.size() != 2 || ImapArg.text(c.arg(0)) == null || ImapArg.text(c.arg(1)) == null) {
      throw ImapFailure.bad("LOGIN needs a user name and a password");
    }
    return check(ImapArg.text(c.arg(0)), ImapArg.text(c.arg(1)));
  }

  private Future<String> authenticate(ImapCommand c) {
    requireNotAuthenticated();
    String mechanism = c.size() > 0 ? ImapArg.text(c.arg(0)) : null;
    if (mechanism == null || !mechanism.equalsIgnoreCase("PLAIN")) {
      throw ImapFailure.no("[CANNOT] Only AUTHENTICATE PLAIN is supported");
    }
    if (c.size() > 1) {
      return plainCheck(ImapArg.text(c.arg(1)));
    }
    authenticateTag = c.tag();
    write("+ \r\n");
    parser.rawLine();
    return Future.succeededFuture(null);
  }

  /** The client's answer to AUTHENTICATE PLAIN's empty challenge. */
  private void plain(String tag, String response) {
    ImapCommand command = new ImapCommand(tag, "AUTHENTICATE", java.util.List.of());
    if (response.equals("*")) {
      finish(command, "BAD AUTHENTICATE cancelled");
      return;
    }
    Future<String> done;
    try {
      done = plainCheck(response);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(
        ar -> finish(command, ar.succeeded() ? ar.result() : ImapFailure.replyFor(ar.cause())));
  }

  /**
   * {@code [authzid] NUL authcid NUL password}, Base64; the authorization identity must be empty.
   */
  private Future<String> plainCheck(String base64) {
    String decoded;
    try {
      decoded =
          base64.equals("=")
              ? ""
              : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ImapFailure.bad("Not valid Base64");
    }
    int first = decoded.indexOf('\0');
    int second = first < 0 ? -1 : decoded.indexOf('\0', first + 1);
    if (second < 0) {
      throw ImapFailure.bad("PLAIN needs [authzid] NUL user NUL password");
    }
    String authzid = decoded.substring(0, first);
    String user = decoded.substring(first + 1, second);
    if (!authzid.isEmpty() && !authzid.equalsIgnoreCase(user)) {
      throw ImapFailure.no("[AUTHORIZATIONFAILED] Acting as another user is not allowed");
    }
    return check(user, decoded.substring(second + 1));
  }

  private void requireNotAuthenticated() {
    if (state != State.NOT_AUTHENTICATED) {
      throw ImapFailure.bad("Logged in already");
    }
    if (!passwordsAllowed()) {
      throw ImapFailure.no("[PRIVACYREQUIRED] Passwords only over TLS: STARTTLS first");
    }
  }

  private Future<String> check(String user, String password) {
    String name = ownerOf(user);
    return server
        .context()
        .owners()
        .checkPassword("IMAP", address, name, password)
        .recover(
            e -> {
              log.warn("{} cannot check IMAP credentials now: {}", device(), e.toString());
              return Future.failedFuture(
                  ImapFailure.no("[UNAVAILABLE] Cannot check credentials now; try again later"));
            })
        .map(this::loggedIn);
  }

  private String loggedIn(Owners.Login verdict) {
    switch (verdict.outcome()) {
      case ACCEPTED -> {
        String who = verdict.owner();
        if (!server.join(this, who)) {
          throw ImapFailure.no(
              "[LIMIT] Too many IMAP connections for this account on this device"
                  + " (imap-max-connections-per-owner)");
        }
        owner = who;
        state = State.AUTHENTICATED;
        mailboxes = server.context().proxy(Mailboxes.class, Mailboxes.address(who));
        log.info("{} logged {} in over IMAP from {}", device(), who, address);
        return "OK [CAPABILITY " + capabilities() + "] Logged in";
      }
      case REFUSED -> throw ImapFailure.no("[AUTHENTICATIONFAILED] Invalid credentials");
      default ->
          throw ImapFailure.no(
              "[AUTHENTICATIONFAILED] Too many failed logins for this account or from this"
                  + " address; try again in "
                  + verdict.retryAfterSeconds()
                  + " s");
    }
  }

  /** The owner a user name names ({@code alice} or {@code alice@domain}), or null. */
  private String ownerOf(String user) {
    String name = user.trim();
    String who =
        name.contains("@")
            ? Delivery.localOwner(server.mail(), name)
            : name.toLowerCase(Locale.ROOT);
    return who != null && Settings.LABEL.matcher(who).matches() ? who : null;
  }

  // -------------------------------------------------------------------- ENABLE and IDLE

  private Future<String> enable(ImapCommand c) {
    StringBuilder now = new StringBuilder("* ENABLED");
    for (ImapArg a : c.args()) {
      String ext = String.valueOf(ImapArg.text(a)).toUpperCase(Locale.ROOT);
      if (Set.of("CONDSTORE", "QRESYNC", "IMAP4REV2").contains(ext) && enabled.add(ext)) {
        now.append(' ').append(ext);
        if (ext.equals("QRESYNC")) {
          enabled.add("CONDSTORE");
        }
      }
    }
    write(now + "\r\n");
    return ok("ENABLE completed");
  }

  boolean enabled(String extension) {
    return enabled.contains(extension);
  }

  /** CONDSTORE in use: the client enabled it or used one of its parameters (RFC 7162 §3.1). */
  void useCondstore() {
    enabled.add("CONDSTORE");
  }

  private Future<String> idle(ImapCommand c) {
    idleTag = c.tag();
    write("+ idling\r\n");
    parser.rawLine();
    return refresh(true).map(v -> null);
  }

  private void endIdle(String text) {
    String tag = idleTag;
    idleTag = null;
    ImapCommand command = new ImapCommand(tag, "IDLE", java.util.List.of());
    if (!text.trim().equalsIgnoreCase("DONE")) {
      finish(command, "BAD Expected DONE");
      return;
    }
    finish(command, "OK IDLE terminated");
  }

  /**
   * Change events for this owner's mailboxes: an idling session with one of them selected looks.
   */
  void mailboxesChanged(Set<String> boxes) {
    if (selected == null || !boxes.contains(selected.name())) {
      return;
    }
    selected.markDirty();
    if (idleTag != null) {
      refresh(true);
    }
  }

  /** Tells the client what changed in the selected mailbox (expunges only when allowed). */
  Future<Void> refresh(boolean expunges) {
    if (selected == null) {
      return Future.succeededFuture();
    }
    return selected
        .refresh(expunges)
        .recover(
            e -> {
              log.debug(
                  "{}: could not refresh {} for {}: {}", device(), selected, owner, e.toString());
              return Future.succeededFuture();
            });
  }

  // -------------------------------------------------------------------------- for commands

  void write(String text) {
    socket.write(Buffer.buffer(text, "UTF-8"));
  }

  void write(Buffer data) {
    socket.write(data);
  }

  /** Completes once the socket's write queue has room: a large FETCH waits for the client. */
  Future<Void> drained() {
    if (!socket.writeQueueFull()) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> room = io.vertx.core.Promise.promise();
    socket.drainHandler(v -> room.tryComplete());
    return room.future();
  }

  String owner() {
    return owner;
  }

  /** The bytes of a message whose record {@link Mailboxes#records} gave, from the owner's vault. */
  Future<byte[]> messageBytes(JsonObject record) {
    return server
        .context()
        .vault()
        .getObject(owner, record.getString("object"))
        .map(o -> o.bytes().getBytes());
  }

  Mailboxes mailboxes() {
    return mailboxes;
  }

  ImapServer server() {
    return server;
  }

  String device() {
    return server.device();
  }

  State state() {
    return state;
  }

  void select(ImapSelected view) {
    selected = view;
    state = view == null ? State.AUTHENTICATED : State.SELECTED;
  }

  ImapSelected selected() {
    return selected;
  }
}
