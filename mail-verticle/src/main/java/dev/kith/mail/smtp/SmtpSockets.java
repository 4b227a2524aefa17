package dev.kith.mail.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket of the SMTP edge. It enforces the connection limit itself, in the accept
 * loop: a connection over {@code smtp-max-connections} gets {@code 421 4.7.0} and is closed at
 * once, before it takes a session thread, so a flood of connections costs a write and a close each
 * and cannot starve the sessions already running. It counts open sessions for the {@code
 * kith_smtp_sessions} gauge, gives each session's replies their enhanced status codes ({@link
 * SmtpReplies}) and answers its bare-LF lines ({@link SmtpLines}).
 */
final class SmtpSockets extends ServerSocket {

  private static final Logger log = LoggerFactory.getLogger(SmtpSockets.class);
  private static final byte[] TOO_MANY =
      "421 4.7.0 Too many connections; try again later\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final long REFUSAL_LOG_EVERY = 100;

  private final String device;
  private final int maxConnections;
  private final AtomicInteger open;
  private final AtomicLong refused = new AtomicLong();

  SmtpSockets(String device, int maxConnections, AtomicInteger open) throws IOException {
    this.device = device;
    this.maxConnections = maxConnections;
    this.open = open;
  }

  @Override
  public Socket accept() throws IOException {
    while (true) {
      Connection socket = new Connection(open);
      implAccept(socket);
      if (open.incrementAndGet() <= maxConnections) {
        socket.counted = true;
        return socket;
      }
      open.decrementAndGet();
      refuse(socket);
    }
  }

  private void refuse(Socket socket) {
    long count = refused.incrementAndGet();
    if (count % REFUSAL_LOG_EVERY == 1) {
      log.warn(
          "{} refuses SMTP connections over its limit of {} ({} refused so far)",
          device,
          maxConnections,
          count);
    }
    try (socket) {
      socket.setSoTimeout(1_000);
      OutputStream out = socket.getOutputStream();
      out.write(TOO_MANY);
      out.flush();
    } catch (IOException e) {
      // The client left first; nothing to tell it.
    }
  }

  /** An accepted connection: counted while open, its replies given enhanced status codes. */
  static final class Connection extends Socket {

    private final AtomicInteger open;
    private volatile boolean counted;
    private boolean closed;
    private SmtpReplies replies;
    private SmtpLines lines;

    Connection(AtomicInteger open) {
      this.open = open;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (replies == null) {
        replies = new SmtpReplies(super.getOutputStream());
      }
      return replies;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (lines == null) {
        lines = new SmtpLines(super.getInputStream(), (SmtpReplies) getOutputStream());
      }
      return lines;
    }

    /** The plain streams, for TLS to run over. */
    synchronized void startTls() throws IOException {
      ((SmtpReplies) getOutputStream()).passThrough();
      ((SmtpLines) getInputStream()).passThrough();
    }

    @Override
    public void close() throws IOException {
      synchronized (this) {
        if (!closed) {
          closed = true;
          if (counted) {
            open.decrementAndGet();
          }
        }
      }
      super.close();
    }
  }
}
