package dev.kith.mail.imap;

import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.FreePorts;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private Dovecot (Debian's {@code dovecot-imapd}), the reference IMAP server of the comparison
 * tests: its own configuration, folders and log under {@code target/dovecot-<port>}, listening on a
 * free loopback port, with one user and a plain-text password. It is stopped by its master's PID.
 * As root its mail belongs to the {@code dovecot} user (Dovecot refuses uid 0 for mail); otherwise
 * to whoever runs the test.
 */
final class Dovecot implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/sbin/dovecot");

  private final Path dir;
  private final int port;

  private Dovecot(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  static Dovecot start(String user, String password) throws Exception {
    int port = FreePorts.next();
    Path dir = Files.createDirectories(Path.of("target", "dovecot-" + port).toAbsolutePath());
    for (String sub : List.of("run", "state", "mail", "home")) {
      Files.createDirectories(dir.resolve(sub));
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    String mailUser = root ? "dovecot" : System.getProperty("user.name");
    if (root) {
      run(
          "chown",
          "-R",
          "dovecot:dovecot",
          dir.resolve("mail").toString(),
          dir.resolve("home").toString());
    }
    Files.writeString(dir.resolve("passwd"), user + ":{PLAIN}" + password + "\n");
    Files.writeString(dir.resolve("dovecot.conf"), config(dir, port, mailUser, root));
    run(BINARY.toString(), "-c", dir.resolve("dovecot.conf").toString());
    Dovecot dovecot = new Dovecot(dir, port);
    Eventually.eventually(
        Duration.ofSeconds(20),
        () -> {
          try (Socket s = new Socket("127.0.0.1", port)) {
            return s.isConnected();
          }
        });
    return dovecot;
  }

  private static String config(Path dir, int port, String mailUser, boolean root) {
    String users =
        root
            ? "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
            : "default_login_user = " + mailUser + "\ndefault_internal_user = " + mailUser + "\n";
    return "base_dir = "
        + dir.resolve("run")
        + "\n"
        + "state_dir = "
        + dir.resolve("state")
        + "\n"
        + "log_path = "
        + dir.resolve("dovecot.log")
        + "\n"
        + "protocols = imap\nlisten = 127.0.0.1\nssl = no\n"
        + "disable_plaintext_auth = no\nauth_mechanisms = plain login\nfirst_valid_uid = 1\n"
        + "mail_location = maildir:"
        + dir.resolve("mail")
        + "/%u\n"
        + users
        + "passdb {\n  driver = passwd-file\n  args = "
        + dir.resolve("passwd")
        + "\n}\n"
        + "userdb {\n  driver = static\n  args = uid="
        + mailUser
        + " gid="
        + mailUser
        + " home="
        + dir.resolve("home")
        + "/%u\n}\n"
        + "service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = "
        + port
        + "\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n"
        + "service stats {\n  unix_listener stats-reader {\n    mode = 0666\n  }\n"
        + "  unix_listener stats-writer {\n    mode = 0666\n  }\n}\n";
  }

  int port() {
    return port;
  }

  Path log() {
    return dir.resolve("dovecot.log");
  }

  @Override
  public void close() throws IOException {
    Path pid = dir.resolve("run").resolve("master.pid");
    if (Files.exists(pid)) {
      long master = Long.parseLong(Files.readString(pid).trim());
      ProcessHandle.of(master).ifPresent(ProcessHandle::destroy);
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed: " + new String(p.getInputStream().readAllBytes()));
    }
  }
}
