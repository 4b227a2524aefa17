package dev.kith.web;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of site files this device served lately, up to {@code web-cache-bytes}; when full, the
 * least recently used go first. An object never changes (its id is its content's hash), so an entry
 * is valid for as long as it stays. Reads take no lock: every event loop serves from it at once.
 */
final class ObjectCache {

  private static final class Entry {
    final Buffer data;
    volatile long used;

    Entry(Buffer data, long used) {
      this.data = data;
      this.used = used;
    }
  }

  private final long maxBytes;
  private final long maxEntryBytes;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong clock = new AtomicLong();
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  ObjectCache(long maxBytes) {
    this.maxBytes = maxBytes;
    this.maxEntryBytes = maxBytes / 8;
  }

  Buffer get(String id) {
    Entry e = entries.get(id);
    if (e == null) {
      return null;
    }
    e.used = clock.incrementAndGet();
    return e.data;
  }

  /** Whether an object of this size would be kept. */
  boolean fits(long size) {
    return size <= maxEntryBytes;
  }

  void put(String id, Buffer data) {
    if (!fits(data.length())) {
      return;
    }
    if (entries.putIfAbsent(id, new Entry(data, clock.incrementAndGet())) == null
        && bytes.addAndGet(data.length()) > maxBytes) {
      evict();
    }
  }

  /** Drops the least recently used entries until a quarter of the room is free again. */
  private synchronized void evict() {
    if (bytes.get() <= maxBytes) {
      return;
    }
    List<Map.Entry<String, Entry>> all = new ArrayList<>(entries.entrySet());
    all.sort(Comparator.comparingLong(e -> e.getValue().used));
    for (Map.Entry<String, Entry> e : all) {
      if (bytes.get() <= maxBytes * 3 / 4) {
        break;
      }
      if (entries.remove(e.getKey(), e.getValue())) {
        bytes.addAndGet(-e.getValue().data.length());
      }
    }
  }

  long bytes() {
    return bytes.get();
  }
}
