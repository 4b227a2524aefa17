package dev.kith.mail.imap;

import dev.kith.mail.imap.ImapCommandReader.Bad;
import dev.kith.mail.imap.ImapCommandReader.Complete;
import dev.kith.mail.imap.ImapCommandReader.Literal;
import dev.kith.mail.imap.ImapCommandReader.LiteralKind;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads IMAP commands from a connection's bytes as they arrive, in chunks split anywhere: a
 * session's socket handler feeds it every chunk, and it calls back with each complete command (or
 * why one was refused) without ever blocking or waiting for more than is there. It frames the bytes
 * into command lines and literal octets, enforces the limits on both (so that a client can make it
 * hold no more than one command, bounded), and keeps the stream in step when a command is refused:
 * a non-synchronizing literal that follows a refused line is skipped, not read as commands. The
 * grammar of the lines is {@link ImapCommandReader}'s.
 *
 * <p>A synchronizing literal {@code {n}} is announced to the listener with {@link
 * Listener#literalWanted}; the session must then send {@code + Ready for literal data}, and the
 * parser reads the octets when they come. Not thread-safe: one connection, one event loop.
 */
final class ImapParser {

  private static final Logger log = LoggerFactory.getLogger(ImapParser.class);

  /** RFC 7888: the largest non-synchronizing literal LITERAL- allows. */
  static final long LITERAL_MINUS_MAX = 4096;

  /** How far past the literal limit the literals of one command may add up (its other strings). */
  static final long LITERAL_TOTAL_MARGIN = 64 * 1024;

  /** The line ends kept while a refused line is discarded: enough for a literal's {@code {n+}}. */
  private static final int TAIL = 64;

  private static final int INITIAL_LINE = 256;

  /** What the parser tells the session. Called on the thread that calls {@link #handle}. */
  interface Listener {
    /** A complete command. */
    void command(ImapCommand command);

    /**
     * A synchronizing literal of {@code size} octets was announced and is within the limits: send
     * {@code + Ready for literal data} now. The parser goes on reading its octets.
     */
    void literalWanted(String tag, long size);

    /** A line asked for with {@link #rawLine()}, without its CRLF. */
    void line(String text);

    /**
     * A command that cannot be read or breaks a limit. {@code tag} is its tag, or null when none
     * could be read (answer untagged). {@code reply} is the response after the tag, such as {@code
     * BAD Missing command name}. When {@code fatal}, the stream cannot be followed any more: send
     * {@code * BYE} and close; the parser ignores whatever comes after.
     */
    void refused(String tag, String reply, boolean fatal);
  }

  private enum State {
    /** Reading a command line (or a raw line). */
    LINE,
    /** Reading a literal's octets. */
    LITERAL,
    /** Dropping the rest of a refused line, keeping its end to see if a literal follows it. */
    DISCARD_LINE,
    /** Dropping the octets of a non-synchronizing literal of a refused command. */
    SKIP_LITERAL,
    /** After a fatal refusal: nothing more is read. */
    CLOSED
  }

  private final int maxLineBytes;
  private final long maxLiteralBytes;
  private final long maxCommandLiteralBytes;
  private final Listener listener;
  private final ImapCommandReader reader = new ImapCommandReader();

  private State state = State.LINE;
  private byte[] line = new byte[INITIAL_LINE];
  private int lineLength;

  /** A command is under way: a line of it ended in a literal. */
  private boolean inCommand;

  private long commandLineBytes;
  private long commandLiteralBytes;
  private boolean rawWanted;

  /** Octets left of the literal being read or skipped. */
  private long remaining;

  private Buffer literal;

  /** The tag of the command whose rest is being discarded. */
  private String discardTag;

  /** Whether the end of the line being discarded may announce a literal (not for a raw line). */
  private boolean discardCommand;

  private final byte[] tail = new byte[TAIL];
  private int tailLength;

  /**
   * @param maxLineBytes the longest command line, without its CRLF and its literals' octets, summed
   *     over the lines of a command with literals
   * @param maxLiteralBytes the largest literal (and, with a small margin, all of one command's)
   */
  ImapParser(int maxLineBytes, long maxLiteralBytes, Listener listener) {
    if (maxLineBytes < 1 || maxLiteralBytes < 0) {
      throw new IllegalArgumentException("Limits must be positive");
    }
    this.maxLineBytes = maxLineBytes;
    this.maxLiteralBytes = maxLiteralBytes;
    long total = maxLiteralBytes + LITERAL_TOTAL_MARGIN;
    this.maxCommandLiteralBytes = total < 0 ? Long.MAX_VALUE : total;
    this.listener = listener;
  }

  /**
   * The next complete line goes to {@link Listener#line} instead of being read as a command: for an
   * AUTHENTICATE response or IDLE's {@code DONE}. Call it from {@link Listener#command} (or between
   * commands); it applies to the first line that starts after the current command. A line over the
   * limit is refused instead (untagged {@code BAD Line too long ...}), which uses the request up.
   */
  void rawLine() {
    rawWanted = true;
  }

  /**
   * Reads a chunk of the connection's bytes, calling the listener for what it completes. Never
   * throws: should the listener (or the parser) fail, the failure is logged and reported as a fatal
   * refusal, untagged, and nothing more is read.
   */
  void handle(Buffer chunk) {
    int pos = 0;
    int length = chunk.length();
    try {
      while (pos < length && state != State.CLOSED) {
        pos =
            switch (state) {
              case LINE -> readLine(chunk, pos, length);
              case LITERAL -> readLiteral(chunk, pos, length);
              case DISCARD_LINE -> discardLine(chunk, pos, length);
              case SKIP_LITERAL -> skipLiteral(chunk, pos, length);
              case CLOSED -> length;
            };
      }
    } catch (RuntimeException e) {
      log.error("IMAP command reading failed; the connection is closed", e);
      state = State.CLOSED;
      try {
        listener.refused(null, "BAD Internal error while reading the command", true);
      } catch (RuntimeException again) {
        log.error("IMAP session failed to handle an error", again);
      }
    }
  }

  private int readLine(Buffer chunk, int pos, int length) {
    int lf = indexOfLf(chunk, pos, length);
    int stop = lf < 0 ? length : lf;
    // One more than the limit: room for the CR of the CRLF.
    long room = maxLineBytes + 1L - commandLineBytes - lineLength;
    if (stop - pos > room) {
      int fit = (int) room;
      append(chunk, pos, pos + fit);
      lineTooLong();
      return pos + fit;
    }
    append(chunk, pos, stop);
    if (lf < 0) {
      return length;
    }
    if (lineLength > 0 && line[lineLength - 1] == '\r') {
      lineLength--;
    }
    if (commandLineBytes + lineLength > maxLineBytes) {
      // One octet over and no CR: the line is whole, so its discarding ends at once.
      lineTooLong();
      endDiscard();
    } else {
      int len = lineLength;
      lineLength = 0;
      lineRead(len);
    }
    if (!inCommand && line.length > 16 * INITIAL_LINE) {
      line = new byte[INITIAL_LINE];
    }
    return lf + 1;
  }

  /** A whole line of {@code len} bytes (its CRLF dropped) is in {@link #line}. */
  private void lineRead(int len) {
    if (!inCommand && rawWanted) {
      rawWanted = false;
      listener.line(new String(line, 0, len, StandardCharsets.UTF_8));
      return;
    }
    if (!inCommand && len == 0) {
      return;
    }
    commandLineBytes += len;
    ImapCommandReader.Outcome outcome = reader.line(line, len);
    if (outcome instanceof Complete complete) {
      endCommand();
      listener.command(complete.command());
    } else if (outcome instanceof Bad bad) {
      refuseLine(bad.reply(), len);
    } else {
      literalAnnounced((Literal) outcome);
    }
  }

  /**
   * Refuses the command whose line of {@code len} bytes is in {@link #line}. When the line ends in
   * a non-synchronizing literal, the client sends its octets anyway: they are skipped, or when too
   * many the connection must close.
   */
  private void refuseLine(String reply, int len) {
    String tag = reader.tag();
    Literal next = ImapCommandReader.literalAtEnd(line, len, false);
    endCommand();
    if (next == null || next.kind() == LiteralKind.SYNC) {
      listener.refused(tag, reply, false);
    } else if (!tooBigToSkip(tag, next)) {
      listener.refused(tag, reply, false);
      skip(tag, next.size());
    }
  }

  private void literalAnnounced(Literal announced) {
    String tag = reader.tag();
    long size = announced.size();
    boolean sync = announced.kind() == LiteralKind.SYNC;
    if (sync && size > maxLiteralBytes) {
      endCommand();
      listener.refused(tag, tooBig(size, maxLiteralBytes), false);
    } else if (!sync && tooBigToSkip(tag, announced)) {
      endCommand();
    } else if (commandLiteralBytes + size > maxCommandLiteralBytes) {
      endCommand();
      listener.refused(
          tag,
          "NO [TOOBIG] The literals of this command add up to over "
              + maxCommandLiteralBytes
              + " octets",
          false);
      if (!sync) {
        skip(tag, size);
      }
    } else {
      inCommand = true;
      commandLiteralBytes += size;
      remaining = size;
      state = State.LITERAL;
      if (sync) {
        listener.literalWanted(tag, size);
      }
      if (size == 0) {
        literalRead(new byte[0]);
      }
    }
  }

  /**
   * Whether a non-synchronizing literal is too large to read or even skip: then the refusal is
   * fatal, since its octets are on their way.
   */
  private boolean tooBigToSkip(String tag, Literal announced) {
    long limit =
        announced.kind() == LiteralKind.MINUS
            ? Math.min(LITERAL_MINUS_MAX, maxLiteralBytes)
            : maxLiteralBytes;
    if (announced.size() <= limit) {
      return false;
    }
    state = State.CLOSED;
    listener.refused(
        tag,
        "BAD [TOOBIG] Non-synchronizing literal of "
            + announced.size()
            + " octets is over the limit of "
            + limit,
        true);
    return true;
  }

  private static String tooBig(long size, long limit) {
    return "NO [TOOBIG] Literal of " + size + " octets is over the limit of " + limit;
  }

  private int readLiteral(Buffer chunk, int pos, int length) {
    int n = (int) Math.min(remaining, length - pos);
    remaining -= n;
    if (literal == null && remaining == 0) {
      literalRead(chunk.getBytes(pos, pos + n));
      return pos + n;
    }
    if (literal == null) {
      literal = Buffer.buffer((int) Math.min(remaining + n, 64 * 1024));
    }
    literal.appendBuffer(chunk, pos, n);
    if (remaining == 0) {
      byte[] octets = literal.getBytes();
      literal = null;
      literalRead(octets);
    }
    return pos + n;
  }

  private void literalRead(byte[] octets) {
    reader.literal(octets);
    state = State.LINE;
  }

  private void lineTooLong() {
    boolean raw = !inCommand && rawWanted;
    String tag = inCommand ? reader.tag() : ImapCommandReader.tagOf(line, lineLength);
    keepTail(line, 0, lineLength);
    lineLength = 0;
    endCommand();
    discardTag = tag;
    discardCommand = !raw;
    state = State.DISCARD_LINE;
    if (raw) {
      rawWanted = false;
      listener.refused(null, "BAD Line too long (over " + maxLineBytes + " octets)", false);
    } else {
      listener.refused(tag, "BAD Command line too long (over " + maxLineBytes + " octets)", false);
    }
  }

  private int discardLine(Buffer chunk, int pos, int length) {
    int lf = indexOfLf(chunk, pos, length);
    int stop = lf < 0 ? length : lf;
    int n = stop - pos;
    if (n >= TAIL) {
      chunk.getBytes(stop - TAIL, stop, tail, 0);
      tailLength = TAIL;
    } else if (n > 0) {
      keepTail(chunk.getBytes(pos, stop), 0, n);
    }
    if (lf < 0) {
      return length;
    }
    if (tailLength > 0 && tail[tailLength - 1] == '\r') {
      tailLength--;
    }
    endDiscard();
    return lf + 1;
  }

  /** The discarded line has ended: a non-synchronizing literal at its end is skipped too. */
  private void endDiscard() {
    Literal next = discardCommand ? ImapCommandReader.literalAtEnd(tail, tailLength, true) : null;
    tailLength = 0;
    state = State.LINE;
    if (next != null && next.kind() != LiteralKind.SYNC && !tooBigToSkip(discardTag, next)) {
      skip(discardTag, next.size());
    }
  }

  /** Drops {@code size} octets of a refused command's literal, then the rest of its line. */
  private void skip(String tag, long size) {
    discardTag = tag;
    discardCommand = true;
    remaining = size;
    state = size > 0 ? State.SKIP_LITERAL : State.DISCARD_LINE;
  }

  private int skipLiteral(Buffer chunk, int pos, int length) {
    int n = (int) Math.min(remaining, length - pos);
    remaining -= n;
    if (remaining == 0) {
      state = State.DISCARD_LINE;
    }
    return pos + n;
  }

  private void endCommand() {
    reader.reset();
    inCommand = false;
    commandLineBytes = 0;
    commandLiteralBytes = 0;
    literal = null;
  }

  private void append(Buffer chunk, int from, int to) {
    int n = to - from;
    if (lineLength + n > line.length) {
      int size = Math.max(line.length * 2, lineLength + n);
      line = Arrays.copyOf(line, (int) Math.min(size, maxLineBytes + 2L));
    }
    chunk.getBytes(from, to, line, lineLength);
    lineLength += n;
  }

  /** Keeps the last {@link #TAIL} octets of what was discarded so far. */
  private void keepTail(byte[] bytes, int from, int to) {
    int n = Math.min(to - from, TAIL);
    int keep = Math.min(tailLength, TAIL - n);
    System.arraycopy(tail, tailLength - keep, tail, 0, keep);
    System.arraycopy(bytes, to - n, tail, keep, n);
    tailLength = keep + n;
  }

  private static int indexOfLf(Buffer chunk, int from, int to) {
    for (int i = from; i < to; i++) {
      if (chunk.getByte(i) == '\n') {
        return i;
      }
    }
    return -1;
  }
}
