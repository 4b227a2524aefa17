package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Launcher;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's quick start, run as written: the shell blocks of its "Quick start" section, read
 * from README.md, one line at a time, in order, through {@code bash} with {@code kith} defined as
 * {@code java -jar kith.jar}. What a person would do by hand is done here: passwords are typed on
 * standard input, {@code kith invite} runs once for each {@code TOKENn} the blocks name and its
 * tokens replace them, a device command runs in the background (another terminal) and is waited for
 * until ready, and a command whose effect takes a moment (a device list, a mail) is repeated until
 * it shows it. Only {@code /tmp/kith} becomes a folder of the test's, and devices send mail for
 * other domains to a closed loopback port, never to an MX. The ports are the README's.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
class QuickStartIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern ASSIGNMENT = Pattern.compile("([A-Z_]+)=\\$\\((.*)\\)");
  private static final Pattern EXPORT = Pattern.compile("export ([A-Z_]+)=(\\S+)");
  private static final Pattern PASSWORD_OF =
      Pattern.compile("kith (?:init .*--owner|login|owner add) ([a-z0-9-]+).*");
  private static final Pattern TOKEN_PLACEHOLDER = Pattern.compile("\\bTOKEN(\\d)\\b");

  private final Path jar = Path.of(System.getProperty("kith.jar", "target/kith.jar"));
  private final Path root = DeviceLogs.root().resolve("quick-start-" + UUID.randomUUID());
  private final Map<String, String> env = new LinkedHashMap<>();
  private final List<String> tokens = new ArrayList<>();
  private final List<DeviceProcess> devices = new ArrayList<>();

  @Test
  @DisplayName(
      "the README's quick start, as written: three devices list each other alive, bob's account"
          + " exists, alice's record, mail and web page are read through another device, DNS names"
          + " alice's devices, and every"
          + " device stops with Ctrl-C without an ERROR line")
  void quickStart() throws Exception {
    assertThat(jar).as("the fat jar, built by mvn package").isRegularFile();
    List<String> lines = quickStartLines();
    assertThat(lines.get(0)).startsWith("alias kith=").contains("deploy/target/kith.jar");
    int invites = (int) TOKEN_PLACEHOLDER.matcher(String.join("\n", lines)).results().count();
    try {
      for (String line : lines.subList(1, lines.size())) {
        System.out.println("[kith-test] $ " + line);
        step(line.replace("/tmp/kith", root.toString()), invites);
      }

      // Verdict, besides what each step checked: bob's account is there and he can log in.
      String owners = bash("kith owner list", "").stdout;
      assertThat(owners).containsPattern("alice +yes").containsPattern("bob +no");
      Result bob =
          bash(
              "kith login bob --url http://localhost:8083 --home " + root.resolve("bob-cli"),
              password("bob") + "\n");
      assertThat(bob.code).as(bob.output()).isZero();

      // Ctrl-C on each device: a clean stop, and no ERROR in any log of the whole run.
      for (DeviceProcess device : devices) {
        assertThat(device.ctrlC(Duration.ofSeconds(10))).as(device.describe()).isZero();
      }
      for (DeviceProcess device : devices) {
        assertThat(device.logText().lines().filter(l -> l.contains(" ERROR ")).toList())
            .as("ERROR lines of %s", device.name())
            .isEmpty();
      }
    } finally {
      devices.forEach(DeviceProcess::close);
    }
  }

  /** Runs one line of the quick start as a person would. */
  private void step(String line, int invites) throws Exception {
    Matcher export = EXPORT.matcher(line);
    Matcher assignment = ASSIGNMENT.matcher(line);
    if (export.matches()) {
      env.put(export.group(1), export.group(2));
    } else if (line.startsWith("kith --")) {
      startDevice(line);
    } else if (line.equals("kith invite")) {
      for (int i = 0; i < invites; i++) {
        Result invite = bash(line, "");
        assertThat(invite.code).as(invite.output()).isZero();
        tokens.add(invite.stdout.trim());
      }
    } else if (assignment.matches()) {
      Result value = bash(assignment.group(2), "");
      assertThat(value.code).as(value.output()).isZero();
      env.put(assignment.group(1), value.stdout.trim());
    } else if (line.contains("/api/mesh/devices")) {
      eventually(WAIT, () -> assertAllAlive(bash(line, "").stdout));
    } else if (line.startsWith("swaks")) {
      // The mailbox is placed once the mesh has settled; until then the edge answers 451.
      eventually(WAIT, () -> assertThat(bash(line, "").code).isZero());
    } else if (line.contains("/api/mail/mailboxes/INBOX/messages")) {
      eventually(WAIT, () -> assertThat(bash(line, "").stdout).contains("friend@example.net"));
    } else if (line.contains("Host: alice.example")) {
      // Every device serves the site once its record has reached it.
      eventually(WAIT, () -> assertThat(bash(line, "").stdout).contains("Alice, at home"));
    } else if (line.startsWith("dig ")) {
      // Every device names alice's devices once its view of the mesh has them.
      eventually(WAIT, () -> assertThat(bash(line, "").stdout).contains(".alice.localhost."));
    } else if (line.contains("records/notes%2Ffirst") && !line.contains("-X PUT")) {
      eventually(WAIT, () -> assertThat(bash(line, "").stdout).contains("hello"));
    } else {
      Matcher owner = PASSWORD_OF.matcher(line);
      Result result = bash(line, owner.matches() ? password(owner.group(1)) + "\n" : "");
      assertThat(result.code).as(line + "\n" + result.output()).isZero();
    }
  }

  /** A device command: started in the background, like in its own terminal, and waited for. */
  private void startDevice(String line) {
    Matcher placeholder = TOKEN_PLACEHOLDER.matcher(line);
    String command = placeholder.replaceAll(m -> tokens.get(Integer.parseInt(m.group(1)) - 1));
    List<String> args = Arrays.asList(command.substring("kith ".length()).split("\\s+"));
    String name = args.get(args.indexOf("--name") + 1);
    int httpPort = Integer.parseInt(args.get(args.indexOf("--http-port") + 1));
    DeviceProcess.Builder builder =
        DeviceProcess.builder(name)
            .launcher(Launcher.jar(jar).withDefaultSigint())
            .httpPort(httpPort)
            .env("KITH_MAIL_RELAY", "127.0.0.1:" + FreePorts.next())
            .env("KITH_MAIL_RELAY_TLS", "none");
    for (String flag :
        List.of(
            "name",
            "home",
            "http-port",
            "cluster-port",
            "mesh",
            "public-host",
            "smtp-port",
            "imap-port",
            "dns-port",
            "xmpp-port",
            "xmpps-port",
            "mail-relay",
            "mail-relay-tls")) {
      builder.withoutFlag(flag);
    }
    DeviceProcess device = builder.args(args.toArray(String[]::new)).start();
    devices.add(device);
    device.awaitReady(WAIT);
  }

  private static void assertAllAlive(String devicesJson) {
    Map<String, String> states = new LinkedHashMap<>();
    for (Object o : new JsonArray(devicesJson)) {
      JsonObject d = (JsonObject) o;
      states.put(d.getString("name"), d.getString("state"));
    }
    assertThat(states)
        .containsOnlyKeys("laptop.alice", "pi.alice", "desktop.bob")
        .allSatisfy((name, state) -> assertThat(state).as(name).isEqualTo("alive"));
  }

  /** The password a person types for {@code owner}. */
  private static String password(String owner) {
    return owner + "'s quick-start password";
  }

  /** The command lines of the shell blocks of the README's "Quick start" section. */
  private static List<String> quickStartLines() throws IOException {
    Path readme =
        Path.of(System.getProperty("kith.root", "..")).resolve("README.md").toAbsolutePath();
    String text = Files.readString(readme);
    int start = text.indexOf("## Quick start");
    int end = text.indexOf("\n## ", start + 1);
    String section = text.substring(start, end < 0 ? text.length() : end);
    List<String> lines = new ArrayList<>();
    Matcher block = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
    while (block.find()) {
      for (String line : block.group(1).split("\n")) {
        // A comment starts at a '#' after a space: none of the commands holds one.
        String command = line.replaceAll("\\s+#\\s.*$", "").trim();
        if (!command.isEmpty()) {
          lines.add(command);
        }
      }
    }
    return lines;
  }

  private record Result(int code, String stdout, String stderr) {
    String output() {
      return "exit " + code + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
    }
  }

  /** Runs {@code line} in bash, with {@code kith} the jar and the exported variables set. */
  private Result bash(String line, String stdin) throws IOException, InterruptedException {
    String script = "kith() { java -jar '" + jar.toAbsolutePath() + "' \"$@\"; }\n" + line;
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", script);
    builder.environment().keySet().removeIf(key -> key.startsWith("KITH_"));
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().putAll(env);
    Path err = Files.createTempFile("quick-start", ".err");
    Process p = builder.redirectError(err.toFile()).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(line + ": still running after 90 s");
    }
    String errText = Files.readString(err);
    Files.delete(err);
    return new Result(p.exitValue(), out, errText);
  }
}
