package dev.kith.chat.reference;

import dev.kith.mesh.testing.DebianPackages;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the reference XMPP scenario ({@code xmpp/scenario.py}, Debian's slixmpp on the system
 * python) against any server: a private Prosody to prove the scenario, then Kith. Two accounts with
 * two resources each go through login, service discovery, ping, vCard, the block list, a mutual
 * roster subscription, presence with priorities, messages with carbons, MAM paging and stream
 * management resumption after a dropped connection.
 *
 * <p>The script prints one JSON object: {@code ok}, {@code failures} (one line each), {@code steps}
 * (each of {@link #STEPS} to true or false) and what each step saw under the step's name, such as
 * {@code mam.pages} or {@code resume.resumed}.
 */
public final class XmppScenario {

  /** Every step of the scenario, as named in the result's {@code steps}. */
  public static final List<String> STEPS =
      List.of(
          "login",
          "disco",
          "ping",
          "vcard",
          "blocking",
          "roster",
          "presence",
          "carbons_enabled",
          "carbons",
          "messages",
          "mam",
          "resume",
          "exactly_once");

  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path SLIXMPP = Path.of("/usr/lib/python3/dist-packages/slixmpp/__init__.py");
  private static final String SCRIPT = "/xmpp/scenario.py";

  /** How the clients reach TLS. */
  public enum Tls {
    /** The c2s port, then STARTTLS. */
    STARTTLS("starttls"),
    /** TLS from the first byte (XEP-0368). */
    DIRECT("direct");

    private final String arg;

    Tls(String arg) {
      this.arg = arg;
    }
  }

  /** What the script said: its exit code, its JSON (null if it printed none) and its stderr. */
  public record Result(int exitCode, JsonObject json, String stderr) {

    /** Whether every step passed. */
    public boolean passed() {
      return exitCode == 0 && json != null && json.getBoolean("ok", false);
    }

    /** The JSON, or an {@link AssertionError} with the failures and stderr if a step failed. */
    public JsonObject orFail() {
      if (!passed()) {
        throw new AssertionError(describe());
      }
      return json;
    }

    /** The failures, the JSON and the end of stderr, for a failure message. */
    public String describe() {
      StringBuilder text = new StringBuilder("the XMPP scenario exited with " + exitCode);
      if (json != null) {
        for (Object failure : json.getJsonArray("failures", new JsonArray())) {
          text.append("\n  FAILED ").append(failure);
        }
        text.append("\nresult: ").append(json.encode());
      }
      return text.append("\nstderr:\n").append(stderr).toString();
    }
  }

  private final String host;
  private final int port;
  private final String domain;
  private String alice = "alice:password";
  private String bob = "bob:password";
  private Tls tls = Tls.STARTTLS;
  private boolean insecure = true;
  private Duration wait = Duration.ofSeconds(20);
  private Duration deadline = Duration.ofSeconds(240);
  private boolean verbose;

  private XmppScenario(String host, int port, String domain) {
    this.host = host;
    this.port = port;
    this.domain = domain;
  }

  /** Skips (or, in CI, fails) the test unless the system python has Debian's slixmpp. */
  public static void require() {
    DebianPackages.require(PYTHON, "python3");
    DebianPackages.require(SLIXMPP, "python3-slixmpp");
  }

  /** The scenario against the XMPP server at {@code host:port} serving {@code domain}. */
  public static XmppScenario against(String host, int port, String domain) {
    return new XmppScenario(host, port, domain);
  }

  /** Alice's account (a user name, or a bare JID) and password; both must exist. */
  public XmppScenario alice(String user, String password) {
    this.alice = user + ":" + password;
    return this;
  }

  /** Bob's account (a user name, or a bare JID) and password; both must exist. */
  public XmppScenario bob(String user, String password) {
    this.bob = user + ":" + password;
    return this;
  }

  /** STARTTLS on a c2s port (the default) or direct TLS. */
  public XmppScenario tls(Tls tls) {
    this.tls = tls;
    return this;
  }

  /** Whether to skip certificate verification; test servers have self-signed ones (default). */
  public XmppScenario insecure(boolean insecure) {
    this.insecure = insecure;
    return this;
  }

  /** How long each wait in the script may take (default 20 s). */
  public XmppScenario waitEach(Duration wait) {
    this.wait = wait;
    return this;
  }

  /** How long all steps together may take before the rest are skipped (default 240 s). */
  public XmppScenario deadline(Duration deadline) {
    this.deadline = deadline;
    return this;
  }

  /** Whether the script writes slixmpp's debug log (every stanza) to stderr. */
  public XmppScenario verbose(boolean verbose) {
    this.verbose = verbose;
    return this;
  }

  /** Runs the scenario and answers its JSON; fails with what failed when any step failed. */
  public JsonObject run() {
    return attempt().orFail();
  }

  /**
   * Runs the scenario and answers what it said, whether or not it passed; fails only when the
   * script cannot run or outlives its deadline.
   */
  public Result attempt() {
    require();
    Path script = null;
    Path out = null;
    Path err = null;
    try {
      script = Files.createTempFile("kith-xmpp-scenario-", ".py");
      try (InputStream in = XmppScenario.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          throw new AssertionError("no test resource " + SCRIPT);
        }
        Files.write(script, in.readAllBytes());
      }
      out = Files.createTempFile("kith-xmpp-scenario-", ".out");
      err = Files.createTempFile("kith-xmpp-scenario-", ".err");
      Process p =
          new ProcessBuilder(command(script))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      // The script keeps its own deadline; this one is for a script that hangs regardless.
      long limit = deadline.plus(wait.multipliedBy(2)).plusSeconds(30).toSeconds();
      if (!p.waitFor(limit, TimeUnit.SECONDS)) {
        p.toHandle().destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(
            "the XMPP scenario did not finish in " + limit + " s:\n" + tail(err));
      }
      return new Result(p.exitValue(), json(Files.readString(out)), tail(err));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + PYTHON, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      for (Path p : new Path[] {script, out, err}) {
        if (p != null) {
          try {
            Files.deleteIfExists(p);
          } catch (IOException ignored) {
            // a temporary file left behind is harmless
          }
        }
      }
    }
  }

  private List<String> command(Path script) {
    List<String> command = new ArrayList<>();
    command.add(PYTHON.toString());
    command.add(script.toString());
    command.addAll(List.of("--host", host, "--port", String.valueOf(port), "--domain", domain));
    command.addAll(List.of("--alice", alice, "--bob", bob, "--tls", tls.arg));
    command.addAll(List.of("--wait", String.valueOf(wait.toMillis() / 1000.0)));
    command.addAll(List.of("--deadline", String.valueOf(deadline.toMillis() / 1000.0)));
    if (insecure) {
      command.add("--insecure");
    }
    if (verbose) {
      command.add("--verbose");
    }
    return command;
  }

  private static JsonObject json(String stdout) {
    String text = stdout.trim();
    if (text.isEmpty()) {
      return null;
    }
    try {
      return new JsonObject(text.substring(text.lastIndexOf('\n') + 1));
    } catch (DecodeException e) {
      return null;
    }
  }

  private static String tail(Path file) throws IOException {
    String all = Files.readString(file, StandardCharsets.UTF_8);
    return all.length() > 20_000 ? all.substring(all.length() - 20_000) : all;
  }
}
