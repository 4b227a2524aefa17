package dev.kith.mail.outbound;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny SMTP server on loopback for the outbound tests, with behaviours GreenMail lacks: it
 * answers 550 for recipients whose local part starts with {@code reject}, and it can wait before
 * answering the final dot (a slow remote), which widens the window in which the sender may be
 * killed. A message counts as received as soon as its final dot arrives, as a real server would
 * keep it, even if the client dies before reading the 250.
 */
final class OutboundTestRelay implements AutoCloseable {

  private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*<([^>]+)>");

  /** One message as received. */
  record Received(String from, String rcpt, String messageId, byte[] data) {}

  private final ServerSocket server;
  private final long delayAfterDotMillis;
  private final Queue received = new Queue();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private static final class Queue extends ConcurrentLinkedQueue<Received> {}

  OutboundTestRelay(int port, long delayAfterDotMillis) throws IOException {
    this.delayAfterDotMillis = delayAfterDotMillis;
    server = bind(port);
    Thread accept = new Thread(this::acceptLoop, "test-relay-" + port);
    accept.setDaemon(true);
    accept.start();
  }

  /**
   * Binds the port, trying again for a while: the relay of the test before may still hold it for a
   * moment (a connection it accepted while it closed).
   */
  private static ServerSocket bind(int port) throws IOException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (true) {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      try {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return socket;
      } catch (java.net.BindException e) {
        socket.close();
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  List<Received> received() {
    return List.copyOf(received);
  }

  /** How many times a message with this Message-ID arrived. */
  long count(String messageId) {
    return received.stream().filter(r -> messageId.equals(r.messageId())).count();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket socket = server.accept();
        open.add(socket);
        if (closed) {
          // Accepted while close() ran: close() may have missed it.
          socket.close();
          return;
        }
        Thread t = new Thread(() -> session(socket), "test-relay-session");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void session(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      reply(out, "220 test-relay ESMTP");
      String from = null;
      String rcpt = null;
      while (true) {
        String line = readLine(in);
        if (line == null) {
          return;
        }
        String upper = line.toUpperCase(Locale.ROOT);
        if (upper.startsWith("EHLO")) {
          reply(out, "250-test-relay\r\n250-8BITMIME\r\n250 SIZE 10000000");
        } else if (upper.startsWith("HELO")
            || upper.startsWith("RSET")
            || upper.startsWith("NOOP")) {
          reply(out, "250 ok");
        } else if (upper.startsWith("MAIL FROM:")) {
          from = address(line);
          reply(out, "250 ok");
        } else if (upper.startsWith("RCPT TO:")) {
          String to = address(line);
          if (to.toLowerCase(Locale.ROOT).startsWith("reject")) {
            reply(out, "550 5.1.1 <" + to + ">: no such user here");
          } else {
            rcpt = to;
            reply(out, "250 ok");
          }
        } else if (upper.startsWith("DATA")) {
          if (rcpt == null) {
            reply(out, "503 5.5.1 no valid recipients");
            continue;
          }
          reply(out, "354 go ahead");
          byte[] data = readData(in);
          if (data == null) {
            return;
          }
          Matcher m = MESSAGE_ID.matcher(new String(data, StandardCharsets.ISO_8859_1));
          received.add(new Received(from, rcpt, m.find() ? m.group(1) : null, data));
          if (delayAfterDotMillis > 0) {
            Thread.sleep(delayAfterDotMillis);
          }
          reply(out, "250 2.0.0 queued");
          from = null;
          rcpt = null;
        } else if (upper.startsWith("QUIT")) {
          reply(out, "221 bye");
          return;
        } else {
          reply(out, "502 5.5.2 not implemented");
        }
      }
    } catch (IOException | InterruptedException e) {
      // The client went away.
    } finally {
      open.remove(socket);
    }
  }

  private static String address(String line) {
    int lt = line.indexOf('<');
    int gt = line.indexOf('>', lt + 1);
    return lt >= 0 && gt > lt ? line.substring(lt + 1, gt) : line.substring(line.indexOf(':') + 1);
  }

  private static void reply(OutputStream out, String text) throws IOException {
    out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return null;
  }

  /** The data up to the line holding only a dot, with dot-stuffing undone; null on EOF. */
  private static byte[] readData(InputStream in) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    while (true) {
      String line = readLine(in);
      if (line == null) {
        return null;
      }
      if (line.equals(".")) {
        return data.toByteArray();
      }
      if (line.startsWith(".")) {
        line = line.substring(1);
      }
      data.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
