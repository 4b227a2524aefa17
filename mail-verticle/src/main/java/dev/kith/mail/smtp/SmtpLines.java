package dev.kith.mail.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * What a session reads from its connection, between the socket and subethasmtp, so that a line
 * ending in a bare LF gets an answer instead of a hang: subethasmtp's command reader waits for a
 * CRLF that such a client never sends. Outside DATA, this hands on one command line per read; a
 * line that ends in a bare LF is replaced by the line {@value #BARE_LF_VERB}, which {@link
 * SmtpCommands} answers {@code 500 5.5.2}. The bytes of a message pass unchanged (its bare LFs are
 * the transaction's business, and {@code <LF>.<LF>} never ends it), from the {@code 354} that
 * starts DATA to the {@code <CRLF>.<CRLF>} that ends it. Handing on no more than the current line
 * is what lets it tell the two apart: the next read comes only after subethasmtp has answered the
 * line, and {@link SmtpReplies} says whether that answer was {@code 354}.
 *
 * <p>After STARTTLS it passes bytes through (TLS runs over it), and drops the plaintext a client
 * sent after the STARTTLS line, before the handshake: commands injected there must not run inside
 * the TLS session.
 */
final class SmtpLines extends InputStream {

  /** The command a bare-LF line becomes; not one a client would send. */
  static final String BARE_LF_VERB = "X-KITH-BARE-LF";

  /** Past subethasmtp's own limit of 998, so that it still answers a line that is too long. */
  private static final int MAX_LINE = 1024;

  private static final byte[] BARE_LF_LINE =
      (BARE_LF_VERB + "\r\n").getBytes(StandardCharsets.US_ASCII);
  private static final long END_OF_DATA = 0x0D0A2E0D0AL;
  private static final long WINDOW_MASK = 0xFF_FFFF_FFFFL;

  private enum Mode {
    COMMAND,
    DATA,
    PASS
  }

  private final InputStream in;
  private final SmtpReplies replies;
  private final byte[] buffer = new byte[16 * 1024];
  private int pos;
  private int limit;
  private byte[] substitute;
  private int substitutePos;
  private Mode mode = Mode.COMMAND;
  private boolean lastWasCr;
  private boolean afterDataCommand;
  private long window;

  SmtpLines(InputStream in, SmtpReplies replies) {
    this.in = in;
    this.replies = replies;
  }

  /**
   * From now on every byte passes unchanged (STARTTLS has begun); what was read ahead is dropped.
   */
  synchronized void passThrough() {
    mode = Mode.PASS;
    pos = limit;
    substitute = null;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (substitute != null) {
      return fromSubstitute(b, off, len);
    }
    if (mode == Mode.PASS) {
      return in.read(b, off, len);
    }
    if (afterDataCommand) {
      afterDataCommand = false;
      if (replies.lastCode() == 354) {
        mode = Mode.DATA;
        // The CRLF that ended the DATA line counts: an empty message ends with ".\r\n" alone.
        window = 0x0D0AL;
      }
    }
    return mode == Mode.DATA ? readData(b, off, len) : readCommand(b, off, len);
  }

  private int readCommand(byte[] b, int off, int len) throws IOException {
    while (true) {
      int lf = indexOfLf();
      if (lf >= 0) {
        boolean bare = lf == pos ? !lastWasCr : buffer[lf - 1] != '\r';
        int end = lf + 1;
        if (bare) {
          pos = end;
          lastWasCr = false;
          substitute = BARE_LF_LINE;
          substitutePos = 0;
          return fromSubstitute(b, off, len);
        }
        int n = Math.min(len, end - pos);
        if (n == end - pos) {
          afterDataCommand = isDataLine(pos, end);
        }
        return deliver(b, off, n);
      }
      if (limit - pos >= MAX_LINE) {
        // Too long for a command; subethasmtp answers it and ends the session.
        return deliver(b, off, Math.min(len, limit - pos));
      }
      if (!fill()) {
        return limit > pos ? deliver(b, off, Math.min(len, limit - pos)) : -1;
      }
    }
  }

  private int readData(byte[] b, int off, int len) throws IOException {
    if (pos == limit && !fill()) {
      return -1;
    }
    int n = Math.min(len, limit - pos);
    for (int i = 0; i < n; i++) {
      window = ((window << 8) | (buffer[pos + i] & 0xff)) & WINDOW_MASK;
      if (window == END_OF_DATA) {
        mode = Mode.COMMAND;
        n = i + 1;
        break;
      }
    }
    return deliver(b, off, n);
  }

  private int deliver(byte[] b, int off, int n) {
    System.arraycopy(buffer, pos, b, off, n);
    pos += n;
    lastWasCr = buffer[pos - 1] == '\r';
    return n;
  }

  private int fromSubstitute(byte[] b, int off, int len) {
    int n = Math.min(len, substitute.length - substitutePos);
    System.arraycopy(substitute, substitutePos, b, off, n);
    substitutePos += n;
    if (substitutePos == substitute.length) {
      substitute = null;
    }
    return n;
  }

  private int indexOfLf() {
    for (int i = pos; i < limit; i++) {
      if (buffer[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private boolean isDataLine(int from, int end) {
    // subethasmtp finds a command by its first four letters, so "DATAX" runs DATA too.
    return end - from >= 6
        && new String(buffer, from, 4, StandardCharsets.US_ASCII).equalsIgnoreCase("DATA");
  }

  /** Reads more from the connection; false at its end. */
  private boolean fill() throws IOException {
    if (pos > 0) {
      System.arraycopy(buffer, pos, buffer, 0, limit - pos);
      limit -= pos;
      pos = 0;
    }
    int n = in.read(buffer, limit, buffer.length - limit);
    if (n < 0) {
      return false;
    }
    limit += n;
    return true;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
