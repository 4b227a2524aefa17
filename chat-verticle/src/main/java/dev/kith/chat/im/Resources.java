package dev.kith.chat.im;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The owner's bound resources, by session and by name. */
final class Resources {

  private final Map<String, Resource> bySession = new LinkedHashMap<>();
  private final Map<String, Resource> byName = new LinkedHashMap<>();

  /**
   * Binds a session to {@code wanted} (or a new name when empty). A session that binds a resource
   * another session holds takes it over; the other is returned in {@code displaced} so the caller
   * ends it with a {@code conflict} stream error, as RFC 6120 §7.7.2.2 allows.
   */
  Resource bind(String device, String session, String wanted, List<Resource> displaced) {
    Resource old = bySession.remove(Resource.key(device, session));
    if (old != null) {
      byName.remove(old.name);
    }
    String name = wanted == null || wanted.isEmpty() ? fresh() : wanted;
    Resource holder = byName.remove(name);
    if (holder != null) {
      bySession.remove(holder.key());
      displaced.add(holder);
    }
    Resource r = new Resource(device, session, name);
    if (old != null && old.name.equals(name)) {
      r.presence = old.presence;
      r.priority = old.priority;
      r.carbons = old.carbons;
    }
    bySession.put(r.key(), r);
    byName.put(name, r);
    return r;
  }

  Resource remove(String device, String session) {
    Resource r = bySession.remove(Resource.key(device, session));
    if (r != null) {
      byName.remove(r.name);
    }
    return r;
  }

  /** Every resource on {@code device}: the device was lost. */
  List<Resource> removeDevice(String device) {
    List<Resource> gone = new ArrayList<>();
    for (Resource r : List.copyOf(bySession.values())) {
      if (r.device.equals(device)) {
        remove(r.device, r.session);
        gone.add(r);
      }
    }
    return gone;
  }

  Resource session(String device, String session) {
    return bySession.get(Resource.key(device, session));
  }

  Resource named(String name) {
    return byName.get(name);
  }

  Collection<Resource> all() {
    return bySession.values();
  }

  List<Resource> available() {
    return bySession.values().stream().filter(Resource::available).toList();
  }

  /**
   * The resources a message to the bare address goes to (RFC 6121 §8.5.2.1.1): the available ones
   * of the highest non-negative priority.
   */
  List<Resource> chatTargets() {
    int best = Integer.MIN_VALUE;
    for (Resource r : bySession.values()) {
      if (r.available() && r.priority >= 0) {
        best = Math.max(best, r.priority);
      }
    }
    int top = best;
    return bySession.values().stream()
        .filter(r -> r.available() && r.priority >= 0 && r.priority == top)
        .toList();
  }

  private String fresh() {
    String name;
    do {
      name = "kith-" + UUID.randomUUID().toString().substring(0, 8);
    } while (byName.containsKey(name));
    return name;
  }
}
