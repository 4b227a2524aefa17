package dev.kith.mail.imap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw IMAP client for tests that check exact replies: it sends a command with the next tag and
 * reads every line up to the tagged reply, literals included (a literal's bytes are appended to its
 * line, so a FETCH with a body reads as one line).
 */
final class ImapClient implements AutoCloseable {

  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final String greeting;
  private int tag;

  /** What a command got: its untagged lines and its tagged reply (without the tag). */
  record Reply(List<String> untagged, String tagged) {
    boolean ok() {
      return tagged.startsWith("OK");
    }

    String all() {
      return String.join("\n", untagged) + "\n" + tagged;
    }
  }

  ImapClient(int port) throws IOException {
    this(port, "127.0.0.1");
  }

  /** A connection from the loopback address {@code from} (127.0.0.x), for per-address limits. */
  ImapClient(int port, String from) throws IOException {
    socket = new Socket("127.0.0.1", port, java.net.InetAddress.getByName(from), 0);
    socket.setSoTimeout(30_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
    greeting = readLine();
  }

  /** A connection with TLS from the start (RFC 8314), trusting what {@code tls} trusts. */
  ImapClient(int port, javax.net.ssl.SSLContext tls) throws IOException {
    javax.net.ssl.SSLSocket ssl =
        (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
    ssl.setSoTimeout(30_000);
    ssl.startHandshake();
    socket = ssl;
    in = socket.getInputStream();
    out = socket.getOutputStream();
    greeting = readLine();
  }

  /** Starts TLS over this connection, after the server said OK to STARTTLS. */
  void startTls(javax.net.ssl.SSLContext tls) throws IOException {
    javax.net.ssl.SSLSocket ssl =
        (javax.net.ssl.SSLSocket)
            tls.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
    ssl.setUseClientMode(true);
    ssl.startHandshake();
    socket = ssl;
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** A client logged in as {@code user}. */
  static ImapClient login(int port, String user, String password) throws IOException {
    ImapClient client = new ImapClient(port);
    Reply login = client.command("LOGIN " + quote(user) + " " + quote(password));
    if (!login.ok()) {
      client.close();
      throw new AssertionError("LOGIN " + user + ": " + login.all());
    }
    return client;
  }

  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  String greeting() {
    return greeting;
  }

  /** Sends {@code A<n> command} and reads its reply. */
  Reply command(String command) throws IOException {
    String t = "A" + (++tag);
    send(t + " " + command + "\r\n");
    return readReply(t);
  }

  /** A new tag, for a command the test sends in parts. */
  String nextTag() {
    return "A" + (++tag);
  }

  /** Sends raw bytes: a line of a command in parts, a literal, DONE. */
  void send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads lines up to the one tagged {@code t}. */
  Reply readReply(String t) throws IOException {
    List<String> untagged = new ArrayList<>();
    while (true) {
      String line = readLine();
      if (line == null) {
        throw new IOException("connection closed before the reply to " + t + "; got " + untagged);
      }
      if (line.startsWith(t + " ")) {
        return new Reply(untagged, line.substring(t.length() + 1));
      }
      untagged.add(line);
    }
  }

  /** Reads one response line, with any literals it announces appended; null at end of stream. */
  String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int end =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        int open = text.lastIndexOf('{');
        if (text.endsWith("}")
            && open >= 0
            && text.substring(open + 1, text.length() - 1).matches("\\d+")) {
          int n = Integer.parseInt(text.substring(open + 1, text.length() - 1));
          line.reset();
          line.write(bytes, 0, end);
          line.write('\n');
          line.write(in.readNBytes(n));
          continue;
        }
        return text;
      }
      line.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** The number of response code {@code code} ({@code [UIDVALIDITY 7]}) in {@code lines}. */
  static long code(List<String> lines, String code) {
    for (String l : lines) {
      int at = l.indexOf("[" + code + " ");
      if (at >= 0) {
        return Long.parseLong(l.substring(at + code.length() + 2, l.indexOf(']', at)));
      }
    }
    throw new AssertionError("no " + code + " in " + lines);
  }
}
