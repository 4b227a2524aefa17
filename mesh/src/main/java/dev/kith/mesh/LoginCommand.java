package dev.kith.mesh;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The session commands: {@code kith login} keeps an owner's session in the home ({@link
 * CliSession}), which the other client commands then use; {@code kith logout} ends it, mesh-wide;
 * {@code kith passwd} changes the logged-in owner's password; {@code kith token} prints an access
 * token of the session, for {@code curl}.
 */
final class LoginCommand {

  private LoginCommand() {}

  /**
   * {@code kith login [OWNER] [--url URL] [--home DIR]}; the password is read, never an argument.
   */
  static int login(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    Options o;
    try {
      auth = CliAuth.from(args);
      o = Options.parse(args, auth, "kith login [OWNER] [--url URL] [--home DIR]");
    } catch (IllegalArgumentException e) {
      System.err.println("kith: login: " + e.getMessage());
      return ExitCode.USAGE;
    }
    String owner = o.name != null ? o.name : auth.session() != null ? auth.session().owner() : null;
    if (owner == null) {
      System.err.println("kith: login: whose? kith login OWNER");
      return ExitCode.USAGE;
    }
    String password;
    try {
      password = PasswordPrompt.standard().read("password of " + owner + ": ");
    } catch (IOException e) {
      System.err.println("kith: login: " + e.getMessage());
      return ExitCode.USAGE;
    }
    if (password == null) {
      System.err.println("kith: login: no password given");
      return ExitCode.USAGE;
    }
    HttpResponse<String> r =
        CliHttp.send(
            null,
            "POST",
            o.url + "/api/auth/login",
            new JsonObject().put("owner", owner).put("password", password));
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 200) {
      return CliHttp.refused(r);
    }
    try {
      CliSession.keep(auth.home(), o.url, new JsonObject(r.body()));
    } catch (IOException e) {
      System.err.println("kith: login: cannot keep the session: " + e.getMessage());
      return ExitCode.FAILURE;
    }
    System.out.println(
        "kith: logged in as "
            + owner
            + " at "
            + o.url
            + "; the session is kept in "
            + CliSession.file(auth.home())
            + " (kith logout ends it)");
    return ExitCode.OK;
  }

  /** {@code kith logout [--home DIR]}: ends the session mesh-wide and forgets it. */
  static int logout(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    Options o;
    try {
      auth = CliAuth.from(args);
      o = Options.parse(args, auth, "kith logout [--url URL] [--home DIR]");
    } catch (IllegalArgumentException e) {
      System.err.println("kith: logout: " + e.getMessage());
      return ExitCode.USAGE;
    }
    CliSession session = auth.session();
    if (session == null) {
      System.out.println("kith: nobody is logged in with " + auth.home());
      return ExitCode.OK;
    }
    HttpResponse<String> r = CliHttp.send(auth, "POST", o.url + "/api/auth/logout", null);
    try {
      CliSession.forget(auth.home());
    } catch (IOException e) {
      System.err.println("kith: logout: cannot delete the session file: " + e.getMessage());
      return ExitCode.FAILURE;
    }
    if (r != null && r.statusCode() == 200) {
      System.out.println("kith: " + session.owner() + " is logged out; the session has ended");
      return ExitCode.OK;
    }
    if (r == null && CliHttp.failure() == ExitCode.USAGE) {
      System.out.println("kith: " + session.owner() + "'s session had ended already");
      return ExitCode.OK;
    }
    System.out.println(
        "kith: "
            + session.owner()
            + "'s session is forgotten here"
            + (r == null ? ", but the mesh could not be told; it ends within 30 days unused" : ""));
    return r == null ? ExitCode.FAILURE : ExitCode.OK;
  }

  /** {@code kith passwd}: the current password, then the new one, from the terminal or stdin. */
  static int passwd(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    Options o;
    try {
      auth = CliAuth.from(args);
      o = Options.parse(args, auth, "kith passwd [--url URL] [--home DIR]");
    } catch (IllegalArgumentException e) {
      System.err.println("kith: passwd: " + e.getMessage());
      return ExitCode.USAGE;
    }
    String owner = whoAmI(auth, o.url);
    if (owner == null) {
      return ExitCode.USAGE;
    }
    String current;
    String next;
    try {
      PasswordPrompt prompt = PasswordPrompt.standard();
      current = prompt.read("current password of " + owner + ": ");
      next = prompt.readNew("new password: ");
    } catch (IOException e) {
      System.err.println("kith: passwd: " + e.getMessage());
      return ExitCode.USAGE;
    }
    if (current == null || next == null) {
      System.err.println("kith: passwd: the current and the new password are both needed");
      return ExitCode.USAGE;
    }
    HttpResponse<String> r =
        CliHttp.send(
            auth,
            "PUT",
            o.url
                + "/api/auth/owners/"
                + URLEncoder.encode(owner, StandardCharsets.UTF_8)
                + "/password",
            new JsonObject().put("currentPassword", current).put("newPassword", next));
    if (r == null) {
      return CliHttp.failure();
    }
    if (r.statusCode() != 200) {
      return CliHttp.refused(r);
    }
    System.out.println(
        "kith: "
            + owner
            + "'s password is changed; "
            + CliHttp.json(r).getInteger("sessionsEnded", 0)
            + " other session(s) ended");
    return ExitCode.OK;
  }

  /** {@code kith token}: prints an access token of the session, for other HTTP clients. */
  static int token(List<String> given) {
    List<String> args = new ArrayList<>(given);
    CliAuth auth;
    Options o;
    try {
      auth = CliAuth.from(args);
      o = Options.parse(args, auth, "kith token [--home DIR]");
    } catch (IllegalArgumentException e) {
      System.err.println("kith: token: " + e.getMessage());
      return ExitCode.USAGE;
    }
    if (auth.session() == null) {
      System.err.println("kith: token: nobody is logged in with " + auth.home() + " (kith login)");
      return ExitCode.USAGE;
    }
    try {
      System.out.println(auth.session().accessToken(o.url));
      return ExitCode.OK;
    } catch (CliSession.Ended e) {
      System.err.println("kith: " + e.getMessage());
      return ExitCode.USAGE;
    } catch (IOException e) {
      System.err.println("kith: token: " + e.getMessage());
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.FAILURE;
    }
  }

  /** The owner the credentials belong to ({@code GET /api/auth/me}); null after saying why. */
  static String whoAmI(CliAuth auth, String url) {
    if (!auth.present()) {
      System.err.println("kith: log in first: kith login OWNER");
      return null;
    }
    HttpResponse<String> r = CliHttp.send(auth, "GET", url + "/api/auth/me", null);
    if (r == null) {
      return null;
    }
    if (r.statusCode() != 200) {
      CliHttp.refused(r);
      return null;
    }
    String owner = CliHttp.json(r).getString("owner");
    if (owner == null) {
      System.err.println(
          "kith: these are the device's operator credentials, which belong to no owner; log in"
              + " first: kith login OWNER");
    }
    return owner;
  }

  /** {@code [NAME] [--url URL]}, what the session commands take besides {@code --home}. */
  record Options(String name, String url) {
    static Options parse(List<String> args, CliAuth auth, String usage) {
      String name = null;
      String url = auth.defaultUrl();
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        if (a.equals("--url") && i + 1 < args.size()) {
          url = args.get(++i);
        } else if (a.startsWith("--url=")) {
          url = a.substring("--url=".length());
        } else if (!a.startsWith("-") && name == null && usage.contains(" [OWNER]")) {
          name = a;
        } else {
          throw new IllegalArgumentException(a + ": unknown option (" + usage + ")");
        }
      }
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw new IllegalArgumentException("url: '" + url + "' is not an http:// or https:// URL");
      }
      return new Options(name, url.replaceAll("/+$", ""));
    }
  }
}
