package dev.kith.mesh.auth;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.Launcher;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Accounts on a real device process: {@code kith init --owner}, login, tokens, refresh, logout,
 * password changes, new owners, cookie sessions, the login lockout, and no secret in any log.
 */
@DisplayName("Owners and accounts")
@ExtendWith(DeviceLogs.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccountsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ALICE_PASSWORD = "correct horse battery staple";

  /**
   * The lockout window, and the failures that fill it: each failed login costs an Argon2id check
   * (about half a CPU-second here), so the failures must fit in the window with room for a loaded
   * machine.
   */
  private static final int LOCKOUT_SECONDS = 15;

  private static final int MAX_FAILURES = 10;

  private static DeviceProcess device;
  private static String url;
  private static Path home;

  /** Every secret the test saw, to look for in the logs at the end. */
  private static final List<String> secrets = new ArrayList<>(List.of(ALICE_PASSWORD));

  @BeforeAll
  static void start() throws Exception {
    DeviceProcess.Builder builder =
        DeviceProcess.builder("solo.alice")
            .flag("login-lockout-seconds", "" + LOCKOUT_SECONDS)
            .flag("login-max-failures", "" + MAX_FAILURES);
    home = DeviceLogs.root().resolve("accounts-" + UUID.randomUUID()).resolve("home");
    builder.flag("home", home.toString());
    // The first owner, before the device ever ran: its password comes on standard input.
    Cli init =
        kith(
            ALICE_PASSWORD + "\n",
            "init",
            "--home",
            home.toString(),
            "--name",
            "solo.alice",
            "--mesh",
            builder.mesh(),
            "--owner",
            "alice");
    assertThat(init.code).as(init.output).isZero();
    assertThat(init.output).doesNotContain(ALICE_PASSWORD);
    device = builder.start().awaitReady(Duration.ofSeconds(60));
    url = device.httpUrl();
  }

  @AfterAll
  static void stop() {
    if (device != null) {
      device.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("answers 401 without credentials and with a bad token")
  void noCredentials() {
    Http.Response none = Http.raw("GET", url + "/api/mesh/devices", null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.json().getString("error")).isEqualTo("unauthorized");
    assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
    assertThat(
            Http.raw("GET", url + "/api/auth/me", null, "Authorization", "Bearer eyJ.nope.nope")
                .status())
        .isEqualTo(401);
    assertThat(Http.raw("GET", url + "/health", null).status()).isEqualTo(200);
  }

  @Test
  @Order(2)
  @DisplayName("logs in the owner that kith init created, with an EdDSA token and a refresh token")
  void login() {
    JsonObject tokens = eventually(WAIT, () -> login("alice", ALICE_PASSWORD));
    assertThat(tokens.getString("token")).startsWith("eyJ");
    assertThat(tokens.getString("refreshToken")).startsWith("alice.");
    JsonObject header =
        new JsonObject(
            new String(
                java.util.Base64.getUrlDecoder().decode(tokens.getString("token").split("\\.")[0]),
                StandardCharsets.UTF_8));
    assertThat(header.getString("alg")).isEqualTo("EdDSA");
    assertThat(header.getString("kid")).startsWith("solo.alice.");
    JsonObject me = get("/api/auth/me", tokens.getString("token")).json();
    assertThat(me.getString("owner")).isEqualTo("alice");
    assertThat(me.getBoolean("admin")).isTrue();
    assertThat(login("alice", "wrong password!").getInteger("status")).isEqualTo(401);
  }

  @Test
  @Order(3)
  @DisplayName("lets an admin add owners, who see only their own data")
  void ownersSeeOnlyTheirOwn() {
    String alice = eventually(WAIT, () -> login("alice", ALICE_PASSWORD)).getString("token");
    Http.Response added =
        post(
            "/api/auth/owners",
            alice,
            new JsonObject().put("owner", "bob").put("password", "bob's secret 1"));
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    assertThat(
            post(
                    "/api/auth/owners",
                    alice,
                    new JsonObject().put("owner", "bob").put("password", "x".repeat(9)))
                .status())
        .isEqualTo(409);
    String bob = login("bob", "bob's secret 1").getString("token");
    secrets.add("bob's secret 1");

    assertThat(get("/api/auth/owners", bob).status()).isEqualTo(403);
    assertThat(get("/api/vault/alice/status", bob).status()).isEqualTo(403);
    assertThat(get("/api/vault/bob/status", alice).status()).isEqualTo(403);
    assertThat(get("/api/vault/alice/status", alice).status()).isEqualTo(200);
    assertThat(get("/api/vault/bob/status", bob).status()).isEqualTo(200);
    assertThat(get("/api/auth/owners", alice).jsonArray().size()).isEqualTo(2);
    // The accounts' own vault belongs to nobody.
    assertThat(get("/api/vault/kith-accounts/records", alice).status()).isEqualTo(403);
  }

  @Test
  @Order(4)
  @DisplayName("swaps a refresh token once, and ends a session at logout")
  void refreshAndLogout() {
    JsonObject first = eventually(WAIT, () -> login("alice", ALICE_PASSWORD));
    Http.Response refreshed =
        post(
            "/api/auth/refresh",
            null,
            new JsonObject().put("refreshToken", first.getString("refreshToken")));
    assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
    JsonObject second = refreshed.json();
    secrets.add(first.getString("refreshToken"));
    secrets.add(second.getString("refreshToken"));
    // A refresh token works once.
    assertThat(
            post(
                    "/api/auth/refresh",
                    null,
                    new JsonObject().put("refreshToken", first.getString("refreshToken")))
                .status())
        .isEqualTo(401);

    assertThat(get("/api/auth/me", second.getString("token")).status()).isEqualTo(200);
    assertThat(post("/api/auth/logout", second.getString("token"), new JsonObject()).status())
        .isEqualTo(200);
    assertThat(get("/api/auth/me", second.getString("token")).status()).isEqualTo(401);
    assertThat(get("/api/auth/me", first.getString("token")).status()).isEqualTo(401);
    assertThat(
            post(
                    "/api/auth/refresh",
                    null,
                    new JsonObject().put("refreshToken", second.getString("refreshToken")))
                .status())
        .isEqualTo(401);
  }

  @Test
  @Order(5)
  @DisplayName("changes a password: the old one stops working and other sessions end")
  void changePassword() {
    JsonObject elsewhere = login("bob", "bob's secret 1");
    JsonObject here = login("bob", "bob's secret 1");
    Http.Response wrong =
        put(
            "/api/auth/owners/bob/password",
            here.getString("token"),
            new JsonObject()
                .put("currentPassword", "not it at all")
                .put("newPassword", "bob's secret 2"));
    assertThat(wrong.status()).isEqualTo(403);
    Http.Response changed =
        put(
            "/api/auth/owners/bob/password",
            here.getString("token"),
            new JsonObject()
                .put("currentPassword", "bob's secret 1")
                .put("newPassword", "bob's secret 2"));
    assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    secrets.add("bob's secret 2");
    assertThat(login("bob", "bob's secret 1").getInteger("status")).isEqualTo(401);
    assertThat(login("bob", "bob's secret 2").getString("token")).isNotNull();
    assertThat(get("/api/auth/me", here.getString("token")).status()).isEqualTo(200);
    assertThat(get("/api/auth/me", elsewhere.getString("token")).status()).isEqualTo(401);
    // Only bob changes bob's password.
    String alice = login("alice", ALICE_PASSWORD).getString("token");
    assertThat(
            put(
                    "/api/auth/owners/bob/password",
                    alice,
                    new JsonObject()
                        .put("currentPassword", "bob's secret 2")
                        .put("newPassword", "hijacked!!"))
                .status())
        .isEqualTo(403);
  }

  @Test
  @Order(6)
  @DisplayName("gives a browser an HttpOnly cookie session that changes nothing cross-site")
  void cookieSession() {
    Http.Response login =
        Http.raw(
            "POST",
            url + "/api/auth/login",
            new JsonObject()
                .put("owner", "alice")
                .put("password", ALICE_PASSWORD)
                .put("cookie", true)
                .encode(),
            "Content-Type",
            "application/json");
    assertThat(login.status()).isEqualTo(200);
    List<String> cookies =
        login.headers().entrySet().stream()
            .filter(e -> e.getKey().equalsIgnoreCase("set-cookie"))
            .flatMap(e -> e.getValue().stream())
            .toList();
    String session =
        cookies.stream().filter(c -> c.startsWith("kith_session=")).findFirst().orElseThrow();
    assertThat(session).containsIgnoringCase("HttpOnly").contains("SameSite=Strict");
    String cookie = session.substring(0, session.indexOf(';'));
    secrets.add(cookie.substring("kith_session=".length()));

    assertThat(Http.raw("GET", url + "/api/auth/me", null, "Cookie", cookie).status())
        .isEqualTo(200);
    // A state change from another origin (or none) is refused; from the device's own, accepted.
    assertThat(
            Http.raw(
                    "POST",
                    url + "/api/auth/logout",
                    "{}",
                    "Content-Type",
                    "application/json",
                    "Cookie",
                    cookie,
                    "Origin",
                    "https://evil.example")
                .status())
        .isEqualTo(403);
    String origin = url;
    assertThat(
            Http.raw(
                    "POST",
                    url + "/api/auth/logout",
                    "{}",
                    "Content-Type",
                    "application/json",
                    "Cookie",
                    cookie,
                    "Origin",
                    origin)
                .status())
        .isEqualTo(200);
    assertThat(Http.raw("GET", url + "/api/auth/me", null, "Cookie", cookie).status())
        .isEqualTo(401);
  }

  @Test
  @Order(7)
  @DisplayName("creates an owner from a one-time setup token that kith owner add prints")
  void setupToken() throws Exception {
    // The operator on the device's machine adds carol without a password.
    Cli init = kith("", "owner", "add", "carol", "--home", home.toString(), "--url", url);
    assertThat(init.code).as(init.output).isZero();
    String token =
        init.output
            .lines()
            .filter(l -> l.matches("[A-Za-z0-9_-]{32}"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(init.output));
    secrets.add(token);
    Http.Response set =
        eventually(
            WAIT,
            () -> {
              Http.Response r =
                  post(
                      "/api/auth/setup",
                      null,
                      new JsonObject()
                          .put("owner", "carol")
                          .put("setupToken", token)
                          .put("password", "carol's secret"));
              assertThat(r.status()).as(r.body()).isEqualTo(200);
              return r;
            });
    secrets.add("carol's secret");
    assertThat(set.json().getString("token")).isNotNull();
    // Spent: the same token does not work twice.
    assertThat(
            post(
                    "/api/auth/setup",
                    null,
                    new JsonObject()
                        .put("owner", "carol")
                        .put("setupToken", token)
                        .put("password", "another one"))
                .status())
        .isEqualTo(401);
    assertThat(login("carol", "carol's secret").getString("token")).isNotNull();
  }

  @Test
  @Order(8)
  @DisplayName(
      "answers 429 with Retry-After after login-max-failures wrong passwords for an account, and"
          + " lets the right one in after the lockout")
  void lockout() throws IOException {
    // From an address of its own on loopback, so the earlier tests' failures do not count here.
    String from = "127.0.0.9";
    for (int i = 1; i <= MAX_FAILURES; i++) {
      int status = loginFrom(from, "alice", "guess number " + i).status();
      assertThat(status).as("attempt %d", i).isEqualTo(401);
    }
    Http.Response locked = loginFrom(from, "alice", ALICE_PASSWORD);
    long lockedAt = System.nanoTime();
    assertThat(locked.status()).as(locked.body()).isEqualTo(429);
    assertThat(Integer.parseInt(locked.header("Retry-After"))).isBetween(1, LOCKOUT_SECONDS);
    assertThat(locked.json().getString("error")).isEqualTo("too-many-requests");
    // The account is locked from every address.
    assertThat(loginFrom("127.0.0.10", "alice", ALICE_PASSWORD).status()).isEqualTo(429);
    eventually(
        WAIT,
        () -> {
          assertThat(loginFrom(from, "alice", ALICE_PASSWORD).status()).isEqualTo(200);
        });
    long tookMillis = (System.nanoTime() - lockedAt) / 1_000_000;
    System.out.printf(
        "[kith-test] the right password worked %d ms after the lockout began (lockout %d s)%n",
        tookMillis, LOCKOUT_SECONDS);
    assertThat(tookMillis).isGreaterThanOrEqualTo((LOCKOUT_SECONDS - 2) * 1000L);
  }

  @Test
  @Order(8)
  @DisplayName(
      "answers 429 to an address that failed login-max-failures times, whichever account it tries")
  void lockoutPerAddress() throws IOException {
    String from = "127.0.0.11";
    for (int i = 1; i <= MAX_FAILURES; i++) {
      assertThat(loginFrom(from, "nobody" + i, "guess number " + i).status())
          .as("attempt %d", i)
          .isEqualTo(401);
    }
    assertThat(loginFrom(from, "alice", ALICE_PASSWORD).status()).isEqualTo(429);
    assertThat(loginFrom("127.0.0.12", "alice", ALICE_PASSWORD).status()).isIn(200, 429);
  }

  @Test
  @Order(9)
  @DisplayName("keeps secret files at mode 0600 and writes no password or token to its log")
  void noSecretsLeak() throws IOException {
    Path trust = home.resolve("trust");
    for (String file : List.of("ca.key", "device.key", "token.key", "operator.token")) {
      assertThat(Files.getPosixFilePermissions(trust.resolve(file)))
          .as(file)
          .containsExactlyInAnyOrder(
              PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
    assertThat(Files.getPosixFilePermissions(trust))
        .isEqualTo(
            Set.of(
                PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE));
    secrets.add(Files.readString(trust.resolve("operator.token")).trim());
    String log = device.logText();
    assertThat(log).contains("logged in");
    for (String secret : secrets) {
      assertThat(log).as("the log holds a secret").doesNotContain(secret);
    }
  }

  // helpers

  /** Logs in; answers the tokens, or {"status": N} when refused. */
  private static JsonObject login(String owner, String password) {
    Http.Response r =
        post(
            "/api/auth/login",
            null,
            new JsonObject().put("owner", owner).put("password", password));
    if (r.status() != 200) {
      return new JsonObject().put("status", r.status()).put("body", r.body());
    }
    secrets.add(r.json().getString("token"));
    secrets.add(r.json().getString("refreshToken"));
    return r.json();
  }

  private static Http.Response get(String path, String token) {
    return Http.raw("GET", url + path, null, "Authorization", "Bearer " + token);
  }

  private static Http.Response post(String path, String token, JsonObject body) {
    return send("POST", path, token, body);
  }

  private static Http.Response put(String path, String token, JsonObject body) {
    return send("PUT", path, token, body);
  }

  private static Http.Response send(String method, String path, String token, JsonObject body) {
    return token == null
        ? Http.raw(method, url + path, body.encode(), "Content-Type", "application/json")
        : Http.raw(
            method,
            url + path,
            body.encode(),
            "Content-Type",
            "application/json",
            "Authorization",
            "Bearer " + token);
  }

  /** POST /api/auth/login over a socket bound to {@code localAddress} (on loopback). */
  private static Http.Response loginFrom(String localAddress, String owner, String password)
      throws IOException {
    byte[] body =
        new JsonObject()
            .put("owner", owner)
            .put("password", password)
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.bind(new java.net.InetSocketAddress(localAddress, 0));
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", device.httpPort()), 2000);
      socket.setSoTimeout(10_000);
      String head =
          "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:"
              + device.httpPort()
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length
              + "\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      int split = response.indexOf("\r\n\r\n");
      java.util.Map<String, List<String>> headers = new java.util.HashMap<>();
      for (String line : response.substring(0, split).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.put(line.substring(0, colon).trim(), List.of(line.substring(colon + 1).trim()));
        }
      }
      String text = response.substring(split + 4);
      if (status == 200) {
        secrets.add(new JsonObject(text).getString("token"));
        secrets.add(new JsonObject(text).getString("refreshToken"));
      }
      return new Http.Response(status, text, headers);
    }
  }

  private record Cli(int code, String output) {}

  private static Cli kith(String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>(Launcher.classpath().command());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Cli(p.exitValue(), out);
  }
}
