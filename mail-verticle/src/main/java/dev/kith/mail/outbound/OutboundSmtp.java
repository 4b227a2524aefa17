package dev.kith.mail.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A minimal SMTP client (RFC 5321) that sends one stored message, byte for byte, to one recipient.
 *
 * <p>Why not vertx-mail-client: its {@code MailClient} always re-encodes a {@code MailMessage}
 * through its own MIME encoder (the body becomes a text part, quoted-printable when it has 8-bit
 * bytes or long lines, and headers are rewritten as {@code name: value} lines), so it cannot send a
 * pre-formatted message unchanged, and it gives no hook between the message body and the final dot.
 * This client needs both: the bytes the sender stored (and signed, one day) go out as they are,
 * with only SMTP's transport changes (CRLF line ends, dot-stuffing); and {@code beforeCommit} runs
 * just before the final dot, the moment after which the remote may have accepted the message, so
 * the outbound sender can record that it is about to commit (see docs/mail.md).
 *
 * <p>Failures come back as {@link Failure}: {@code permanent} for a 5xx reply, otherwise (4xx,
 * connection refused, timeout, TLS failure) temporary. {@code committed} says whether the final dot
 * had been sent when it failed: then the remote may have the message.
 */
final class OutboundSmtp {

  /** How long a connection or one command may take (RFC 5321 allows minutes; we are impatient). */
  static final long COMMAND_TIMEOUT_MILLIS = 60_000;

  /** How long the remote may take to answer the final dot. */
  static final long COMMIT_TIMEOUT_MILLIS = 120_000;

  private static final int MAX_LINE = 4096;

  /**
   * Where to connect and how.
   *
   * @param tls {@code none}, {@code starttls} (required), {@code tls} (implicit), or {@code
   *     opportunistic} (STARTTLS when offered, certificate not checked: MX delivery, RFC 7435)
   * @param user the login, or {@code null}
   */
  record Target(String host, int port, String tls, String user, String password) {
    @Override
    public String toString() {
      return host + ":" + port + " (" + tls + ")";
    }
  }

  /** The remote refused or could not take the message. */
  static final class Failure extends RuntimeException {
    final int code;
    final boolean permanent;
    final boolean committed;

    Failure(String message, int code, boolean permanent, boolean committed) {
      super(message, null, false, false);
      this.code = code;
      this.permanent = permanent;
      this.committed = committed;
    }
  }

  private record Reply(int code, List<String> lines) {
    String text() {
      return code + " " + String.join(" / ", lines);
    }
  }

  private final Vertx vertx;
  private final NetClient client;
  private final String heloName;

  OutboundSmtp(Vertx vertx, String heloName) {
    this.vertx = vertx;
    this.heloName = heloName;
    this.client =
        vertx.createNetClient(
            new NetClientOptions()
                .setConnectTimeout((int) COMMAND_TIMEOUT_MILLIS)
                .setIdleTimeout(0));
  }

  Future<Void> close() {
    return client.close();
  }

  /**
   * Sends {@code raw} from {@code from} (the envelope sender; empty for a bounce) to {@code rcpt};
   * the future gives the remote's final reply text.
   */
  Future<String> send(
      Target target, String from, String rcpt, byte[] raw, Supplier<Future<Void>> beforeCommit) {
    if (Vertx.currentContext() == null) {
      // Called from outside Vert.x (a test's thread): the session must take over the socket in the
      // task that connects it, on its event loop, or the greeting can arrive before its handler
      // and be lost. So the whole send runs there.
      Promise<String> result = Promise.promise();
      vertx
          .getOrCreateContext()
          .runOnContext(v -> send(target, from, rcpt, raw, beforeCommit).onComplete(result));
      return result.future();
    }
    ConnectOptions options = new ConnectOptions().setHost(target.host()).setPort(target.port());
    if ("tls".equals(target.tls())) {
      options.setSsl(true).setSslOptions(verified()).setSniServerName(target.host());
    }
    return client
        .connect(options)
        .recover(
            e ->
                Future.failedFuture(
                    new Failure(
                        "cannot connect to " + target + ": " + e.getMessage(), 0, false, false)))
        .compose(socket -> new Session(socket, target, from, rcpt, raw, beforeCommit).run());
  }

  private static ClientSSLOptions verified() {
    return new ClientSSLOptions().setHostnameVerificationAlgorithm("HTTPS");
  }

  /** One SMTP transaction on one connection. All of its state lives on the socket's context. */
  private final class Session {
    private final NetSocket socket;
    private final Target target;
    private final String from;
    private final String rcpt;
    private final byte[] raw;
    private final Supplier<Future<Void>> beforeCommit;
    private final ArrayDeque<Promise<Reply>> waiting = new ArrayDeque<>();
    private final List<String> partial = new ArrayList<>();
    private List<String> capabilities = List.of();
    private boolean committed;
    private boolean closed;

    Session(
        NetSocket socket,
        Target target,
        String from,
        String rcpt,
        byte[] raw,
        Supplier<Future<Void>> beforeCommit) {
      this.socket = socket;
      this.target = target;
      this.from = from;
      this.rcpt = rcpt;
      this.raw = raw;
      this.beforeCommit = beforeCommit;
      RecordParser parser = RecordParser.newDelimited("\r\n", this::line);
      parser.maxRecordSize(MAX_LINE);
      socket.handler(parser);
      socket.exceptionHandler(e -> failAll("connection to " + target + " failed: " + e));
      socket.closeHandler(v -> failAll("connection to " + target + " closed"));
    }

    Future<String> run() {
      Future<String> result =
          expect(await(COMMAND_TIMEOUT_MILLIS), 220, "greeting")
              .compose(r -> ehlo())
              .compose(r -> startTls())
              .compose(
                  r ->
                      login()
                          .recover(
                              e ->
                                  Future.failedFuture(
                                      e instanceof Failure f
                                          // A refused login is the relay's settings, not the
                                          // recipient: the mail waits (and retries) until
                                          // mail-relay-user and mail-relay-password are fixed.
                                          ? new Failure(
                                              f.getMessage()
                                                  + "; check mail-relay-user and"
                                                  + " mail-relay-password",
                                              f.code,
                                              false,
                                              false)
                                          : e)))
              .compose(r -> command(mailFrom(), 250, "MAIL FROM"))
              .compose(r -> command("RCPT TO:<" + rcpt + ">", 250, "RCPT TO"))
              .compose(r -> command("DATA", 354, "DATA"))
              .compose(r -> write(dataBytes(raw)))
              .compose(v -> beforeCommit.get())
              .compose(
                  v -> {
                    committed = true;
                    Future<Reply> reply = await(COMMIT_TIMEOUT_MILLIS);
                    socket.write(Buffer.buffer(".\r\n"));
                    return expect(reply, 250, "end of data");
                  })
              .map(Reply::text);
      return result.andThen(
          done -> {
            if (!closed) {
              if (done.succeeded()) {
                socket.write("QUIT\r\n");
              }
              vertx.setTimer(200, t -> socket.close());
            }
          });
    }

    private Future<Reply> ehlo() {
      return command("EHLO " + heloName, 250, "EHLO")
          .recover(
              e -> {
                if (e instanceof Failure f && f.code >= 500 && f.code < 600) {
                  return command("HELO " + heloName, 250, "HELO");
                }
                return Future.failedFuture(e);
              })
          .onSuccess(r -> capabilities = r.lines().stream().map(this::upper).toList());
    }

    private Future<Reply> startTls() {
      boolean offered = capabilities.stream().anyMatch(c -> c.startsWith("STARTTLS"));
      boolean required = "starttls".equals(target.tls());
      boolean wanted = required || "opportunistic".equals(target.tls());
      if (!wanted || (!offered && !required)) {
        return Future.succeededFuture();
      }
      if (!offered) {
        return Future.failedFuture(
            new Failure(
                target + " does not offer STARTTLS, which mail-relay-tls=starttls requires",
                0,
                false,
                false));
      }
      ClientSSLOptions tls = required ? verified() : new ClientSSLOptions().setTrustAll(true);
      return command("STARTTLS", 220, "STARTTLS")
          .compose(r -> socket.upgradeToSsl(tls, target.host()))
          .recover(
              e ->
                  Future.failedFuture(
                      e instanceof Failure
                          ? e
                          : new Failure(
                              "TLS with " + target + " failed: " + e.getMessage(),
                              0,
                              false,
                              false)))
          .compose(v -> ehlo());
    }

    private Future<Reply> login() {
      if (target.user() == null) {
        return Future.succeededFuture();
      }
      boolean plain =
          capabilities.stream().anyMatch(c -> c.startsWith("AUTH") && c.contains("PLAIN"));
      boolean login =
          capabilities.stream().anyMatch(c -> c.startsWith("AUTH") && c.contains("LOGIN"));
      Base64.Encoder b64 = Base64.getEncoder();
      if (plain) {
        String token = "\0" + target.user() + "\0" + target.password();
        return command(
            "AUTH PLAIN " + b64.encodeToString(token.getBytes(StandardCharsets.UTF_8)),
            235,
            "AUTH PLAIN");
      }
      if (login) {
        return command("AUTH LOGIN", 334, "AUTH LOGIN")
            .compose(
                r ->
                    command(
                        b64.encodeToString(target.user().getBytes(StandardCharsets.UTF_8)),
                        334,
                        "AUTH LOGIN user"))
            .compose(
                r ->
                    command(
                        b64.encodeToString(target.password().getBytes(StandardCharsets.UTF_8)),
                        235,
                        "AUTH LOGIN password"));
      }
      return Future.failedFuture(
          new Failure(
              target + " offers neither AUTH PLAIN nor AUTH LOGIN (over this connection)",
              0,
              false,
              false));
    }

    private String mailFrom() {
      boolean eightBit = false;
      for (byte b : raw) {
        if (b < 0) {
          eightBit = true;
          break;
        }
      }
      String line = "MAIL FROM:<" + (from == null ? "" : from) + ">";
      if (eightBit && capabilities.stream().anyMatch(c -> c.startsWith("8BITMIME"))) {
        line += " BODY=8BITMIME";
      }
      if (capabilities.stream().anyMatch(c -> c.startsWith("SIZE"))) {
        line += " SIZE=" + raw.length;
      }
      return line;
    }

    private String upper(String s) {
      return s.toUpperCase(Locale.ROOT);
    }

    private Future<Reply> command(String line, int expected, String what) {
      Future<Reply> reply = await(COMMAND_TIMEOUT_MILLIS);
      socket.write(Buffer.buffer(line + "\r\n"));
      return expect(reply, expected, what);
    }

    private Future<Void> write(Buffer data) {
      return socket.write(data);
    }

    private Future<Reply> expect(Future<Reply> reply, int expected, String what) {
      return reply.compose(
          r -> {
            if (r.code() == expected || (expected == 250 && r.code() == 251)) {
              return Future.succeededFuture(r);
            }
            boolean permanent = r.code() >= 500 && r.code() < 600;
            return Future.failedFuture(
                new Failure(
                    target.host() + " answered " + what + " with " + r.text(),
                    r.code(),
                    permanent,
                    committed));
          });
    }

    private Future<Reply> await(long timeoutMillis) {
      Promise<Reply> promise = Promise.promise();
      waiting.add(promise);
      long timer =
          vertx.setTimer(
              timeoutMillis,
              t ->
                  promise.tryFail(
                      new Failure(
                          target + " did not answer within " + timeoutMillis + " ms",
                          0,
                          false,
                          committed)));
      return promise.future().andThen(done -> vertx.cancelTimer(timer));
    }

    private void line(Buffer buffer) {
      String line = buffer.toString(StandardCharsets.ISO_8859_1);
      if (line.length() < 3 || !Character.isDigit(line.charAt(0))) {
        failAll(target + " sent a line that is not an SMTP reply: " + line);
        return;
      }
      partial.add(line.length() > 4 ? line.substring(4) : "");
      if (line.length() > 3 && line.charAt(3) == '-') {
        return;
      }
      Reply reply;
      try {
        reply = new Reply(Integer.parseInt(line.substring(0, 3)), List.copyOf(partial));
      } catch (NumberFormatException e) {
        failAll(target + " sent a line that is not an SMTP reply: " + line);
        return;
      }
      partial.clear();
      Promise<Reply> next = waiting.poll();
      if (next != null) {
        next.tryComplete(reply);
      }
    }

    private void failAll(String why) {
      closed = true;
      Promise<Reply> p;
      while ((p = waiting.poll()) != null) {
        p.tryFail(new Failure(why, 0, false, committed));
      }
    }
  }

  /**
   * The message as SMTP DATA carries it: every line ending in CRLF (a bare LF or CR becomes CRLF),
   * a dot at the start of a line doubled (RFC 5321 4.5.2), and a final CRLF so that the dot that
   * ends the data stands on its own line. No other byte changes.
   */
  static Buffer dataBytes(byte[] raw) {
    Buffer out = Buffer.buffer(raw.length + raw.length / 50 + 8);
    boolean lineStart = true;
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (lineStart && b == '.') {
        out.appendByte((byte) '.');
      }
      if (b == '\r') {
        out.appendByte((byte) '\r').appendByte((byte) '\n');
        if (i + 1 < raw.length && raw[i + 1] == '\n') {
          i++;
        }
        lineStart = true;
      } else if (b == '\n') {
        out.appendByte((byte) '\r').appendByte((byte) '\n');
        lineStart = true;
      } else {
        out.appendByte(b);
        lineStart = false;
      }
    }
    if (!lineStart) {
      out.appendByte((byte) '\r').appendByte((byte) '\n');
    }
    return out;
  }
}
