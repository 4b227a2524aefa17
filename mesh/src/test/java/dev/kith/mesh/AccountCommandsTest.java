package dev.kith.mesh;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.auth.Passwords;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.KithCli;
import dev.kith.mesh.trust.MeshTrust;
import dev.kith.mesh.trust.SecretFiles;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The account and session commands against one real device: {@code kith init} (a new mesh only),
 * {@code kith login}, {@code logout}, {@code passwd}, {@code token}, {@code owner add|list|remove},
 * and {@code export}/{@code import} with the logged-in owner's session. Each command runs as its
 * own JVM, with passwords on standard input, as a script would run it. Access tokens last 30 s
 * here, so every command renews the session's tokens, as a command a day later would.
 */
@DisplayName("Account and session commands")
@ExtendWith(DeviceLogs.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccountCommandsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ALICE = "alice's long password";
  private static final String BOB = "bob's first password";
  private static final String BOB_NEW = "bob's second password";

  private static DeviceProcess device;
  private static String url;
  private static Path root;

  /** Where alice's and bob's client commands keep their sessions: homes with no device. */
  private static Path aliceHome;

  private static Path bobHome;

  @BeforeAll
  static void start() throws Exception {
    root = DeviceLogs.root().resolve("account-commands-" + UUID.randomUUID());
    aliceHome = root.resolve("alice-client");
    bobHome = root.resolve("bob-client");
    Path home = root.resolve("home");
    DeviceProcess.Builder builder =
        DeviceProcess.builder("solo.alice")
            .flag("home", home.toString())
            .flag("access-token-seconds", "30");
    KithCli.Result init =
        cli(ALICE + "\n")
            .run(
                "init",
                "--home",
                home.toString(),
                "--name",
                "solo.alice",
                "--mesh",
                builder.mesh(),
                "--owner",
                "alice");
    assertThat(init.code()).as(init.output()).isZero();
    assertThat(init.stdout()).contains("kith login alice");
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
  @DisplayName(
      "kith init refuses a home that belongs to a device, and --owner with --ca-home, changing"
          + " nothing; a refused password leaves an empty home empty")
  void initMakesNewMeshesOnly() throws Exception {
    KithCli.Result again =
        cli("mallory's password\n")
            .run(
                "init",
                "--home",
                device.home().toString(),
                "--name",
                "solo.alice",
                "--owner",
                "mallory");
    assertThat(again.code()).as(again.output()).isEqualTo(2);
    assertThat(again.stderr()).contains("already belongs to solo.alice", "kith owner add");
    assertThat(again.stdout()).doesNotContain("will be", "creates");
    assertThat(device.home().resolve("trust/owner-init.json")).doesNotExist();

    Path fresh = root.resolve("fresh");
    KithCli.Result joining =
        cli("x's long password\n")
            .run(
                "init",
                "--home",
                fresh.toString(),
                "--name",
                "pi.alice",
                "--ca-home",
                device.home().toString(),
                "--owner",
                "x");
    assertThat(joining.code()).as(joining.output()).isEqualTo(2);
    assertThat(MeshTrust.exists(fresh)).isFalse();

    KithCli.Result shortPassword =
        cli("short\n")
            .run("init", "--home", fresh.toString(), "--name", "pi.alice", "--owner", "x");
    assertThat(shortPassword.code()).as(shortPassword.output()).isEqualTo(2);
    assertThat(MeshTrust.exists(fresh)).as("nothing made after a refused password").isFalse();
  }

  @Test
  @Order(2)
  @DisplayName(
      "an owner file left in the home of a device whose mesh has owners creates nobody (as kith"
          + " init used to on any home)")
  void ownerFileOnlyForANewMesh() throws Exception {
    eventually(WAIT, () -> assertThat(login(aliceHome, "alice", ALICE).code()).isZero());
    Path file = device.home().resolve("trust/owner-init.json");
    JsonObject pending =
        new JsonObject()
            .put("owner", "mallory")
            .put("admin", true)
            .put("hash", Passwords.hashNow("mallory's password"));
    SecretFiles.writeSecret(file, pending.encode().getBytes(StandardCharsets.UTF_8));
    eventually(WAIT, () -> assertThat(file).doesNotExist());
    assertThat(device.stdout())
        .contains("mallory (owner-init.json from kith init) was not created");
    assertThat(login(root.resolve("mallory-client"), "mallory", "mallory's password").code())
        .isEqualTo(2);
  }

  @Test
  @Order(3)
  @DisplayName("kith login keeps a 0600 session in the home; a wrong password keeps none")
  void login() throws Exception {
    Path wrongHome = root.resolve("wrong-client");
    KithCli.Result wrong = login(wrongHome, "alice", "not alice's password");
    assertThat(wrong.code()).as(wrong.output()).isEqualTo(2);
    assertThat(wrong.stderr()).contains("HTTP 401");
    assertThat(wrongHome.resolve("session.json")).doesNotExist();

    KithCli.Result ok = login(aliceHome, "alice", ALICE);
    assertThat(ok.code()).as(ok.output()).isZero();
    assertThat(ok.stdout()).contains("logged in as alice");
    Path session = aliceHome.resolve("session.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(session)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(session)).doesNotContain(ALICE);
  }

  @Test
  @Order(4)
  @DisplayName(
      "kith token renews the session's tokens each time they are near their end, and each works")
  void tokens() {
    String first = kith(aliceHome).run("token").stdout().trim();
    String second = kith(aliceHome).run("token").stdout().trim();
    assertThat(first).startsWith("eyJ");
    assertThat(second).startsWith("eyJ");
    for (String token : List.of(first, second)) {
      Http.Response me =
          Http.raw("GET", url + "/api/auth/me", null, "Authorization", "Bearer " + token);
      assertThat(me.status()).as(me.body()).isEqualTo(200);
      assertThat(me.json().getString("owner")).isEqualTo("alice");
    }
  }

  @Test
  @Order(5)
  @DisplayName(
      "kith owner add, list and remove work for an administrator's session and not for another"
          + " owner's")
  void owners() {
    KithCli.Result add = kith(aliceHome).stdin(BOB + "\n").run("owner", "add", "bob");
    assertThat(add.code()).as(add.output()).isZero();
    KithCli.Result twice = kith(aliceHome).stdin(BOB + "\n").run("owner", "add", "bob");
    assertThat(twice.code()).as(twice.output()).isEqualTo(1);
    assertThat(twice.stderr()).contains("exists already");

    KithCli.Result list = kith(aliceHome).run("owner", "list");
    assertThat(list.code()).as(list.output()).isZero();
    assertThat(list.stdout()).containsPattern("alice +yes").containsPattern("bob +no");

    // bob logs in on his own machine; he is no administrator.
    assertThat(login(bobHome, "bob", BOB).code()).isZero();
    KithCli.Result notAdmin =
        kith(bobHome).stdin("carol's password\n").run("owner", "add", "carol");
    assertThat(notAdmin.code()).as(notAdmin.output()).isEqualTo(2);
    assertThat(notAdmin.stderr()).contains("HTTP 403");

    // Without a password, the new owner gets a one-time setup token; here from the operator on
    // the device's own machine, as the first-start hint says.
    KithCli.Result carol = kith(device.home()).run("owner", "add", "carol", "--url", url);
    assertThat(carol.code()).as(carol.output()).isZero();
    String setupToken =
        carol
            .stdout()
            .lines()
            .filter(l -> l.matches("[A-Za-z0-9_-]{32}"))
            .findFirst()
            .orElseThrow();
    Http.Response set =
        Http.raw(
            "POST",
            url + "/api/auth/setup",
            new JsonObject()
                .put("owner", "carol")
                .put("setupToken", setupToken)
                .put("password", "carol's own password")
                .encode(),
            "Content-Type",
            "application/json");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
  }

  @Test
  @Order(6)
  @DisplayName("kith passwd changes the logged-in owner's password, read from standard input")
  void passwd() {
    KithCli.Result wrong = kith(bobHome).stdin("not bob's\n" + BOB_NEW + "\n").run("passwd");
    assertThat(wrong.code()).as(wrong.output()).isEqualTo(2);
    KithCli.Result changed = kith(bobHome).stdin(BOB + "\n" + BOB_NEW + "\n").run("passwd");
    assertThat(changed.code()).as(changed.output()).isZero();
    assertThat(changed.stdout()).contains("bob's password is changed");
    assertThat(login(root.resolve("bob-old"), "bob", BOB).code()).isEqualTo(2);
    assertThat(login(root.resolve("bob-new"), "bob", BOB_NEW).code()).isZero();
    // The session that changed it goes on.
    assertThat(kith(bobHome).run("token").code()).isZero();
  }

  @Test
  @Order(7)
  @DisplayName("kith export and import work on the logged-in owner's vault without --owner")
  void exportAndImport() throws Exception {
    String token = kith(aliceHome).run("token").stdout().trim();
    Http.Response put =
        Http.raw(
            "PUT",
            url + "/api/vault/alice/records/notes%2Fcli",
            new JsonObject().put("text", "from the session").encode(),
            "Content-Type",
            "application/json",
            "Authorization",
            "Bearer " + token);
    assertThat(put.status()).as(put.body()).isBetween(200, 201);

    Path file = root.resolve("alice.zip");
    KithCli.Result export = kith(aliceHome).run("export", "--out", file.toString());
    assertThat(export.code()).as(export.output()).isZero();
    assertThat(export.stdout()).contains("of alice's vault");
    try (ZipFile zip = new ZipFile(file.toFile())) {
      assertThat(new String(zip.getInputStream(zip.getEntry("records.jsonl")).readAllBytes()))
          .contains("notes/cli");
    }
    KithCli.Result imported = kith(aliceHome).run("import", file.toString());
    assertThat(imported.code()).as(imported.output()).isZero();
    assertThat(imported.stdout()).contains("into alice's vault");

    // bob's session reaches bob's vault only.
    KithCli.Result bobExport =
        kith(bobHome).run("export", "--owner", "alice", "--out", root.resolve("x.zip").toString());
    assertThat(bobExport.code()).as(bobExport.output()).isEqualTo(1);
    assertThat(bobExport.stderr()).contains("403");
  }

  @Test
  @Order(8)
  @DisplayName(
      "a removed owner's session ends; kith logout ends alice's session, mesh-wide, and forgets"
          + " it")
  void removeAndLogout() {
    KithCli.Result remove = kith(aliceHome).run("owner", "remove", "bob");
    assertThat(remove.code()).as(remove.output()).isZero();
    KithCli.Result bobAfter = kith(bobHome).run("owner", "list");
    assertThat(bobAfter.code()).as(bobAfter.output()).isEqualTo(2);
    assertThat(bobAfter.stderr()).contains("has ended", "kith login bob");

    String token = kith(aliceHome).run("token").stdout().trim();
    KithCli.Result logout = kith(aliceHome).run("logout");
    assertThat(logout.code()).as(logout.output()).isZero();
    assertThat(logout.stdout()).contains("alice is logged out");
    assertThat(aliceHome.resolve("session.json")).doesNotExist();
    eventually(
        WAIT,
        () ->
            assertThat(
                    Http.raw("GET", url + "/api/auth/me", null, "Authorization", "Bearer " + token)
                        .status())
                .isEqualTo(401));
    KithCli.Result none = kith(aliceHome).run("token");
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.stderr()).contains("kith login");
  }

  @Test
  @Order(9)
  @DisplayName("no password and no token reached the device's log; no first-start hint was needed")
  void quietLog() {
    assertThat(device.logText())
        .doesNotContain(ALICE, BOB, BOB_NEW, "mallory's password")
        .doesNotContain("has no owner yet");
  }

  // helpers

  /** A client command that keeps its session in {@code home} and talks to the device. */
  private static KithCli kith(Path home) {
    return cli("").env("KITH_HOME", home.toString()).env("KITH_URL", url);
  }

  private static KithCli cli(String stdin) {
    return KithCli.classpath().stdin(stdin);
  }

  private static KithCli.Result login(Path home, String owner, String password) {
    return cli(password + "\n").run("login", owner, "--url", url, "--home", home.toString());
  }
}
