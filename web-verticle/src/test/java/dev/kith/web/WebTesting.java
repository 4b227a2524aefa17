package dev.kith.web;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers of the web tests: owners' tokens, and publishing through the API as a client does. */
final class WebTesting {

  /** How long a test waits for an API call: generous, since a publish compresses files. */
  static final java.time.Duration PUBLISH_TIMEOUT = java.time.Duration.ofSeconds(120);

  private WebTesting() {}

  static String token(DeviceProcess device, String owner) {
    return Credentials.ownerToken(device, owner);
  }

  /**
   * Calls the web API as {@code owner} with a JSON body (or none), waiting up to {@link
   * #PUBLISH_TIMEOUT}: a commit compresses every text file it has not seen before.
   */
  static Http.Response call(
      DeviceProcess device, String owner, String method, String path, String json) {
    return sendBytes(
        device,
        owner,
        method,
        path,
        "application/json",
        json == null ? new byte[0] : json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Sends bytes to the web API as {@code owner}, with exactly these credentials. */
  static Http.Response sendBytes(
      DeviceProcess device, String owner, String method, String path, String type, byte[] body) {
    try {
      var request =
          java.net.http.HttpRequest.newBuilder(
                  java.net.URI.create(device.httpUrl() + "/api/web" + path))
              .timeout(PUBLISH_TIMEOUT)
              .header("Authorization", "Bearer " + token(device, owner))
              .header("Content-Type", type)
              .method(method, java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
      var response =
          java.net.http.HttpClient.newHttpClient()
              .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
      return new Http.Response(response.statusCode(), response.body(), response.headers().map());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonArray list(Map<String, byte[]> files) {
    JsonArray list = new JsonArray();
    files.forEach(
        (path, bytes) -> list.add(new JsonObject().put("path", path).put("sha256", sha256(bytes))));
    return list;
  }

  /** The result of a publish: the API's answer and how many files went up. */
  record Published(JsonObject result, int uploaded) {}

  /**
   * Publishes {@code files} as {@code site}'s next version the way {@code kith publish} does: asks
   * what is missing, uploads that, commits.
   */
  static Published publish(
      DeviceProcess device,
      String owner,
      String site,
      Map<String, byte[]> files,
      List<String> domains) {
    JsonArray list = list(files);
    Http.Response missing =
        call(
            device,
            owner,
            "POST",
            "/sites/" + site + "/missing",
            new JsonObject().put("files", list).encode());
    if (missing.status() != 200) {
      throw new AssertionError("missing: " + missing);
    }
    List<Object> ids = missing.json().getJsonArray("missing").getList();
    Map<String, byte[]> byId = new LinkedHashMap<>();
    files.values().forEach(b -> byId.put(sha256(b), b));
    int uploaded = 0;
    for (Object id : ids) {
      Http.Response up =
          Http.send(
              "POST",
              device.httpUrl() + "/api/vault/" + owner + "/objects",
              "application/octet-stream",
              byId.get((String) id));
      if (up.status() / 100 != 2) {
        throw new AssertionError("upload: " + up);
      }
      uploaded++;
    }
    JsonObject commit = new JsonObject().put("files", list);
    if (domains != null) {
      commit.put("domains", new JsonArray(domains));
    }
    Http.Response done =
        call(device, owner, "POST", "/sites/" + site + "/versions", commit.encode());
    if (done.status() != 201) {
      throw new AssertionError("commit: " + done);
    }
    return new Published(done.json(), uploaded);
  }
}
