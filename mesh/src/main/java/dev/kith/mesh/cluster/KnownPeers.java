package dev.kith.mesh.cluster;

import dev.kith.mesh.config.HomeModes;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster addresses of the other devices of this device's mesh, kept in {@code HOME/peers.json}
 * ({@code {"pi.alice": "10.0.0.5:5701", ...}}), so that a device finds its mesh again after a
 * restart without {@code --join}. A device learns them when it enrolls (the join token and the
 * enrollment's answer name the mesh's devices) and from the device registry while it runs; a
 * removed device is forgotten.
 *
 * <p>Hazelcast joins only the addresses it is given, so these are what a device joins besides the
 * configured {@code join}; they are not secret (every member sees them), but the file is 0600 like
 * every file of the home.
 */
public final class KnownPeers {

  /** At most this many peers are kept: every one is tried at each join. */
  public static final int MAX_PEERS = 32;

  private static final int MAX_FILE_BYTES = 64 * 1024;

  private KnownPeers() {}

  /** Where the peers are kept. */
  public static Path file(Path home) {
    return home.resolve("peers.json");
  }

  /**
   * The peers kept in {@code home}, device name to {@code HOST:PORT}; empty when there is no file.
   *
   * @throws IOException when the file cannot be read or is not a map of names to addresses
   */
  public static Map<String, String> load(Path home) throws IOException {
    Path file = file(home);
    Map<String, String> peers = new LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      return peers;
    }
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    try {
      JsonObject json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      for (String name : json.fieldNames()) {
        if (json.getValue(name) instanceof String address && isHostAndPort(address)) {
          peers.put(name, address);
        }
      }
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a JSON map of device names to HOST:PORT", e);
    }
    return peers;
  }

  /** Replaces the kept peers with {@code peers} (at most {@link #MAX_PEERS}), atomically. */
  public static void save(Path home, Map<String, String> peers) throws IOException {
    JsonObject json = new JsonObject();
    peers.entrySet().stream().limit(MAX_PEERS).forEach(e -> json.put(e.getKey(), e.getValue()));
    Path file = file(home);
    Path tmp = Files.createTempFile(home, ".peers", ".tmp", HomeModes.FILE);
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(json.encode().getBytes(StandardCharsets.UTF_8)));
        channel.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Adds {@code learned} to the kept peers (newer addresses win) and saves them if they changed.
   */
  public static boolean remember(Path home, Map<String, String> learned) throws IOException {
    Map<String, String> kept = load(home);
    Map<String, String> merged = new LinkedHashMap<>(kept);
    merged.putAll(learned);
    if (merged.equals(kept)) {
      return false;
    }
    save(home, merged);
    return true;
  }

  /** The addresses to join: the configured ones first, then the known peers, each once. */
  public static List<String> joinList(List<String> configured, Map<String, String> known) {
    Set<String> members = new LinkedHashSet<>(configured);
    members.addAll(known.values());
    return new ArrayList<>(members);
  }

  /** Whether {@code value} looks like {@code HOST:PORT}. */
  public static boolean isHostAndPort(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || value.length() > 300) {
      return false;
    }
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      return port > 0
          && port <= 65535
          && value.substring(0, colon).matches("[A-Za-z0-9._:\\[\\]-]{1,253}");
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
