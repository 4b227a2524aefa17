package dev.kith.mail.smtp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.CommandException;
import org.subethamail.smtp.internal.server.CommandHandler;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.Session;

/**
 * The commands whose stock subethasmtp behaviour the edge changes: EHLO lists exactly the
 * extensions the edge implements (with PIPELINING and ENHANCEDSTATUSCODES, STARTTLS only when a
 * certificate is configured, AUTH only where a password may travel: after STARTTLS or on a loopback
 * connection); AUTH is refused where it is not offered; BDAT (CHUNKING) is not offered, because the
 * size and line limits are enforced on DATA; MAIL, RCPT, DATA and AUTH need HELO or EHLO first (RFC
 * 5321 4.1.4); a line that ended in a bare LF is answered 500 ({@link SmtpLines}); and HELP lists
 * {@link #OFFERED}, the commands this session may use, and nothing else.
 */
final class SmtpCommands {

  /**
   * The commands the edge offers, in the order HELP lists them. STARTTLS and AUTH are listed only
   * on a session where they are offered ({@link #offered}); VRFY, EXPN and BDAT answer 502.
   */
  static final List<String> OFFERED =
      List.of(
          "EHLO",
          "HELO",
          "MAIL",
          "RCPT",
          "DATA",
          "RSET",
          "NOOP",
          "QUIT",
          "HELP",
          "STARTTLS",
          "AUTH");

  private SmtpCommands() {}

  /** Installs the edge's commands into {@code handler}. */
  static void install(CommandHandler handler, String hostName, long maxMessageBytes, boolean tls) {
    handler.addCommand(new Ehlo(hostName, maxMessageBytes, tls));
    handler.addCommand(new AfterHelo(new AuthWhereSafe(handler.getCommand("AUTH"))));
    handler.addCommand(new NoBdat());
    for (String verb : List.of("MAIL", "RCPT", "DATA")) {
      handler.addCommand(new AfterHelo(handler.getCommand(verb)));
    }
    handler.addCommand(new BareLf());
    handler.addCommand(new Help(handler, hostName, tls));
  }

  /** The commands of {@link #OFFERED} that this session may use now. */
  static List<String> offered(Session session, boolean tls) {
    return OFFERED.stream()
        .filter(
            verb ->
                switch (verb) {
                  case "STARTTLS" -> tls && !session.isTLSStarted();
                  case "AUTH" -> authAllowed(session) && !session.isAuthenticated();
                  default -> true;
                })
        .toList();
  }

  /** Whether a password may be sent on this session: it is encrypted, or never leaves the host. */
  static boolean authAllowed(Session session) {
    if (session.isTLSStarted()) {
      return true;
    }
    InetSocketAddress remote = session.getRealRemoteAddress();
    return remote != null && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
  }

  private static final class Ehlo extends BaseCommand {

    private final String hostName;
    private final long maxMessageBytes;
    private final boolean tls;

    Ehlo(String hostName, long maxMessageBytes, boolean tls) {
      super("EHLO", "Introduce yourself.", "<hostname>");
      this.hostName = hostName;
      this.maxMessageBytes = maxMessageBytes;
      this.tls = tls;
    }

    @Override
    public void execute(String commandString, Session session) throws IOException {
      String[] args = getArgs(commandString);
      if (args.length < 2) {
        session.sendResponse("501 5.5.4 Syntax: EHLO hostname");
        return;
      }
      session.resetMailTransaction();
      session.setHelo(args[1]);
      List<String> lines = new ArrayList<>();
      lines.add(hostName);
      lines.add("PIPELINING");
      lines.add("SIZE " + maxMessageBytes);
      lines.add("8BITMIME");
      lines.add("ENHANCEDSTATUSCODES");
      if (tls && !session.isTLSStarted()) {
        lines.add("STARTTLS");
      }
      if (authAllowed(session) && !session.isAuthenticated()) {
        lines.add("AUTH PLAIN LOGIN");
      }
      StringBuilder reply = new StringBuilder();
      for (int i = 0; i < lines.size(); i++) {
        reply.append("250").append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
        if (i < lines.size() - 1) {
          reply.append("\r\n");
        }
      }
      session.sendResponse(reply.toString());
    }
  }

  /** Failed AUTH attempts after which a session is closed. */
  static final int MAX_AUTH_FAILURES = 3;

  private static final class AuthWhereSafe extends BaseCommand {

    private final Command auth;
    private final Map<Session, Integer> failures = Collections.synchronizedMap(new WeakHashMap<>());

    AuthWhereSafe(Command auth) {
      super("AUTH", "Authentication service, after STARTTLS");
      this.auth = auth;
    }

    @Override
    public void execute(String commandString, Session session)
        throws IOException, DropConnectionException {
      if (!authAllowed(session)) {
        session.sendResponse("538 5.7.11 Encryption required: use STARTTLS before AUTH");
        return;
      }
      boolean wasAuthenticated = session.isAuthenticated();
      auth.execute(commandString, session);
      if (wasAuthenticated || session.isAuthenticated()) {
        failures.remove(session);
        return;
      }
      // Each guess costs an Argon2id hash; a session gets a few, then must reconnect.
      if (failures.merge(session, 1, Integer::sum) >= MAX_AUTH_FAILURES) {
        failures.remove(session);
        throw new DropConnectionException(
            421, "4.7.0 Too many failed authentication attempts; closing");
      }
    }
  }

  /** A command that needs HELO or EHLO first; otherwise 503. */
  private static final class AfterHelo implements Command {

    private final Command command;

    AfterHelo(Command command) {
      this.command = command;
    }

    @Override
    public void execute(String commandString, Session session)
        throws IOException, DropConnectionException {
      if (session.getHelo().isEmpty()) {
        session.sendResponse("503 5.5.1 Error: send HELO or EHLO first");
        return;
      }
      command.execute(commandString, session);
    }

    @Override
    public HelpMessage getHelp() throws CommandException {
      return command.getHelp();
    }

    @Override
    public String getName() {
      return command.getName();
    }
  }

  /** What {@link SmtpLines} turns a line that ended in a bare LF into. */
  private static final class BareLf extends BaseCommand {

    BareLf() {
      super(SmtpLines.BARE_LF_VERB, "A line that ended in a bare LF.");
    }

    @Override
    public void execute(String commandString, Session session) throws IOException {
      session.sendResponse(
          "500 5.5.2 Syntax error: the line ends in a bare LF; end lines with CRLF");
    }
  }

  /** HELP: the commands this session may use, from {@link #OFFERED}. */
  private static final class Help extends BaseCommand {

    private final CommandHandler handler;
    private final String hostName;
    private final boolean tls;

    Help(CommandHandler handler, String hostName, boolean tls) {
      super("HELP", "Lists the commands, or tells about one.", "[ <command> ]");
      this.handler = handler;
      this.hostName = hostName;
      this.tls = tls;
    }

    @Override
    public void execute(String commandString, Session session) throws IOException {
      List<String> offered = offered(session, tls);
      String topic = getArgPredicate(commandString).toUpperCase(Locale.ROOT);
      if (topic.isEmpty()) {
        session.sendResponse(
            "214-Kith on "
                + hostName
                + "\r\n214-Commands: "
                + String.join(" ", offered)
                + "\r\n214 For more, HELP <command>");
        return;
      }
      if (!offered.contains(topic)) {
        String shown = topic.replaceAll("[^A-Z0-9-]", "?");
        session.sendResponse(
            "504 5.5.4 HELP topic \""
                + shown.substring(0, Math.min(shown.length(), 20))
                + "\" is not a command offered here");
        return;
      }
      try {
        // subethasmtp's help text separates its lines with bare LFs.
        session.sendResponse(
            handler.getCommand(topic).getHelp().toOutputString().trim().replace("\n", "\r\n"));
      } catch (CommandException e) {
        session.sendResponse("214 " + topic);
      }
    }
  }

  private static final class NoBdat extends BaseCommand {

    NoBdat() {
      super("BDAT", "Not offered: use DATA.");
    }

    @Override
    public void execute(String commandString, Session session) throws IOException {
      session.sendResponse("502 5.5.1 BDAT is not offered; use DATA");
    }
  }
}
