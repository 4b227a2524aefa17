package dev.kith.mesh.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.testcontainers.images.builder.Transferable;

/**
 * A host folder copied into a container with the files owned by the container's user and their
 * modes kept: a device's trust files are mode 0600 and must belong to the user the device runs as
 * (uid 10001 in the image), or it could not read them. Testcontainers' own copies belong to root.
 */
final class OwnedFolder implements Transferable {

  private final Path folder;
  private final int uid;

  OwnedFolder(Path folder, int uid) {
    this.folder = folder;
    this.uid = uid;
  }

  @Override
  public long getSize() {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void transferTo(TarArchiveOutputStream tar, String destination) {
    try (Stream<Path> walk = Files.walk(folder)) {
      for (Path path : walk.sorted().toList()) {
        String name = destination + "/" + folder.relativize(path);
        boolean dir = Files.isDirectory(path);
        TarArchiveEntry entry = new TarArchiveEntry(dir ? name + "/" : name);
        entry.setIds(uid, uid);
        entry.setMode((dir ? 040000 : 0100000) | mode(path));
        if (!dir) {
          entry.setSize(Files.size(path));
        }
        tar.putArchiveEntry(entry);
        if (!dir) {
          Files.copy(path, tar);
        }
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int mode(Path path) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
    int mode = 0;
    List<PosixFilePermission> order = List.of(PosixFilePermission.values());
    for (PosixFilePermission p : perms) {
      mode |= 1 << (8 - order.indexOf(p));
    }
    return mode;
  }
}
