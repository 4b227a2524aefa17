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
 * tests: its own configuration, folders and log in a new folder under the temporary folder (the log
 * is copied to {@code target/dovecot-<port>.log} at the end), listening on a free loopback port,
 * with one user and a plain-text password. It is stopped by its master's PID. As root its mail
 * belongs to the {@code dovecot} user (Dovecot refuses uid 0 for mail); otherwise to whoever runs
 * the test.
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
    // Under /tmp, not the checkout: Dovecot's own users must reach the folder, and a checkout may
    // sit below a folder only its owner can enter.
    Path dir = Files.createTempDirectory("kith-dovecot-" + port + "-");
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
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

  /** Stops Dovecot's master (it stops its processes) and removes the folder, log kept aside. */
  @Override
  public void close() throws IOException {
    Path pid = dir.resolve("run").resolve("master.pid");
    if (Files.exists(pid)) {
      long master = Long.parseLong(Files.readString(pid).trim());
      ProcessHandle.of(master)
          .ifPresent(
              p -> {
                p.destroy();
                p.onExit().orTimeout(20, TimeUnit.SECONDS).join();
              });
    }
    Files.createDirectories(Path.of("target"));
    Files.copy(
        log(),
        Path.of("target", "dovecot-" + port + ".log"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
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
