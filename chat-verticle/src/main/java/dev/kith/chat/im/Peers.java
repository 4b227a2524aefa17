package dev.kith.chat.im;

import dev.kith.chat.Ns;
import dev.kith.chat.api.ChatBox;
import dev.kith.chat.xml.XmlElement;
import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stanzas from this owner to other owners of the mesh, through their instances. A message or
 * subscription stanza that the other owner's instance cannot take now (none of their devices is up,
 * or it is moving) waits in this owner's outbox, a record {@code chat/outbox/<id>} each, and is
 * tried again every few seconds, in order, per recipient; a recipient with a waiting stanza gets
 * later ones through the outbox too, so order holds. Presence broadcasts and queries do not wait.
 */
final class Peers {

  private static final Logger log = LoggerFactory.getLogger(Peers.class);

  static final String PREFIX = "chat/outbox/";
  private static final long RETRY_MILLIS = 2_000;
  private static final int MAX_WAITING = 10_000;

  private record Waiting(String key, String to, String origin, String stanza) {}

  private final ChatInstance chat;
  private final Vault vault;
  private final Map<String, Deque<Waiting>> outbox = new LinkedHashMap<>();
  private final Set<String> sending = new HashSet<>();
  private int waitingCount;
  private long timer = -1;

  Peers(ChatInstance chat, Vault vault) {
    this.chat = chat;
    this.vault = vault;
  }

  Future<Void> load() {
    return Scans.each(
        vault,
        owner(),
        PREFIX,
        r -> {
          JsonObject v = new JsonObject(r.value());
          queue(
              new Waiting(
                  r.key(), v.getString("to"), v.getString("origin"), v.getString("stanza")));
        });
  }

  void start() {
    timer = chat.vertx().setPeriodic(RETRY_MILLIS, t -> retryAll());
  }

  void stop() {
    if (timer >= 0) {
      chat.vertx().cancelTimer(timer);
    }
  }

  /**
   * Delivers {@code stanza} to {@code toOwner}'s instance. With {@code keep}, a stanza it cannot
   * take now waits in the outbox and the future succeeds once the outbox holds it; without, the
   * future fails.
   */
  Future<Void> send(String toOwner, String origin, XmlElement stanza, boolean keep) {
    String xml = stanza.toXml(Ns.CLIENT);
    if (keep && outbox.containsKey(toOwner)) {
      return persist(toOwner, origin, xml);
    }
    return box(toOwner)
        .deliver(origin, xml)
        .<Void>mapEmpty()
        .recover(
            e -> {
              if (!keep || !retryable(e)) {
                return Future.failedFuture(e);
              }
              log.info(
                  "{}: {}'s instance cannot take a stanza from {} now ({}); it waits in the outbox",
                  chat.deviceName(),
                  toOwner,
                  owner(),
                  e.getMessage());
              return persist(toOwner, origin, xml);
            });
  }

  /** Whether the recipient may take it later: its instance is moving or absent (503). */
  static boolean retryable(Throwable e) {
    if (e instanceof ServiceFailure f) {
      return f.status() == 503;
    }
    if (e instanceof ReplyException r) {
      return r.failureCode() == 503 || r.failureCode() < 0;
    }
    return true;
  }

  private Future<Void> persist(String toOwner, String origin, String xml) {
    if (waitingCount >= MAX_WAITING) {
      return Future.failedFuture(new ServiceFailure(503, "the outbox is full"));
    }
    String key = PREFIX + chat.archive().nextId();
    JsonObject value = new JsonObject().put("to", toOwner).put("origin", origin).put("stanza", xml);
    return vault
        .putRecord(owner(), key, value)
        .map(
            v -> {
              queue(new Waiting(key, toOwner, origin, xml));
              return null;
            });
  }

  private void queue(Waiting w) {
    outbox.computeIfAbsent(w.to(), t -> new ArrayDeque<>()).add(w);
    waitingCount++;
  }

  private void retryAll() {
    for (String to : Set.copyOf(outbox.keySet())) {
      if (sending.add(to)) {
        drain(to);
      }
    }
  }

  private void drain(String to) {
    Deque<Waiting> queue = outbox.get(to);
    Waiting next = queue == null ? null : queue.peek();
    if (next == null) {
      outbox.remove(to);
      sending.remove(to);
      return;
    }
    box(to)
        .deliver(next.origin(), next.stanza())
        .compose(v -> vault.deleteRecord(owner(), next.key()))
        .onSuccess(
            v -> {
              queue.poll();
              waitingCount--;
              if (queue.isEmpty()) {
                outbox.remove(to);
              }
              drain(to);
            })
        .onFailure(
            e -> {
              sending.remove(to);
              chat.fenced(e);
              if (!retryable(e)) {
                log.warn(
                    "{}: {}'s instance refused a waiting stanza from {} ({}); it is dropped",
                    chat.deviceName(),
                    to,
                    owner(),
                    e.getMessage());
                queue.poll();
                waitingCount--;
                vault.deleteRecord(owner(), next.key());
              }
            });
  }

  private ChatBox box(String owner) {
    return chat.serviceContext().proxy(ChatBox.class, ChatBox.address(owner));
  }

  private String owner() {
    return chat.ownerName();
  }
}
