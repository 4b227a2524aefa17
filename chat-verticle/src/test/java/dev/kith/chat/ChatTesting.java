package dev.kith.chat;

import dev.kith.mesh.testing.DebianPackages;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What chat's multi-device tests share: device settings, ports, and slixmpp scripts. */
public final class ChatTesting {

  /** The chat domain of the test devices. */
  public static final String DOMAIN = "example.org";

  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path SLIXMPP = Path.of("/usr/lib/python3/dist-packages/slixmpp/__init__.py");

  private ChatTesting() {}

  /** Gives a device builder free XMPP ports and the test domain. */
  public static void withChat(DeviceProcess.Builder device) {
    device.flag("xmpp-port", String.valueOf(FreePorts.next()));
    device.flag("xmpps-port", String.valueOf(FreePorts.next()));
    device.flag("xmpp-domain", DOMAIN);
    device.flag("power", "mains");
  }

  /**
   * Starts a mesh of {@code names} (NAME.OWNER) with free XMPP ports and the test domain, and waits
   * until every device takes XMPP connections.
   */
  public static dev.kith.mesh.testing.LocalMesh startMesh(String... names) {
    dev.kith.mesh.testing.LocalMesh mesh =
        dev.kith.mesh.testing.LocalMesh.options().names(names).each(ChatTesting::withChat).start();
    try {
      awaitXmpp(mesh);
      return mesh;
    } catch (RuntimeException | Error e) {
      mesh.close();
      throw e;
    }
  }

  /**
   * Waits until every device of {@code mesh} takes connections on both XMPP ports: a device is
   * ready before its XMPP server (which first makes its certificate) listens.
   */
  public static void awaitXmpp(dev.kith.mesh.testing.LocalMesh mesh) {
    mesh.devices().forEach(ChatTesting::awaitXmpp);
  }

  /** {@link #awaitXmpp(dev.kith.mesh.testing.LocalMesh)} for one device. */
  public static void awaitXmpp(DeviceProcess device) {
    for (int port : List.of(xmppPort(device), xmppsPort(device))) {
      dev.kith.mesh.testing.Eventually.eventually(
          java.time.Duration.ofSeconds(60),
          () -> {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
              return s.isConnected();
            } catch (IOException e) {
              throw new AssertionError(device.name() + " does not take XMPP on " + port, e);
            }
          });
    }
  }

  /** The STARTTLS port a device was started with. */
  public static int xmppPort(DeviceProcess device) {
    return flag(device, "--xmpp-port");
  }

  /** The direct-TLS port a device was started with. */
  public static int xmppsPort(DeviceProcess device) {
    return flag(device, "--xmpps-port");
  }

  private static int flag(DeviceProcess device, String flag) {
    List<String> command = device.command();
    int at = command.indexOf(flag);
    if (at < 0) {
      throw new AssertionError(device.name() + " was started without " + flag);
    }
    return Integer.parseInt(command.get(at + 1));
  }

  /** Fails in CI, skips elsewhere, when Debian's slixmpp is missing. */
  public static void requireSlixmpp() {
    DebianPackages.require(SLIXMPP, "python3-slixmpp");
  }

  /**
   * Runs the script {@code resource} (under the test resources) with the system python and {@code
   * args}; answers the JSON object it printed last. Fails with what it printed on stderr when it
   * fails or takes longer than {@code timeoutSeconds}.
   */
  public static JsonObject python(String resource, long timeoutSeconds, Object... args) {
    try (Script script = start(resource, args)) {
      return script.result(timeoutSeconds);
    }
  }

  /** A script that runs while the test watches its output: {@link #start}. */
  public static final class Script implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;
    private int seen;

    private Script(Process process, Path out, Path err) {
      this.process = process;
      this.out = out;
      this.err = err;
    }

    private List<String> lines() {
      try {
        return Files.readAllLines(out, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** Waits until the script prints {@code line}; fails after {@code timeoutSeconds}. */
    public void awaitLine(String line, long timeoutSeconds) {
      long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
      while (System.nanoTime() < deadline) {
        List<String> lines = lines();
        for (; seen < lines.size(); seen++) {
          if (lines.get(seen).equals(line)) {
            seen++;
            return;
          }
        }
        if (!process.isAlive() && lines().size() == seen) {
          throw new AssertionError("the script ended before '" + line + "':\n" + log());
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      throw new AssertionError("no '" + line + "' in " + timeoutSeconds + " s:\n" + log());
    }

    /** Waits for the script to end; answers the JSON object it printed last. */
    public JsonObject result(long timeoutSeconds) {
      try {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError(
              "the script did not finish in " + timeoutSeconds + " s:\n" + log());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      List<String> lines = lines();
      String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
      if (process.exitValue() != 0 || !last.startsWith("{")) {
        throw new AssertionError(
            "the script failed (" + process.exitValue() + "):\n" + last + "\n" + log());
      }
      return new JsonObject(last);
    }

    /** What the script wrote on stderr (its log), for failure messages. */
    public String log() {
      try {
        return tail(err);
      } catch (IOException e) {
        return e.toString();
      }
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      } catch (IOException e) {
        // Temporary files: the system cleans them up.
      }
    }
  }

  /** Starts the script {@code resource} with the system python and {@code args}. */
  public static Script start(String resource, Object... args) {
    requireSlixmpp();
    try {
      Path script = Files.createTempFile("kith-chat-", ".py");
      try (InputStream in = ChatTesting.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new AssertionError("no test resource " + resource);
        }
        Files.write(script, in.readAllBytes());
      }
      List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
      for (Object a : args) {
        command.add(String.valueOf(a));
      }
      Path out = Files.createTempFile("kith-chat-", ".out");
      Path err = Files.createTempFile("kith-chat-", ".err");
      Process process =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      script.toFile().deleteOnExit();
      return new Script(process, out, err);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + PYTHON, e);
    }
  }

  /** The device that runs {@code owner}'s chat, as {@code asked} lists services; null if none. */
  public static String chatDeviceNow(DeviceProcess asked, String owner) {
    for (Object o :
        dev.kith.mesh.testing.Http.getJsonArray(asked.httpUrl() + "/api/mesh/services")) {
      JsonObject s = (JsonObject) o;
      if ("chat".equals(s.getString("service"))
          && owner.equals(s.getString("owner"))
          && "running".equals(s.getString("state"))) {
        return s.getString("device");
      }
    }
    return null;
  }

  /** How many running chat instances of {@code owner} {@code asked} lists. */
  public static long chatInstances(DeviceProcess asked, String owner) {
    return dev.kith.mesh.testing.Http.getJsonArray(asked.httpUrl() + "/api/mesh/services").stream()
        .map(o -> (JsonObject) o)
        .filter(
            s ->
                "chat".equals(s.getString("service"))
                    && owner.equals(s.getString("owner"))
                    && "running".equals(s.getString("state")))
        .count();
  }

  private static String tail(Path file) throws IOException {
    String all = Files.readString(file, StandardCharsets.UTF_8);
    return all.length() > 6000 ? all.substring(all.length() - 6000) : all;
  }
}
