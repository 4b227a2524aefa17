package dev.kith.web;

import dev.kith.mesh.spi.cli.CliClient;
import dev.kith.mesh.spi.cli.KithCommand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code kith publish DIR [--site NAME] [--domain DOMAIN]...}: publishes a folder as the next
 * version of one of the caller's sites. It sends every file's SHA-256, uploads only the files the
 * mesh lacks, then commits the list; the site switches to it in one step.
 */
public final class PublishCommand implements KithCommand {

  private static final String USAGE =
      "publish DIR [--site NAME] [--domain DOMAIN]... [--url URL] [--home DIR]";

  @Override
  public String name() {
    return "publish";
  }

  @Override
  public String usage() {
    return USAGE;
  }

  @Override
  public String summary() {
    return "publish a folder as your site's next version (uploads only changes)";
  }

  @Override
  public int run(List<String> args, CliClient client) {
    Path dir = null;
    String site = null;
    List<String> domains = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--site") && i + 1 < args.size()) {
        site = args.get(++i);
      } else if (a.equals("--domain") && i + 1 < args.size()) {
        domains.add(args.get(++i));
      } else if (!a.startsWith("-") && dir == null) {
        dir = Path.of(a);
      } else {
        System.err.println("kith: publish: " + a + ": unknown option (kith " + USAGE + ")");
        return CliClient.USAGE;
      }
    }
    if (dir == null || !Files.isDirectory(dir)) {
      System.err.println("kith: publish: name a folder to publish (kith " + USAGE + ")");
      return CliClient.USAGE;
    }
    Map<String, Path> files;
    Map<String, String> digests = new LinkedHashMap<>();
    try {
      files = files(dir);
      for (var e : files.entrySet()) {
        digests.put(e.getKey(), sha256(e.getValue()));
      }
    } catch (IOException e) {
      System.err.println("kith: publish: cannot read " + dir + ": " + e.getMessage());
      return CliClient.FAILURE;
    }
    JsonArray list = new JsonArray();
    digests.forEach((path, id) -> list.add(new JsonObject().put("path", path).put("sha256", id)));
    String owner = whoAmI(client);
    if (owner == null) {
      return client.unreachable();
    }
    if (site == null) {
      site = owner;
    }
    String base = "/api/web/sites/" + site;
    HttpResponse<String> r =
        client.send("POST", base + "/missing", new JsonObject().put("files", list));
    if (r == null) {
      return client.unreachable();
    }
    if (r.statusCode() != 200) {
      return client.refused(r);
    }
    List<String> missing = new ArrayList<>();
    new JsonObject(r.body()).getJsonArray("missing").forEach(m -> missing.add((String) m));
    int uploaded = 0;
    for (var e : digests.entrySet()) {
      if (!missing.remove(e.getValue())) {
        continue;
      }
      HttpResponse<String> up;
      try {
        up =
            client.sendBytes(
                "POST",
                "/api/vault/" + owner + "/objects",
                "application/octet-stream",
                Files.readAllBytes(files.get(e.getKey())));
      } catch (IOException ex) {
        System.err.println("kith: publish: cannot read " + e.getKey() + ": " + ex.getMessage());
        return CliClient.FAILURE;
      }
      if (up == null) {
        return client.unreachable();
      }
      if (up.statusCode() / 100 != 2) {
        return client.refused(up);
      }
      uploaded++;
    }
    JsonObject commit = new JsonObject().put("files", list);
    if (!domains.isEmpty()) {
      commit.put("domains", new JsonArray(domains));
    }
    HttpResponse<String> done = client.send("POST", base + "/versions", commit);
    if (done == null) {
      return client.unreachable();
    }
    if (done.statusCode() != 201) {
      return client.refused(done);
    }
    JsonObject result = new JsonObject(done.body());
    System.out.printf(
        "published %s version %d: %d files (%d uploaded, %d already there)%s%n",
        site,
        result.getLong("version"),
        digests.size(),
        uploaded,
        digests.size() - uploaded,
        result.getJsonArray("domains").isEmpty()
            ? ""
            : ", served at " + String.join(", ", result.getJsonArray("domains").getList()));
    result.getJsonArray("ignored", new JsonArray()).forEach(w -> System.out.println("note: " + w));
    return CliClient.OK;
  }

  /** Who the credentials belong to. */
  private static String whoAmI(CliClient client) {
    HttpResponse<String> r = client.send("GET", "/api/auth/me", null);
    if (r == null) {
      return null;
    }
    if (r.statusCode() != 200) {
      client.refused(r);
      return null;
    }
    return new JsonObject(r.body()).getString("owner");
  }

  /** Every regular file under {@code dir}, by its path relative to it, with / between names. */
  static Map<String, Path> files(Path dir) throws IOException {
    Map<String, Path> out = new LinkedHashMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.filter(Files::isRegularFile)
          .sorted()
          .forEach(p -> out.put(dir.relativize(p).toString().replace('\\', '/'), p));
    }
    return out;
  }

  static String sha256(Path file) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (var in = Files.newInputStream(file)) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
          md.update(buf, 0, n);
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
