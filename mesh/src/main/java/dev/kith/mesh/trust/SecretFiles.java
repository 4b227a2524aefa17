package dev.kith.mesh.trust;

import dev.kith.mesh.config.HomeModes;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes and reads the small files that hold keys, tokens and certificates. A file is written to a
 * temp file created with mode 0600 (so no other user can read it even for a moment), fsynced, and
 * renamed into place; its folder is mode 0700. Public files (certificates) are 0600 too: the home
 * is the owner's alone ({@link HomeModes}). Reads are bounded: no file here is larger than {@link
 * #MAX_BYTES}.
 */
public final class SecretFiles {

  /** The largest key, token or certificate file read. */
  public static final int MAX_BYTES = 256 * 1024;

  private static final Set<PosixFilePermission> SECRET =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC = HomeModes.FILE_MODE;

  private SecretFiles() {}

  /** Writes {@code bytes} to {@code file} with mode 0600, atomically. */
  public static void writeSecret(Path file, byte[] bytes) throws IOException {
    write(file, bytes, SECRET);
  }

  /** Writes {@code bytes} that need not be secret to {@code file} (mode 0600 all the same). */
  public static void writePublic(Path file, byte[] bytes) throws IOException {
    write(file, bytes, PUBLIC);
  }

  /** Creates {@code folder} (mode 0700) if it does not exist. */
  public static void ensureFolder(Path folder) throws IOException {
    HomeModes.createDirectories(folder);
  }

  /** Reads a file of at most {@link #MAX_BYTES}. */
  public static byte[] read(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new IOException(file + " is larger than " + MAX_BYTES + " bytes");
    }
    return Files.readAllBytes(file);
  }

  /**
   * Whether the file is readable by its owner only (always true where POSIX modes do not exist).
   */
  public static boolean isPrivate(Path file) throws IOException {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      return mode.stream()
          .noneMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
    } catch (UnsupportedOperationException e) {
      return true;
    }
  }

  private static void write(Path file, byte[] bytes, Set<PosixFilePermission> mode)
      throws IOException {
    Path folder = file.toAbsolutePath().getParent();
    ensureFolder(folder);
    Path tmp;
    try {
      tmp =
          Files.createTempFile(
              folder, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(mode));
    } catch (UnsupportedOperationException e) {
      tmp = Files.createTempFile(folder, "." + file.getFileName(), ".tmp");
    }
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(bytes));
        channel.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
