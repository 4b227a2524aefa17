package dev.kith.web;

import dev.kith.mesh.spi.ServiceFailure;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a site from a tar (plain or gzipped) or zip archive, file by file, checking each against
 * the limits as it goes, so that an archive that unpacks to more than a site may hold (a zip bomb)
 * is refused after at most that much. Folders are skipped; links are not followed, only reported.
 * Runs on a worker thread.
 */
final class ArchiveReader {

  /** Gets each file of the archive. */
  @FunctionalInterface
  interface FileSink {
    void accept(String path, byte[] bytes) throws Exception;
  }

  private final WebConfig config;
  private final List<String> ignored;
  private final Set<String> seen = new HashSet<>();
  private long total;

  ArchiveReader(WebConfig config, List<String> ignored) {
    this.config = config;
    this.ignored = ignored;
  }

  void read(Path archive, FileSink sink) throws Exception {
    byte[] magic = new byte[4];
    try (InputStream in = Files.newInputStream(archive)) {
      int n = in.readNBytes(magic, 0, 4);
      if (n < 4) {
        throw ServiceFailure.badRequest("the archive is empty or truncated");
      }
    }
    if (magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
      readZip(archive, sink);
    } else if ((magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      try (InputStream in =
          new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive)))) {
        readTar(in, sink);
      }
    } else {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(archive))) {
        readTar(in, sink);
      }
    }
    if (seen.isEmpty()) {
      throw ServiceFailure.badRequest("the archive holds no files");
    }
  }

  private void readTar(InputStream raw, FileSink sink) throws Exception {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
      TarArchiveEntry entry;
      boolean any = false;
      while ((entry = tar.getNextEntry()) != null) {
        any = true;
        if (entry.isDirectory()) {
          continue;
        }
        if (!entry.isFile()) {
          ignored.add(entry.getName() + ": not a regular file (links are not followed)");
          continue;
        }
        file(entry.getName(), entry.getSize(), tar, sink);
      }
      if (!any) {
        throw ServiceFailure.badRequest(
            "not a tar, tar.gz or zip archive (send Content-Type application/x-tar, application/gzip"
                + " or application/zip)");
      }
    } catch (IOException e) {
      throw ServiceFailure.badRequest("the archive cannot be read: " + e.getMessage());
    }
  }

  private void readZip(Path archive, FileSink sink) throws Exception {
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (entry.isDirectory()) {
          continue;
        }
        try (InputStream in = zip.getInputStream(entry)) {
          file(entry.getName(), entry.getSize(), in, sink);
        }
      }
    } catch (IOException e) {
      throw ServiceFailure.badRequest("the zip archive cannot be read: " + e.getMessage());
    }
  }

  private void file(String name, long declared, InputStream in, FileSink sink) throws Exception {
    String path;
    try {
      path = SitePaths.file(name, config.maxPathLength());
    } catch (IllegalArgumentException e) {
      throw ServiceFailure.badRequest("archive entry: " + e.getMessage());
    }
    if (!seen.add(path)) {
      throw ServiceFailure.badRequest("archive entry " + path + " appears twice");
    }
    if (seen.size() > config.maxFiles()) {
      throw ServiceFailure.tooLarge(
          "the archive has more than " + config.maxFiles() + " files (web-max-files)");
    }
    if (declared > config.maxFileBytes()) {
      throw tooBig(path);
    }
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, 1 << 20)));
    byte[] chunk = new byte[64 * 1024];
    int n;
    long size = 0;
    while ((n = in.read(chunk)) > 0) {
      size += n;
      total += n;
      if (size > config.maxFileBytes()) {
        throw tooBig(path);
      }
      if (total > config.maxSiteBytes()) {
        throw ServiceFailure.tooLarge(
            "the archive unpacks to more than "
                + config.maxSiteBytes()
                + " bytes (web-max-site-bytes)");
      }
      out.write(chunk, 0, n);
    }
    sink.accept(path, out.toByteArray());
  }

  private ServiceFailure tooBig(String path) {
    return ServiceFailure.tooLarge(
        path + " is larger than " + config.maxFileBytes() + " bytes (web-max-file-bytes)");
  }
}
