package dev.kith.mesh.config;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A device's home is its owner's alone: every folder in it mode 0700 and every file 0600, whatever
 * the umask of the process that made them. It holds every password hash, every message's subject
 * and addresses, and the device's keys.
 *
 * <p>Two halves, because Java cannot set its process's umask: whatever the device creates goes
 * through {@link #createDirectories} or is created with {@link #FILE} (a temp file or a secret
 * file), and {@link #secure} walks the home and fixes what is not (a home from an older version, a
 * file that a library such as SQLite created with the umask's mode), reporting each fix for the
 * log. Symbolic links are neither followed nor changed. On a file system without POSIX modes
 * nothing is done.
 */
public final class HomeModes {

  /** Mode 0700. */
  public static final Set<PosixFilePermission> FOLDER_MODE =
      PosixFilePermissions.fromString("rwx------");

  /** Mode 0600. */
  public static final Set<PosixFilePermission> FILE_MODE =
      PosixFilePermissions.fromString("rw-------");

  /** For {@code Files.createFile} and {@code Files.createTempFile}: mode 0600. */
  public static final FileAttribute<Set<PosixFilePermission>> FILE =
      PosixFilePermissions.asFileAttribute(FILE_MODE);

  /** For {@code Files.createDirectory}: mode 0700 (a umask can only narrow it). */
  public static final FileAttribute<Set<PosixFilePermission>> FOLDER =
      PosixFilePermissions.asFileAttribute(FOLDER_MODE);

  private HomeModes() {}

  /** A mode that was wrong and is now right. */
  public record Fixed(Path path, String was, String now) {
    @Override
    public String toString() {
      return path + " (was " + was + ", now " + now + ")";
    }
  }

  /**
   * Creates {@code folder} and any missing parents with mode 0700, set explicitly so that no umask
   * can widen or narrow it. Folders that exist already are left as they are.
   */
  public static Path createDirectories(Path folder) throws IOException {
    Path absolute = folder.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      return folder;
    }
    Path parent = absolute.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(absolute, FOLDER);
      Files.setPosixFilePermissions(absolute, FOLDER_MODE);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(absolute)) {
        throw e;
      }
      // Made meanwhile by another thread.
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(absolute);
    }
    return folder;
  }

  /**
   * Sets every folder under {@code home} (and {@code home} itself) to 0700 and every regular file
   * to 0600; answers what it changed. A file that vanishes during the walk is skipped.
   */
  public static List<Fixed> secure(Path home) throws IOException {
    return secure(home, Integer.MAX_VALUE);
  }

  /**
   * {@link #secure(Path)} down to {@code maxDepth} levels below {@code home} ({@code home} itself
   * is level 0): a quick pass over what was just made near the top, without visiting every file of
   * a large vault again.
   */
  public static List<Fixed> secure(Path home, int maxDepth) throws IOException {
    List<Fixed> fixed = new ArrayList<>();
    if (!Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS)
        || !Files.getFileStore(home).supportsFileAttributeView("posix")) {
      return fixed;
    }
    Files.walkFileTree(
        home,
        java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class),
        maxDepth,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            fix(dir, FOLDER_MODE, fixed);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile()) {
              fix(file, FILE_MODE, fixed);
            } else if (attrs.isDirectory()) {
              // A folder at the depth limit is visited as a file.
              fix(file, FOLDER_MODE, fixed);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof java.nio.file.NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
    return fixed;
  }

  private static void fix(Path path, Set<PosixFilePermission> wanted, List<Fixed> fixed)
      throws IOException {
    try {
      Set<PosixFilePermission> mode =
          Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
      if (!mode.equals(wanted)) {
        Files.setPosixFilePermissions(path, wanted);
        fixed.add(
            new Fixed(
                path, PosixFilePermissions.toString(mode), PosixFilePermissions.toString(wanted)));
      }
    } catch (java.nio.file.NoSuchFileException e) {
      // Gone meanwhile (a temp file renamed into place); nothing to fix.
    }
  }
}
