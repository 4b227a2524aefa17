package dev.kith.mesh;

import dev.kith.mesh.auth.Accounts;
import dev.kith.mesh.auth.AuthService;
import dev.kith.mesh.auth.Passwords;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.trust.MeshTrust;
import dev.kith.mesh.trust.SecretFiles;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code kith init}: prepares an empty home, offline, before its device first runs.
 *
 * <ul>
 *   <li>It creates a new mesh there: the mesh id, the mesh CA and this device's certificate. With
 *       {@code --ca-home DIR} it instead gives this home a certificate signed by the CA kept in
 *       {@code DIR}: an enrollment done by whoever can read the CA's key.
 *   <li>With {@code --owner NAME} (for a new mesh only) it also creates the mesh's first owner, an
 *       administrator. The password is read from standard input (one line; the terminal does not
 *       echo it); with none, a one-time setup token is printed instead, to be spent with {@code
 *       POST /api/auth/setup} within a day. The device takes the owner in when it starts, if the
 *       mesh has no owner yet, and deletes the file that carried it ({@code
 *       HOME/trust/owner-init.json}, mode 0600, holding only the Argon2id hash and SCRAM secrets or
 *       the setup token's SHA-256). There is no default password.
 * </ul>
 *
 * <p>A home that already holds a device's trust files is refused (exit 2): its mesh exists, and
 * owners are added to a mesh by an administrator ({@code kith owner add}), not by whoever can write
 * a file into a device's home.
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
                  + "  creates a new mesh in an empty home (or, with --ca-home, a certificate from"
                  + " that home's CA),\n  and with --owner the new mesh's first owner: its password"
                  + " is read from standard input;\n  with none, a one-time setup token is printed."
                  + " Owners of an existing mesh:\n  kith owner add NAME.");
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
    if (owner != null && caHome != null) {
      System.err.println(
          "kith: --owner makes the first owner of a new mesh, and --ca-home joins an existing"
              + " one; an administrator adds owners to it: kith owner add NAME");
      return ExitCode.USAGE;
    }
    try {
      if (MeshTrust.exists(config.home())) {
        return alreadyInit(config);
      }
      // The password first: a refused one leaves the home as it was, so init can run again.
      FirstOwner first = owner == null ? null : FirstOwner.read(owner);
      if (first == null && owner != null) {
        return ExitCode.USAGE;
      }
      List<String> hosts = config.publicHost() == null ? List.of() : List.of(config.publicHost());
      MeshTrust trust =
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
      if (first != null) {
        first.write(config.home());
      }
      return ExitCode.OK;
    } catch (IOException | RuntimeException e) {
      System.err.println("kith: init failed: " + e.getMessage());
      return ExitCode.FAILURE;
    }
  }

  /** Refuses a home that already belongs to a device, saying what to do instead. */
  private static int alreadyInit(DeviceConfig config) throws IOException {
    MeshTrust trust = MeshTrust.load(config.home());
    System.err.println(
        "kith: "
            + config.home()
            + " already belongs to "
            + trust.deviceName()
            + " in mesh "
            + trust.meshName()
            + " ("
            + trust.meshId()
            + "); init makes a new mesh in an empty home only, and changed nothing. To add an"
            + " owner to this mesh, an administrator runs: kith owner add NAME (after kith login"
            + " ADMIN, or on this device's machine with --home "
            + config.home()
            + ")");
    return ExitCode.USAGE;
  }

  /**
   * The first owner of a new mesh, for the device to take in when it starts.
   *
   * @param pending the account: its Argon2id hash and SCRAM secrets, or its setup token's SHA-256
   * @param setupToken the one-time setup token to print, or {@code null} with a password
   */
  private record FirstOwner(String owner, JsonObject pending, String setupToken) {

    /** Reads and checks the password; {@code null} after saying why it is refused. */
    static FirstOwner read(String owner) throws IOException {
      String password =
          PasswordPrompt.standard()
              .readNew("password for " + owner + " (empty for a one-time setup token): ");
      JsonObject pending = new JsonObject().put("owner", owner).put("admin", true);
      if (password == null) {
        String setupToken =
            Base64.getUrlEncoder().withoutPadding().encodeToString(MeshTrust.randomBytes(24));
        pending
            .put("setupHash", AuthService.sha256(setupToken))
            .put("setupExpiresAt", System.currentTimeMillis() + AuthService.SETUP_MILLIS);
        return new FirstOwner(owner, pending, setupToken);
      }
      try {
        Passwords.requireAcceptable(password);
      } catch (IllegalArgumentException e) {
        System.err.println("kith: " + e.getMessage() + "; nothing was changed");
        return null;
      }
      return new FirstOwner(owner, pending.mergeIn(Passwords.credentialsNow(password)), null);
    }

    void write(Path home) throws IOException {
      SecretFiles.writeSecret(
          AuthService.ownerInitFile(home), pending.encode().getBytes(StandardCharsets.UTF_8));
      if (setupToken == null) {
        System.out.println(
            "kith: the device creates "
                + owner
                + ", the mesh's first administrator, when it starts; then log in: kith login "
                + owner);
        return;
      }
      System.out.println(
          "kith: "
              + owner
              + " will be the mesh's first administrator once the device starts. Set the password"
              + " within 24 hours with this one-time setup token:\n"
              + setupToken
              + "\n  curl -X POST -H 'Content-Type: application/json' -d"
              + " '{\"owner\":\""
              + owner
              + "\",\"setupToken\":\"...\",\"password\":\"...\"}'"
              + " http://localhost:8080/api/auth/setup");
    }
  }
}
