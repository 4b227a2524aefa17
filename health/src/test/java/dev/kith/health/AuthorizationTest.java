package dev.kith.health;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every route the edge serves, read from the router itself ({@code GET /api/mesh/routes}), on a
 * device with every module's routes: without credentials it answers 401 (unless anyone may call
 * it), with another owner's token 403 (or a non-administrator's, for administrators' routes), and
 * for the one it is for, success. A route added later is in the list, so it cannot be forgotten.
 */
@DisplayName("Authorization of every route")
@ExtendWith(DeviceLogs.class)
class AuthorizationTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Routes whose success, for the right caller, is not a 2xx: why, and what they answer. */
  private static final Map<String, Integer> NOT_2XX =
      Map.of(
          // A test service that throws, to test the error handler: 500 once past authorization.
          "GET /api/echo/boom", 500,
          "GET /api/echo/crash", 500,
          // The test service's failures, with a status that is no number here.
          "GET /api/echo/fail/:status", 400,
          // Removing a device that does not exist: past authorization, 404.
          "DELETE /api/mesh/devices/:name", 404);

  private static LocalMesh mesh;
  private static DeviceProcess device;
  private static String url;
  private static String alice;
  private static String bob;
  private static String admin;
  private static String objectId;

  @BeforeAll
  static void start() {
    mesh = LocalMesh.options().names("d1.alice").start();
    device = mesh.device(0).awaitReady(LocalMesh.START_TIMEOUT);
    url = device.httpUrl();
    String operator = Credentials.operatorToken(device.home()).orElseThrow();
    alice = Credentials.ownerToken(url, device.home(), operator, "alice").orElseThrow();
    bob = Credentials.ownerToken(url, device.home(), operator, "bob").orElseThrow();
    Http.Response root =
        call(
            "POST",
            "/api/auth/owners",
            operator,
            new JsonObject()
                .put("owner", "root")
                .put("admin", true)
                .put("password", "root password 1")
                .encode());
    assertThat(root.status()).as(root.body()).isEqualTo(201);
    admin =
        call(
                "POST",
                "/api/auth/login",
                null,
                new JsonObject().put("owner", "root").put("password", "root password 1").encode())
            .json()
            .getString("token");
    // alice's data, for the routes that read it.
    objectId =
        eventually(
            WAIT,
            () -> {
              Http.Response r = call("POST", "/api/vault/alice/objects", alice, "some bytes");
              assertThat(r.status()).as(r.body()).isEqualTo(201);
              return r.json().getString("id");
            });
    for (String key : List.of("k1", "k2")) {
      assertThat(call("PUT", "/api/vault/alice/records/" + key, alice, "{\"v\":1}").status())
          .isEqualTo(200);
    }
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @DisplayName(
      "answers 401 without credentials, 403 to the wrong caller, and success to the right one")
  void everyRoute() {
    JsonArray routes = call("GET", "/api/mesh/routes", admin, null).jsonArray();
    assertThat(routes.size()).isGreaterThan(30);
    List<String> report = new ArrayList<>();
    for (Object o : routes) {
      JsonObject route = (JsonObject) o;
      String method = route.getString("method");
      String pattern = route.getString("path");
      String access = route.getString("access");
      String label = method + " " + pattern;
      assertThat(access).as("%s declares who may call it", label).isNotNull();
      String path = concrete(method, pattern);
      String body = body(method, pattern);

      Http.Response none = call(method, path, null, body);
      if (access.equals("anyone")) {
        assertThat(none.status()).as("%s without credentials: %s", label, none).isNotIn(401, 403);
        report.add(label + " anyone " + none.status());
        continue;
      }
      assertThat(none.status()).as("%s without credentials: %s", label, none).isEqualTo(401);
      if (!method.equals("HEAD")) {
        assertThat(none.json().getString("error")).isEqualTo("unauthorized");
      }

      String right;
      switch (access) {
        case "logged-in" ->
            // Logging out ends the caller's session: a session of its own, not bob's usual one.
            right =
                label.equals("POST /api/auth/logout")
                    ? call(
                            "POST",
                            "/api/auth/login",
                            null,
                            new JsonObject()
                                .put("owner", "bob")
                                .put("password", "harness-bob-" + meshId())
                                .encode())
                        .json()
                        .getString("token")
                    : bob;
        case "admin" -> {
          right = admin;
          Http.Response owner = call(method, path, alice, body);
          assertThat(owner.status()).as("%s as a non-admin owner: %s", label, owner).isEqualTo(403);
        }
        case "owner:owner" -> {
          right = alice;
          Http.Response other = call(method, path, bob, body);
          assertThat(other.status()).as("%s as another owner: %s", label, other).isEqualTo(403);
          Http.Response adminCall = call(method, path, admin, body);
          assertThat(adminCall.status()).as("%s as an admin: %s", label, adminCall).isEqualTo(403);
        }
        default -> throw new AssertionError(label + ": unknown access rule " + access);
      }
      int expected = NOT_2XX.getOrDefault(label, 0);
      Http.Response ok =
          eventually(
              WAIT,
              () -> {
                Http.Response r = call(method, path, right, body);
                if (expected == 0) {
                  assertThat(r.status())
                      .as("%s as the right caller: %s", label, r)
                      .isBetween(200, 299);
                } else {
                  assertThat(r.status())
                      .as("%s as the right caller: %s", label, r)
                      .isEqualTo(expected);
                }
                return r;
              });
      report.add(
          label
              + " "
              + access
              + (access.equals("logged-in") ? " 401/" : " 401/403/")
              + ok.status());
    }
    System.out.printf(
        "[kith-test] %d routes checked:%n  %s%n", report.size(), String.join("\n  ", report));
  }

  /** The route's path with its parameters filled in. */
  private static String concrete(String method, String pattern) {
    String path = pattern;
    if (path.endsWith("(regex)")) {
      // A route made from a pattern (the beacon's "/?"): its bare mount point matches it.
      path = path.substring(0, path.length() - "(regex)".length());
    }
    path =
        path.replace(
            ":owner",
            pattern.startsWith("/api/auth/owners/") && method.equals("DELETE")
                ? "victim"
                : "alice");
    path = path.replace(":name", method.equals("DELETE") ? "no-such.device" : device.name());
    path = path.replace(":id", objectId);
    path = path.replace(":key", method.equals("DELETE") ? "k2" : "k1");
    if (path.endsWith("/*")) {
      path = path.substring(0, path.length() - 1);
    }
    if (method.equals("DELETE") && path.equals("/api/auth/owners/victim")) {
      String operator = Credentials.operatorToken(device.home()).orElseThrow();
      call(
          "POST",
          "/api/auth/owners",
          operator,
          new JsonObject().put("owner", "victim").put("password", "victim pw 1").encode());
    }
    return path;
  }

  /** A body the route accepts from the right caller. */
  private static String body(String method, String pattern) {
    return switch (method + " " + pattern) {
      case "PUT /api/mesh/devices/:name/power" -> "{\"mains\":true}";
      case "POST /api/auth/owners" ->
          new JsonObject()
              .put("owner", "o" + System.nanoTime() % 100000)
              .put("password", "a new password")
              .encode();
      case "PUT /api/auth/owners/:owner/password" ->
          "{\"currentPassword\":\"harness-alice-"
              + meshId()
              + "\",\"newPassword\":\"harness-alice-"
              + meshId()
              + "\"}";
      case "POST /api/auth/login" ->
          new JsonObject()
              .put("owner", "alice")
              .put("password", "harness-alice-" + meshId())
              .encode();
      case "POST /api/auth/refresh" ->
          new JsonObject()
              .put(
                  "refreshToken",
                  call("POST", "/api/auth/login", null, body("POST", "/api/auth/login"))
                      .json()
                      .getString("refreshToken"))
              .encode();
      case "POST /api/vault/:owner/records" -> "{\"records\":[]}";
      case "POST /api/vault/:owner/objects" -> "more bytes";
      case "GET /api/vault/:owner/objects" -> null;
      default ->
          method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? null : "{}";
    };
  }

  private static String meshId() {
    try {
      return new JsonObject(
              java.nio.file.Files.readString(device.home().resolve("trust/mesh.json")))
          .getString("meshId");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Http.Response call(String method, String path, String token, String body) {
    String target =
        path.equals("/api/vault/alice/objects") && method.equals("GET")
            ? path + "?bucket=ab"
            : path;
    List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json"));
    if (token != null) {
      headers.addAll(List.of("Authorization", "Bearer " + token));
    }
    return Http.raw(method, url + target, body, headers.toArray(String[]::new));
  }
}
