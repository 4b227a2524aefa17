package dev.kith.web;

import io.vertx.core.buffer.Buffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bytes of site files this device served lately, least recently used out first, up to {@code
 * web-cache-bytes}. An object never changes (its id is its content's hash), so an entry is valid
 * for as long as it stays.
 */
final class ObjectCache {

  private final long maxBytes;
  private final long maxEntryBytes;
  private long bytes;
  private final LinkedHashMap<String, Buffer> entries = new LinkedHashMap<>(256, 0.75f, true);

  ObjectCache(long maxBytes) {
    this.maxBytes = maxBytes;
    this.maxEntryBytes = maxBytes / 8;
  }

  synchronized Buffer get(String id) {
    return entries.get(id);
  }

  /** Whether an object of this size would be kept. */
  boolean fits(long size) {
    return size <= maxEntryBytes;
  }

  synchronized void put(String id, Buffer data) {
    if (!fits(data.length()) || entries.containsKey(id)) {
      return;
    }
    entries.put(id, data);
    bytes += data.length();
    var it = entries.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      Map.Entry<String, Buffer> eldest = it.next();
      bytes -= eldest.getValue().length();
      it.remove();
    }
  }

  synchronized long bytes() {
    return bytes;
  }
}
