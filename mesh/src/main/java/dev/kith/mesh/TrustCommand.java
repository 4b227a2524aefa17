package dev.kith.mesh;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kith invite} and {@code kith remove-device}: administrator commands against a running
 * device ({@code --url}, else {@code KITH_URL}, else the device of the login session, else {@code
 * http://localhost:8080}), with the credentials of {@link CliAuth}: an administrator's login
 * session, or the operator token on the device's machine.
 */
final class TrustCommand {

  private TrustCommand() {}

  /** Prints a single-use join token. */
  static int invite(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    try {
      auth = CliAuth.from(args);
    } catch (IllegalArgumentException e) {
      System.err.println("kith: invite: " + e.getMessage());
      return ExitCode.USAGE;
    }
    String url = auth.defaultUrl();
    long minutes = 60;
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--url" -> url = value(args, ++i);
        case "--ttl-minutes" -> minutes = Long.parseLong(value(args, ++i));
        default -> {
          System.err.println(
              "kith: "
                  + args.get(i)
                  + ": unknown option (kith invite [--url URL] [--ttl-minutes N] [--home DIR])");
          return ExitCode.USAGE;
        }
      }
    }
    HttpResponse<String> r =
        CliHttp.send(
            auth, "POST", url + "/api/mesh/invites", new JsonObject().put("ttlMinutes", minutes));
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 201) {
      return CliHttp.refused(r);
    }
    JsonObject answer = new JsonObject(r.body());
    System.out.println(answer.getString("token"));
    System.err.println(
        "kith: the token above lets one device join, within "
            + minutes
            + " minutes: java -jar kith.jar --name NAME.OWNER --token TOKEN");
    String note = loopbackNote(answer.getJsonObject("peers", new JsonObject()));
    if (note != null) {
      System.err.println(note);
    }
    return ExitCode.OK;
  }

  /**
   * Advice when every device of the mesh listens for other devices on loopback only: the token then
   * works only for a device on the same machine.
   */
  static String loopbackNote(JsonObject peers) {
    if (peers.isEmpty()
        || !peers.stream().allMatch(e -> String.valueOf(e.getValue()).startsWith("127."))) {
      return null;
    }
    return "kith: note: the mesh's devices listen for other devices on loopback only ("
        + String.join(", ", peers.stream().map(e -> String.valueOf(e.getValue())).toList())
        + "), so this token works only for a device on this machine. To add a device on another"
        + " machine, restart them with --public-host ADDRESS (an address that machine reaches)"
        + " and invite again.";
  }

  /** Removes a device: its certificate is revoked mesh-wide. */
  static int removeDevice(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    try {
      auth = CliAuth.from(args);
    } catch (IllegalArgumentException e) {
      System.err.println("kith: remove-device: " + e.getMessage());
      return ExitCode.USAGE;
    }
    String url = auth.defaultUrl();
    String name = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--url")) {
        url = value(args, ++i);
      } else if (!a.startsWith("-") && name == null) {
        name = a;
      } else {
        System.err.println("kith: " + a + ": unknown option (kith remove-device NAME [--url URL])");
        return ExitCode.USAGE;
      }
    }
    if (name == null) {
      System.err.println("kith: remove-device needs the device's name");
      return ExitCode.USAGE;
    }
    HttpResponse<String> r =
        CliHttp.send(
            auth,
            "DELETE",
            url + "/api/mesh/devices/" + URLEncoder.encode(name, StandardCharsets.UTF_8),
            null);
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 200) {
      return CliHttp.refused(r);
    }
    System.out.println("kith: " + name + " is removed; every device refuses it from now on");
    return ExitCode.OK;
  }

  private static String value(List<String> args, int i) {
    if (i >= args.size()) {
      throw new IllegalArgumentException(args.get(i - 1) + " needs a value");
    }
    return args.get(i);
  }
}
