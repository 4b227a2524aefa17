package dev.kith.mesh.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lists the internet sockets that one Linux process holds, by matching the socket inodes in {@code
 * /proc/<pid>/fd} against the tables in {@code /proc/<pid>/net/{tcp,tcp6,udp,udp6}}, which show the
 * process's own network namespace. Tests use it to prove that a device talks to nobody beyond
 * loopback. The kernel prints each address as 32-bit words in host byte order, which {@link
 * #parseAddress(String)} undoes for IPv4 and IPv6 alike; IPv4-mapped IPv6 addresses come back as
 * IPv4 addresses.
 */
public final class ProcSockets {

  private static final List<String> TABLES = List.of("tcp", "tcp6", "udp", "udp6");
  private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");
  private static final Map<String, String> TCP_STATES =
      Map.ofEntries(
          Map.entry("01", "ESTABLISHED"),
          Map.entry("02", "SYN_SENT"),
          Map.entry("03", "SYN_RECV"),
          Map.entry("04", "FIN_WAIT1"),
          Map.entry("05", "FIN_WAIT2"),
          Map.entry("06", "TIME_WAIT"),
          Map.entry("07", "CLOSE"),
          Map.entry("08", "CLOSE_WAIT"),
          Map.entry("09", "LAST_ACK"),
          Map.entry("0A", "LISTEN"),
          Map.entry("0B", "CLOSING"));

  private ProcSockets() {}

  /**
   * One socket from a {@code /proc/net} table. {@code state} is the TCP state name; for UDP, {@code
   * ESTABLISHED} means connected and {@code CLOSE} means unconnected.
   */
  public record Socket(
      String protocol,
      InetSocketAddress local,
      InetSocketAddress remote,
      String state,
      long inode) {

    /** Whether the socket has a peer: a TCP connection, or a connected UDP socket. */
    public boolean hasRemote() {
      return remote.getPort() != 0 || !remote.getAddress().isAnyLocalAddress();
    }

    /** Whether the peer, if any, is on this machine's loopback. */
    public boolean remoteIsLoopback() {
      return remote.getAddress().isLoopbackAddress();
    }

    @Override
    public String toString() {
      return protocol + " " + format(local) + " -> " + format(remote) + " " + state;
    }

    private static String format(InetSocketAddress address) {
      return address.getAddress().getHostAddress() + ":" + address.getPort();
    }
  }

  /** The TCP and UDP sockets that process {@code pid} holds open right now. */
  public static List<Socket> socketsOf(long pid) throws IOException {
    Path proc = Path.of("/proc", String.valueOf(pid));
    Set<Long> inodes = socketInodes(proc.resolve("fd"));
    List<Socket> sockets = new ArrayList<>();
    for (String table : TABLES) {
      Path file = proc.resolve("net").resolve(table);
      if (Files.exists(file)) {
        for (Socket socket : parseTable(table, Files.readString(file))) {
          if (inodes.contains(socket.inode())) {
            sockets.add(socket);
          }
        }
      }
    }
    return sockets;
  }

  private static Set<Long> socketInodes(Path fdDir) throws IOException {
    Set<Long> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
      for (Path fd : fds) {
        try {
          Matcher matcher = SOCKET_LINK.matcher(Files.readSymbolicLink(fd).toString());
          if (matcher.matches()) {
            inodes.add(Long.parseLong(matcher.group(1)));
          }
        } catch (NoSuchFileException e) {
          // The descriptor closed while we listed the folder; it holds no socket any more.
        }
      }
    }
    return inodes;
  }

  /** Parses one {@code /proc/net/{tcp,tcp6,udp,udp6}} table, header line included. */
  public static List<Socket> parseTable(String protocol, String table) {
    List<Socket> sockets = new ArrayList<>();
    String[] lines = table.split("\n");
    for (int i = 1; i < lines.length; i++) {
      String[] fields = lines[i].trim().split("\\s+");
      if (fields.length < 10) {
        continue;
      }
      String state = TCP_STATES.getOrDefault(fields[3], fields[3]);
      sockets.add(
          new Socket(
              protocol,
              parseEndpoint(fields[1]),
              parseEndpoint(fields[2]),
              state,
              Long.parseLong(fields[9])));
    }
    return sockets;
  }

  /** Parses {@code ADDRESS:PORT} as the kernel prints it, for example {@code 0100007F:1F90}. */
  public static InetSocketAddress parseEndpoint(String endpoint) {
    int colon = endpoint.indexOf(':');
    return new InetSocketAddress(
        parseAddress(endpoint.substring(0, colon)),
        Integer.parseInt(endpoint.substring(colon + 1), 16));
  }

  /**
   * Parses an address as the kernel prints it: 8 hex digits for IPv4, 32 for IPv6, each group of 8
   * being one 32-bit word in host byte order. {@code 0100007F} is 127.0.0.1 on a little-endian
   * machine.
   */
  public static InetAddress parseAddress(String hex) {
    if (hex.length() != 8 && hex.length() != 32) {
      throw new IllegalArgumentException("Not a /proc/net address: " + hex);
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      long value = Long.parseLong(hex.substring(word * 8, word * 8 + 8), 16);
      for (int i = 0; i < 4; i++) {
        int shift = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 8 * i : 8 * (3 - i);
        bytes[word * 4 + i] = (byte) (value >>> shift);
      }
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("Not an address: " + hex, e);
    }
  }
}
