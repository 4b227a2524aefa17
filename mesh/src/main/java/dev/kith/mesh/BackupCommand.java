package dev.kith.mesh;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * {@code kith export} and {@code kith import}: an owner's whole vault, objects and records with
 * their versions, in one file, through any running device's HTTP API.
 *
 * <p>The file is a zip: {@code manifest.json}, {@code objects.jsonl} (one {@code {"id","type",
 * "size"}} per line), {@code objects/<id>} (the bytes) and {@code records.jsonl} (one record per
 * line, with its version and tombstone flag). Import writes objects by content and records with
 * their versions, so importing a file twice, or into a vault that already holds part of it, changes
 * nothing that is newer.
 */
final class BackupCommand {

  static final String FORMAT = "kith-vault-export";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int PAGE = 500;

  private BackupCommand() {}

  /**
   * {@code kith export [--owner OWNER] --out FILE [--url URL]}: the logged-in owner's by default.
   */
  static int export(List<String> args) {
    Options o;
    try {
      o = Options.parse(args, true);
    } catch (IllegalArgumentException e) {
      System.err.println("kith: export: " + e.getMessage());
      return ExitCode.USAGE;
    }
    Path out = Path.of(o.file);
    Path partial = out.resolveSibling(out.getFileName() + ".partial");
    HttpClient client = client();
    String base = o.url + "/api/vault/" + o.owner;
    int objects = 0;
    int records = 0;
    try {
      Files.deleteIfExists(partial);
      Files.createFile(
          partial,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(partial))) {
        StringBuilder index = new StringBuilder();
        for (int b = 0; b < 256; b++) {
          String bucket = String.format("%02x", b);
          JsonArray ids = getJson(client, base + "/objects?bucket=" + bucket).getJsonArray("ids");
          for (Object idObject : ids) {
            String id = (String) idObject;
            HttpResponse<InputStream> r =
                send(
                    client,
                    HttpRequest.newBuilder(URI.create(base + "/objects/" + id)),
                    HttpResponse.BodyHandlers.ofInputStream());
            long size;
            try (InputStream body = r.body()) {
              if (r.statusCode() != 200) {
                throw new IOException(
                    "object "
                        + id
                        + ": HTTP "
                        + r.statusCode()
                        + " "
                        + new String(body.readAllBytes(), StandardCharsets.UTF_8));
              }
              zip.putNextEntry(new ZipEntry("objects/" + id));
              size = body.transferTo(zip);
              zip.closeEntry();
            }
            String type = r.headers().firstValue("Content-Type").orElse("application/octet-stream");
            index
                .append(new JsonObject().put("id", id).put("type", type).put("size", size).encode())
                .append('\n');
            objects++;
          }
        }
        zip.putNextEntry(new ZipEntry("objects.jsonl"));
        zip.write(index.toString().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();

        zip.putNextEntry(new ZipEntry("records.jsonl"));
        String after = null;
        do {
          String url =
              base
                  + "/records?deleted=true&limit="
                  + PAGE
                  + (after == null
                      ? ""
                      : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
          JsonObject page = getJson(client, url);
          for (Object r : page.getJsonArray("records")) {
            zip.write((((JsonObject) r).encode() + "\n").getBytes(StandardCharsets.UTF_8));
            records++;
          }
          after = page.getString("next");
        } while (after != null);
        zip.closeEntry();

        zip.putNextEntry(new ZipEntry("manifest.json"));
        zip.write(
            new JsonObject()
                .put("format", FORMAT)
                .put("version", 1)
                .put("owner", o.owner)
                .put("exportedAt", Instant.now().toString())
                .put("objects", objects)
                .put("records", records)
                .encodePrettily()
                .getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
      Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.err.println(
          "kith: export of "
              + o.owner
              + "'s vault failed: "
              + e.getMessage()
              + " (nothing was written to "
              + out
              + ")");
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.FAILURE;
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // The partial file is only left behind; the message above says what failed.
      }
    }
    System.out.printf(
        "exported %d objects and %d records of %s's vault to %s%n", objects, records, o.owner, out);
    return ExitCode.OK;
  }

  /**
   * {@code kith import FILE [--owner OWNER] [--url URL]}: into the logged-in owner's vault, else
   * the file's owner's.
   */
  static int importFile(List<String> args) {
    Options o;
    try {
      o = Options.parse(args, false);
    } catch (IllegalArgumentException e) {
      System.err.println("kith: import: " + e.getMessage());
      return ExitCode.USAGE;
    }
    HttpClient client = client();
    int objects = 0;
    int records = 0;
    try (ZipFile zip = new ZipFile(o.file)) {
      ZipEntry manifestEntry = zip.getEntry("manifest.json");
      if (manifestEntry == null) {
        throw new IOException(o.file + " is not a vault export (no manifest.json)");
      }
      JsonObject manifest =
          new JsonObject(
              new String(zip.getInputStream(manifestEntry).readAllBytes(), StandardCharsets.UTF_8));
      if (!FORMAT.equals(manifest.getString("format"))) {
        throw new IOException(
            o.file + " is not a vault export (format " + manifest.getString("format") + ")");
      }
      String owner = o.owner != null ? o.owner : manifest.getString("owner");
      String base = o.url + "/api/vault/" + owner;
      for (String line : lines(zip, "objects.jsonl")) {
        JsonObject entry = new JsonObject(line);
        String id = entry.getString("id");
        ZipEntry bytes = zip.getEntry("objects/" + id);
        if (bytes == null) {
          throw new IOException("the file lists object " + id + " but does not hold it");
        }
        byte[] data = zip.getInputStream(bytes).readAllBytes();
        HttpResponse<String> r =
            send(
                client,
                HttpRequest.newBuilder(URI.create(base + "/objects"))
                    .header("Content-Type", entry.getString("type", "application/octet-stream"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(data)),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
          throw new IOException("object " + id + ": HTTP " + r.statusCode() + " " + r.body());
        }
        if (!id.equals(new JsonObject(r.body()).getString("id"))) {
          throw new IOException(
              "object " + id + " in the file is damaged (its bytes hash differently)");
        }
        objects++;
      }
      List<JsonObject> batch = new ArrayList<>();
      for (String line : lines(zip, "records.jsonl")) {
        batch.add(new JsonObject(line));
        if (batch.size() == PAGE) {
          records += postRecords(client, base, batch);
        }
      }
      records += postRecords(client, base, batch);
      System.out.printf(
          "imported %d objects and %d records into %s's vault (newer versions already there were kept)%n",
          objects, records, owner);
      return ExitCode.OK;
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "kith: import of "
              + o.file
              + " failed after "
              + objects
              + " objects and "
              + records
              + " records: "
              + e.getMessage()
              + "; importing again is safe");
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.FAILURE;
    }
  }

  private static int postRecords(HttpClient client, String base, List<JsonObject> batch)
      throws IOException, InterruptedException {
    if (batch.isEmpty()) {
      return 0;
    }
    String body = new JsonObject().put("records", new JsonArray(new ArrayList<>(batch))).encode();
    HttpResponse<String> r =
        send(
            client,
            HttpRequest.newBuilder(URI.create(base + "/records"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("records: HTTP " + r.statusCode() + " " + r.body());
    }
    int n = batch.size();
    batch.clear();
    return n;
  }

  private static List<String> lines(ZipFile zip, String name) throws IOException {
    ZipEntry entry = zip.getEntry(name);
    if (entry == null) {
      throw new IOException("the file has no " + name);
    }
    List<String> out = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(zip.getInputStream(entry), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          out.add(line);
        }
      }
    }
    return out;
  }

  private static JsonObject getJson(HttpClient client, String url)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        send(client, HttpRequest.newBuilder(URI.create(url)), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + " from " + url + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  private static <T> HttpResponse<T> send(
      HttpClient client, HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return client.send(auth.apply(request.timeout(TIMEOUT)).build(), handler);
  }

  private static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** The credentials sent: a login session of the vault's owner, or {@code KITH_ACCESS_TOKEN}. */
  private static CliAuth auth;

  /** The options both commands take; {@code file} is --out for export, the argument for import. */
  private record Options(String owner, String file, String url) {
    static Options parse(List<String> given, boolean export) {
      List<String> args = new java.util.ArrayList<>(given);
      auth = CliAuth.from(args);
      String owner = null;
      String file = null;
      String url = auth.defaultUrl();
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        switch (a) {
          case "--owner" -> owner = value(args, ++i, a);
          case "--out" -> {
            if (!export) {
              throw new IllegalArgumentException("--out is for export");
            }
            file = value(args, ++i, a);
          }
          case "--url" -> url = value(args, ++i, a);
          default -> {
            if (export || a.startsWith("-") || file != null) {
              throw new IllegalArgumentException(a + ": unknown option");
            }
            file = a;
          }
        }
      }
      if (owner == null && auth.session() != null) {
        // The logged-in owner's own vault, unless told otherwise.
        owner = auth.session().owner();
      }
      if (export && owner == null) {
        throw new IllegalArgumentException(
            "--owner OWNER is required, or log in as the owner first (kith login OWNER)");
      }
      if (file == null) {
        throw new IllegalArgumentException(
            export ? "--out FILE is required" : "the file to import is required");
      }
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw new IllegalArgumentException("url: '" + url + "' is not an http:// or https:// URL");
      }
      return new Options(owner, file, url.replaceAll("/+$", ""));
    }

    private static String value(List<String> args, int i, String flag) {
      if (i >= args.size()) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return args.get(i);
    }
  }
}
