package dev.kith.mesh;

import static dev.kith.mesh.testing.Eventually.allTheTime;
import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.KithCli;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A device's first start with no owner in its mesh: it says once how to make one, what it says
 * works, and {@code GET /} tells a browser what the device is.
 */
@DisplayName("First start")
@ExtendWith(DeviceLogs.class)
class FirstStartTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String HINT = "the mesh has no owner yet";

  @Test
  @DisplayName(
      "a device with no owner logs once how to create one, the command it gives works, and GET /"
          + " answers a page that says what the device is")
  void firstStart() {
    try (DeviceProcess device = DeviceProcess.builder("first.alice").start()) {
      device.awaitReady(Duration.ofSeconds(60));

      // The hint, once.
      eventually(WAIT, () -> assertThat(device.stdout()).contains(HINT));
      allTheTime(
          Duration.ofSeconds(3),
          () -> assertThat(count(device.stdout(), HINT)).as("hints logged").isEqualTo(1));
      Matcher command =
          Pattern.compile("kith owner add NAME --admin --url (\\S+) --home (\\S+)")
              .matcher(device.stdout());
      assertThat(command.find()).as(device.stdout()).isTrue();

      // The page at /: what this is, and where to read on; no script can run in it.
      Http.Response page = Http.raw("GET", device.httpUrl() + "/", null);
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.header("Content-Type")).startsWith("text/html");
      assertThat(page.header("Content-Security-Policy")).contains("default-src 'none'");
      assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
      assertThat(page.body()).contains("first.alice", "/api/openapi.json", "docs/", "kith login");

      // Following the hint: the operator on this machine makes the first administrator, who logs
      // in.
      KithCli.Result add =
          KithCli.classpath()
              .stdin("the first password\n")
              .run(
                  "owner",
                  "add",
                  "alice",
                  "--admin",
                  "--url",
                  command.group(1),
                  "--home",
                  command.group(2));
      assertThat(add.code()).as(add.output()).isZero();
      KithCli.Result login =
          KithCli.classpath()
              .stdin("the first password\n")
              .run(
                  "login",
                  "alice",
                  "--url",
                  device.httpUrl(),
                  "--home",
                  device.directory().resolve("client").toString());
      assertThat(login.code()).as(login.output()).isZero();
      KithCli.Result list =
          KithCli.classpath()
              .run("owner", "list", "--home", device.directory().resolve("client").toString());
      assertThat(list.stdout()).containsPattern("alice +yes");
    }
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
