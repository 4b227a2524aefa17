package dev.kith.chat.im;

import dev.kith.chat.ChatConfig;
import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.Stanzas;
import dev.kith.chat.api.ChatBox;
import dev.kith.chat.xml.XmlElement;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.spi.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One owner's chat, on one of the owner's own devices: it serves {@link ChatBox} to the owner's
 * XMPP sessions (on any device) and to other owners' instances. What it keeps in the owner's vault
 * (roster, archive, offline messages, outbox, block list, vCard, PEP nodes) is written under its
 * placement epoch; who is online lives in memory and is rebuilt when it starts: it publishes its
 * owner's name on {@link ChatBox#STARTED_ADDRESS} and every session of the owner attaches again.
 */
public final class ChatInstance extends ServiceInstance implements ChatBox {

  private static final Logger log = LoggerFactory.getLogger(ChatInstance.class);

  /** The header on a message sent to a session that names its archive id. */
  public static final String ARCHIVE_ID_HEADER = "kith-archive-id";

  private final ChatConfig config;
  private final Jid self;
  private final Resources resources = new Resources();
  private final Roster roster;
  private final Archive archive;
  private final Offline offline;
  private final Peers peers;
  private final Messages messages;
  private final Presences presences;
  private final Queries queries;
  private final Extras extras;

  public ChatInstance(InstanceContext context) {
    super(context);
    this.config = context.services().config(ChatConfig.class);
    this.self = Jid.bare(context.owner(), config.domain());
    this.roster = new Roster(context.vault(), context.owner());
    this.archive = new Archive(context.vault(), context.owner());
    this.offline = new Offline(context.vault(), context.owner());
    this.extras = new Extras(this, context.vault());
    this.peers = new Peers(this, context.vault());
    this.messages = new Messages(this);
    this.presences = new Presences(this);
    this.queries = new Queries(this);
    serve(ChatBox.class, ChatBox.address(context.owner()), this);
  }

  @Override
  protected String fencedVault() {
    return owner();
  }

  @Override
  protected Future<Void> open() {
    return Future.all(roster.load(), archive.load(), offline.load(), extras.load(), peers.load())
        .compose(v -> listen(ServiceContext.DEVICE_LOST_ADDRESS, this::deviceLost))
        .onSuccess(
            v -> {
              peers.start();
              log.info(
                  "{}: chat of {} open at epoch {} ({} contacts, {} archived, {} offline)",
                  device(),
                  owner(),
                  epoch(),
                  roster.listed().size(),
                  archive.size(),
                  offline.size());
              // After the consumers are bound (a moment later), sessions attach again.
              vertx.setTimer(200, t -> vertx.eventBus().publish(ChatBox.STARTED_ADDRESS, owner()));
            });
  }

  @Override
  protected Future<Void> close() {
    peers.stop();
    return Future.succeededFuture();
  }

  // ChatBox

  @Override
  public Future<JsonObject> attach(JsonObject session) {
    String device = session.getString("device");
    String id = session.getString("session");
    if (device == null || id == null) {
      return Future.failedFuture(new IllegalArgumentException("device and session required"));
    }
    List<Resource> displaced = new ArrayList<>();
    Resource r = resources.bind(device, id, session.getString("resource", ""), displaced);
    r.carbons = session.getBoolean("carbons", false);
    displaced.forEach(d -> endSession(d, "conflict", "Replaced by a new connection"));
    String presence = session.getString("presence");
    if (presence != null) {
      r.presence = XmlElement.parse(presence, Ns.CLIENT);
      r.priority = Presences.priority(r.presence);
    }
    String since = session.getString("since");
    if (since != null) {
      messages.replay(r, since);
    }
    return Future.succeededFuture(new JsonObject().put("resource", r.name));
  }

  @Override
  public Future<JsonObject> unknown(String device, List<String> sessions) {
    JsonArray unknown = new JsonArray();
    sessions.stream().filter(s -> resources.session(device, s) == null).forEach(unknown::add);
    return Future.succeededFuture(new JsonObject().put("unknown", unknown));
  }

  @Override
  public Future<Void> detach(String device, String session) {
    Resource r = resources.remove(device, session);
    if (r != null && r.available()) {
      presences.wentAway(r);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<JsonObject> fromClient(
      String device, String session, String origin, String stanza) {
    Resource r = resources.session(device, session);
    if (r == null) {
      return Future.failedFuture(new ServiceFailure(409, "session not attached"));
    }
    XmlElement el = XmlElement.parse(stanza, Ns.CLIENT);
    Future<Void> handled =
        switch (el.name()) {
          case "message" -> messages.fromClient(r, origin, el);
          case "presence" -> presences.fromClient(r, el);
          case "iq" -> queries.fromClient(r, el);
          default -> Future.failedFuture(new IllegalArgumentException("not a stanza"));
        };
    return handled.map(v -> new JsonObject());
  }

  @Override
  public Future<JsonObject> deliver(String origin, String stanza) {
    XmlElement el = XmlElement.parse(stanza, Ns.CLIENT);
    Jid from = Jid.parseOrNull(el.attr("from"));
    if (from == null) {
      return Future.failedFuture(new IllegalArgumentException("stanza without a sender"));
    }
    if (extras.blocked(from.bare().toString())) {
      return Future.succeededFuture(new JsonObject().put("blocked", true));
    }
    Future<Void> handled =
        switch (el.name()) {
          case "message" -> messages.incoming(origin, el);
          case "presence" -> presences.incoming(el);
          case "iq" -> queries.incoming(el);
          default -> Future.failedFuture(new IllegalArgumentException("not a stanza"));
        };
    return handled.map(v -> new JsonObject());
  }

  private void deviceLost(Object device) {
    for (Resource r : resources.removeDevice(String.valueOf(device))) {
      log.info("{}: {}'s resource {} is gone with device {}", device(), owner(), r.name, device);
      if (r.available()) {
        presences.wentAway(r);
      }
    }
  }

  // What the parts share

  /** Sends {@code stanza} to one resource's session, wherever it is. */
  void send(Resource r, XmlElement stanza) {
    send(r, stanza, null);
  }

  /** Sends a message that the archive holds as {@code archiveId} to one resource's session. */
  void send(Resource r, XmlElement stanza, String archiveId) {
    DeliveryOptions options = new DeliveryOptions().addHeader(SESSION_HEADER, r.session);
    if (archiveId != null) {
      options.addHeader(ARCHIVE_ID_HEADER, archiveId);
    }
    vertx.eventBus().send(ChatBox.sessionsOf(r.device), stanza.toXml(Ns.CLIENT), options);
  }

  /** Ends a session with a stream error. */
  void endSession(Resource r, String condition, String text) {
    vertx
        .eventBus()
        .send(
            ChatBox.sessionsOf(r.device),
            new JsonObject().put("end", condition).put("text", text).encode(),
            new DeliveryOptions().addHeader(SESSION_HEADER, r.session).addHeader("kith-end", "1"));
  }

  /**
   * Sends {@code stanza} to the owner's resource named by its {@code to}, or every available one.
   */
  void sendToOwner(XmlElement stanza) {
    Jid to = Jid.parseOrNull(stanza.attr("to"));
    if (to != null && to.resource() != null) {
      Resource r = resources.named(to.resource());
      if (r != null) {
        send(r, stanza);
      }
      return;
    }
    for (Resource r : resources.available()) {
      send(r, stanza.toBuilder().attr("to", self.withResource(r.name).toString()).build());
    }
  }

  /** Answers a stanza from a resource with an error, unless it is an answer itself. */
  void reject(Resource r, XmlElement stanza, String type, String condition, String text) {
    if (!Stanzas.isAnswer(stanza)) {
      send(r, Stanzas.error(stanza, type, condition, text));
    }
  }

  /** The owner whose instance serves {@code jid}, or null when it is not an owner of this mesh. */
  String localOwner(Jid jid) {
    return jid != null && jid.local() != null && config.local(jid.domain()) ? jid.local() : null;
  }

  Jid self() {
    return self;
  }

  ChatConfig chatConfig() {
    return config;
  }

  Resources resources() {
    return resources;
  }

  Roster roster() {
    return roster;
  }

  Archive archive() {
    return archive;
  }

  Offline offline() {
    return offline;
  }

  Peers peers() {
    return peers;
  }

  Messages messages() {
    return messages;
  }

  Presences presences() {
    return presences;
  }

  Extras extras() {
    return extras;
  }

  io.vertx.core.Vertx vertx() {
    return vertx;
  }

  ServiceContext serviceContext() {
    return services();
  }

  String deviceName() {
    return device();
  }

  String ownerName() {
    return owner();
  }

  /** A failure that means this instance's epoch is over: stop serving. */
  void fenced(Throwable e) {
    if (e instanceof dev.kith.mesh.vault.Vault.Fenced f) {
      supersede(f);
    }
  }
}
