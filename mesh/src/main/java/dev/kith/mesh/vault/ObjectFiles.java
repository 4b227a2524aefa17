package dev.kith.mesh.vault;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file side of {@link LocalStore}: objects larger than what the store keeps inside its database
 * live in files, written durably (a temporary file forced to disk, renamed into place, its
 * directory forced) and checked against their id on every read.
 */
final class ObjectFiles {

  private static final Logger log = LoggerFactory.getLogger(ObjectFiles.class);
  private static final int COPY_BUFFER_BYTES = 64 * 1024;
  private static final HexFormat HEX = HexFormat.of();

  /** What a check of an object's file found. */
  enum FileState {
    MISSING,
    INTACT,
    CORRUPT
  }

  private ObjectFiles() {}

  /** Whether {@code file} exists and its bytes hash to {@code id}. */
  static FileState check(Path file, String id) throws IOException {
    MessageDigest digest = sha256();
    try {
      hashFile(file, digest, 0, new byte[0]);
    } catch (NoSuchFileException e) {
      return FileState.MISSING;
    }
    return HEX.formatHex(digest.digest()).equals(id) ? FileState.INTACT : FileState.CORRUPT;
  }

  /** Whether {@code bytes} hash to {@code id}. */
  static boolean matches(byte[] bytes, String id) {
    return HEX.formatHex(sha256().digest(bytes)).equals(id);
  }

  /**
   * Feeds the whole file to {@code digest} and copies the bytes from {@code offset} into {@code
   * out} on the way.
   *
   * @return the number of bytes in the file
   */
  static long hashFile(Path file, MessageDigest digest, long offset, byte[] out)
      throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(COPY_BUFFER_BYTES);
      long position = 0;
      long end = offset + out.length;
      int n;
      while ((n = ch.read(buf.clear())) >= 0) {
        digest.update(buf.array(), 0, n);
        long from = Math.max(position, offset);
        long to = Math.min(position + n, end);
        if (from < to) {
          System.arraycopy(
              buf.array(), (int) (from - position), out, (int) (from - offset), (int) (to - from));
        }
        position += n;
      }
      return position;
    }
  }

  /** Writes {@code bytes} to {@code file} so that a crash leaves either nothing or all of them. */
  static void writeDurably(Path tmpDir, Path file, byte[] bytes) throws IOException {
    createDirectoriesDurably(file.getParent());
    Path tmp = Files.createTempFile(tmpDir, "object-", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    forceDirectory(file.getParent());
  }

  /** Creates the missing directories between objects/ and {@code target}, each one durably. */
  private static void createDirectoriesDurably(Path target) throws IOException {
    if (Files.isDirectory(target)) {
      return;
    }
    createDirectoriesDurably(target.getParent());
    try {
      Files.createDirectory(target, dev.kith.mesh.config.HomeModes.FOLDER);
      forceDirectory(target.getParent());
    } catch (FileAlreadyExistsException e) {
      // Another thread created it first, and made it durable.
    }
  }

  private static void forceDirectory(Path directory) {
    try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some filesystems cannot sync a directory; there the rename is as durable as it gets.
      log.debug("Cannot sync directory {}: {}", directory, e.toString());
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
