package dev.kith.mesh;

import dev.kith.mesh.auth.Accounts;
import dev.kith.mesh.auth.AuthService;
import dev.kith.mesh.auth.Passwords;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.trust.MeshTrust;
import dev.kith.mesh.trust.SecretFiles;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * {@code kith init}: prepares a device's home, offline (the device may be running or not).
 *
 * <ul>
 *   <li>Without trust files, it creates a new mesh there: the mesh id, the mesh CA and this
 *       device's certificate. With {@code --ca-home DIR} it instead gives this home a certificate
 *       signed by the CA kept in {@code DIR}: an enrollment done by whoever can read the CA's key.
 *   <li>With {@code --owner NAME} it also creates the first owner, an administrator. The password
 *       is read from standard input (one line; the terminal does not echo it); with none, a
 *       one-time setup token is printed instead, to be spent with {@code POST /api/auth/setup}
 *       within a day. The device takes the owner in within two seconds and deletes the file that
 *       carried it ({@code HOME/trust/owner-init.json}, mode 0600, holding only the Argon2id hash
 *       or the setup token's SHA-256). There is no default password.
 * </ul>
 */
final class InitCommand {

  private InitCommand() {}

  static int init(List<String> args) {
    String owner = null;
    Path caHome = null;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--owner" -> {
          if (i + 1 >= args.size()) {
            System.err.println("kith: --owner needs a name");
            return ExitCode.USAGE;
          }
          owner = args.get(++i);
        }
        case "--ca-home" -> {
          if (i + 1 >= args.size()) {
            System.err.println("kith: --ca-home needs a folder");
            return ExitCode.USAGE;
          }
          caHome = Path.of(args.get(++i)).toAbsolutePath();
        }
        case "--help", "-h" -> {
          System.out.println(
              "usage: kith init [--home DIR] [--name NAME.OWNER] [--mesh NAME] [--public-host H]\n"
                  + "                 [--owner OWNER] [--ca-home DIR]\n"
                  + "  creates a new mesh in the home (or, with --ca-home, a certificate from that"
                  + " home's CA),\n  and with --owner the first owner: its password is read from"
                  + " standard input;\n  with none, a one-time setup token is printed.");
          return ExitCode.OK;
        }
        default -> rest.add(a);
      }
    }
    DeviceConfig config;
    try {
      config = DeviceConfig.load(rest, System.getenv(), unknown -> {});
      if (owner != null) {
        Accounts.requireOwnerName(owner);
      }
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("kith: " + e.getMessage());
      return ExitCode.USAGE;
    }
    try {
      MeshTrust trust;
      if (MeshTrust.exists(config.home())) {
        trust = MeshTrust.load(config.home());
        System.out.println(
            "kith: "
                + config.home()
                + " already belongs to "
                + trust.deviceName()
                + " in mesh "
                + trust.meshName()
                + " ("
                + trust.meshId()
                + ")");
      } else {
        List<String> hosts = config.publicHost() == null ? List.of() : List.of(config.publicHost());
        trust =
            caHome == null
                ? MeshTrust.createMesh(config.home(), config.mesh(), config.name(), hosts)
                : MeshTrust.provisionFrom(caHome, config.home(), config.name(), hosts);
        System.out.println(
            "kith: "
                + config.name()
                + (caHome == null ? " starts the new mesh " : " joins the mesh ")
                + trust.meshName()
                + " ("
                + trust.meshId()
                + "); its certificate is in "
                + trust.folder());
      }
      if (owner != null) {
        return firstOwner(config.home(), owner);
      }
      return ExitCode.OK;
    } catch (IOException | RuntimeException e) {
      System.err.println("kith: init failed: " + e.getMessage());
      return ExitCode.FAILURE;
    }
  }

  private static int firstOwner(Path home, String owner) throws IOException {
    String password = readPassword(owner);
    JsonObject pending = new JsonObject().put("owner", owner).put("admin", true);
    String setupToken = null;
    if (password == null || password.isEmpty()) {
      setupToken =
          Base64.getUrlEncoder().withoutPadding().encodeToString(MeshTrust.randomBytes(24));
      pending
          .put("setupHash", AuthService.sha256(setupToken))
          .put("setupExpiresAt", System.currentTimeMillis() + AuthService.SETUP_MILLIS);
    } else {
      try {
        Passwords.requireAcceptable(password);
      } catch (IllegalArgumentException e) {
        System.err.println("kith: " + e.getMessage());
        return ExitCode.USAGE;
      }
      pending.put("hash", Passwords.hashNow(password));
    }
    SecretFiles.writeSecret(
        AuthService.ownerInitFile(home), pending.encode().getBytes(StandardCharsets.UTF_8));
    if (setupToken == null) {
      System.out.println(
          "kith: "
              + owner
              + " will be created as an administrator when the device runs; log in with"
              + " POST /api/auth/login");
    } else {
      System.out.println(
          "kith: "
              + owner
              + " will be created as an administrator when the device runs. Set the password"
              + " within 24 hours with this one-time setup token:\n"
              + setupToken
              + "\n  curl -X POST -H 'Content-Type: application/json' -d"
              + " '{\"owner\":\""
              + owner
              + "\",\"setupToken\":\"...\",\"password\":\"...\"}' http://localhost:8080/api/auth/setup");
    }
    return ExitCode.OK;
  }

  /** One line from the terminal (not echoed) or from standard input; {@code null} for none. */
  private static String readPassword(String owner) throws IOException {
    Console console = System.console();
    if (console != null) {
      char[] typed =
          console.readPassword("password for %s (empty for a one-time setup token): ", owner);
      if (typed == null || typed.length == 0) {
        return null;
      }
      char[] again = console.readPassword("again: ");
      if (again == null || !Arrays.equals(typed, again)) {
        throw new IOException("the two passwords differ");
      }
      return new String(typed);
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    char[] buffer = new char[Passwords.MAX_CHARS + 2];
    int n = in.read(buffer, 0, buffer.length);
    if (n <= 0) {
      return null;
    }
    String line = new String(buffer, 0, n).split("\r?\n", -1)[0];
    if (line.length() > Passwords.MAX_CHARS) {
      throw new IOException("the password is longer than " + Passwords.MAX_CHARS + " characters");
    }
    return line;
  }
}
