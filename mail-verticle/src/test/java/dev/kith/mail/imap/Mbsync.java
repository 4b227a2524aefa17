package dev.kith.mail.imap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's mbsync (isync) syncing a local Maildir with an IMAP server, both ways: mailboxes made on
 * either side, flags, moves and deletes. The local side's files are what a test reads back (mbsync
 * prints its counts only to a terminal).
 */
final class Mbsync {

  static final Path BINARY = Path.of("/usr/bin/mbsync");
  private final Path dir;
  private final Path maildir;
  private Path lastLog;

  /** What one run did: its exit status and its output. */
  record Run(int exit, String output) {}

  Mbsync(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir.toAbsolutePath());
    this.maildir = Files.createDirectories(this.dir.resolve("mail"));
  }

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  Path maildir() {
    return maildir;
  }

  /** The local folder of a mailbox, made with its cur, new and tmp. */
  Path folder(String box) throws IOException {
    Path f = maildir.resolve(box);
    for (String sub : List.of("cur", "new", "tmp")) {
      Files.createDirectories(f.resolve(sub));
    }
    return f;
  }

  /** Runs one sync of every mailbox against {@code port}; waits for it to end. */
  Run sync(int port, String user, String password, String extra) throws Exception {
    Process p = start(port, user, password, extra);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("mbsync did not finish in 300 s");
    }
    return result(p);
  }

  /** Starts a sync without waiting: a test may kill the server meanwhile. */
  Process start(int port, String user, String password, String extra) throws IOException {
    Path config = dir.resolve("mbsyncrc-" + port);
    Files.writeString(
        config,
        "IMAPAccount kith\nHost 127.0.0.1\nPort "
            + port
            + "\nUser "
            + user
            + "\nPass \""
            + password
            + "\"\nSSLType None\nAuthMechs LOGIN\n"
            + extra
            + "\n\n"
            + "IMAPStore far\nAccount kith\n\n"
            + "MaildirStore near\nPath "
            + maildir
            + "/\nInbox "
            + maildir.resolve("INBOX")
            + "\nSubFolders Verbatim\n\n"
            + "Channel sync\nFar :far:\nNear :near:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\n");
    lastLog = dir.resolve("mbsync-" + System.nanoTime() + ".log");
    return new ProcessBuilder(BINARY.toString(), "-c", config.toString(), "-a")
        .redirectErrorStream(true)
        .redirectOutput(lastLog.toFile())
        .start();
  }

  /** What the run that {@code p} is did, once it ended. */
  Run result(Process p) throws IOException {
    return new Run(p.exitValue(), Files.readString(lastLog, StandardCharsets.UTF_8));
  }

  /** How many messages the local side holds in every mailbox. */
  int localTotal() throws IOException {
    int total = 0;
    try (Stream<Path> boxes = Files.list(maildir)) {
      for (Path box : boxes.toList()) {
        total += local(box.getFileName().toString()).size();
      }
    }
    return total;
  }

  /** The local messages of a mailbox: Message-ID to its Maildir flags (D, F, R, S, T). */
  Map<String, String> local(String box) throws IOException {
    Map<String, String> out = new HashMap<>();
    for (String sub : List.of("cur", "new")) {
      Path d = maildir.resolve(box).resolve(sub);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> files = Files.list(d)) {
        for (Path f : files.toList()) {
          String name = f.getFileName().toString();
          int info = name.indexOf(":2,");
          String flags = info < 0 ? "" : name.substring(info + 3);
          String id = messageId(Files.readString(f, StandardCharsets.ISO_8859_1));
          if (out.put(id, flags) != null) {
            throw new AssertionError(box + " holds " + id + " twice locally");
          }
        }
      }
    }
    return out;
  }

  static String messageId(String message) {
    for (String line : message.split("\r?\n")) {
      if (line.isEmpty()) {
        break;
      }
      if (line.regionMatches(true, 0, "Message-ID:", 0, 11)) {
        return line.substring(11).trim();
      }
    }
    throw new AssertionError("a message without a Message-ID: " + message);
  }
}
