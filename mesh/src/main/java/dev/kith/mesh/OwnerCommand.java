package dev.kith.mesh;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kith owner add|list|remove}: the mesh's accounts, for an administrator (a logged-in one,
 * or the operator on a device's own machine with {@code --home}). A new owner's password is read
 * from the terminal or standard input; with none, the mesh answers a one-time setup token that the
 * new owner spends within a day to set their own ({@code POST /api/auth/setup}).
 */
final class OwnerCommand {

  private static final String USAGE =
      "kith owner add NAME [--admin] | kith owner list | kith owner remove NAME"
          + " [--url URL] [--home DIR]";

  private OwnerCommand() {}

  static int owner(List<String> given) {
    List<String> args = new ArrayList<>(given);
    if (args.isEmpty()) {
      System.err.println("kith: owner: " + USAGE);
      return ExitCode.USAGE;
    }
    String action = args.remove(0);
    CliAuth auth;
    String url;
    String name = null;
    boolean admin = false;
    try {
      auth = CliAuth.from(args);
      url = auth.defaultUrl();
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        if (a.equals("--url") && i + 1 < args.size()) {
          url = args.get(++i);
        } else if (a.equals("--admin") && action.equals("add")) {
          admin = true;
        } else if (!a.startsWith("-") && name == null && !action.equals("list")) {
          name = a;
        } else {
          throw new IllegalArgumentException(a + ": unknown option (" + USAGE + ")");
        }
      }
      if (name == null && !action.equals("list")) {
        throw new IllegalArgumentException(action + " needs the owner's name (" + USAGE + ")");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("kith: owner: " + e.getMessage());
      return ExitCode.USAGE;
    }
    url = url.replaceAll("/+$", "");
    return switch (action) {
      case "add" -> add(auth, url, name, admin);
      case "list" -> list(auth, url);
      case "remove" -> remove(auth, url, name);
      default -> {
        System.err.println("kith: owner " + action + ": unknown (" + USAGE + ")");
        yield ExitCode.USAGE;
      }
    };
  }

  private static int add(CliAuth auth, String url, String name, boolean admin) {
    String password;
    try {
      password =
          PasswordPrompt.standard()
              .readNew("password for " + name + " (empty for a one-time setup token): ");
    } catch (IOException e) {
      System.err.println("kith: owner add: " + e.getMessage());
      return ExitCode.USAGE;
    }
    JsonObject body = new JsonObject().put("owner", name).put("admin", admin);
    if (password != null) {
      body.put("password", password);
    }
    HttpResponse<String> r = CliHttp.send(auth, "POST", url + "/api/auth/owners", body);
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 201) {
      return CliHttp.refused(r);
    }
    String setupToken = CliHttp.json(r).getString("setupToken");
    System.out.println(
        "kith: added owner " + name + (admin ? ", an administrator" : "") + " to the mesh");
    if (setupToken != null) {
      System.out.println(setupToken);
      System.out.println(
          "kith: give "
              + name
              + " the one-time setup token above; within 24 hours it sets their password:"
              + " POST "
              + url
              + "/api/auth/setup {\"owner\":\""
              + name
              + "\",\"setupToken\":\"...\",\"password\":\"...\"}");
    }
    return ExitCode.OK;
  }

  private static int list(CliAuth auth, String url) {
    HttpResponse<String> r = CliHttp.send(auth, "GET", url + "/api/auth/owners", null);
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 200) {
      return CliHttp.refused(r);
    }
    System.out.printf("%-24s %-6s %s%n", "OWNER", "ADMIN", "PASSWORD");
    for (Object o : new JsonArray(r.body())) {
      JsonObject owner = (JsonObject) o;
      System.out.printf(
          "%-24s %-6s %s%n",
          owner.getString("owner"),
          owner.getBoolean("admin", false) ? "yes" : "no",
          owner.getBoolean("pendingSetup", false) ? "waits for its setup token" : "set");
    }
    return ExitCode.OK;
  }

  private static int remove(CliAuth auth, String url, String name) {
    HttpResponse<String> r =
        CliHttp.send(
            auth,
            "DELETE",
            url + "/api/auth/owners/" + URLEncoder.encode(name, StandardCharsets.UTF_8),
            null);
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 200) {
      return CliHttp.refused(r);
    }
    System.out.println("kith: removed owner " + name + "; their sessions have ended");
    return ExitCode.OK;
  }
}
