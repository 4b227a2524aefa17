package dev.kith.chat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A raw XMPP client for tests that check exact answers: it sends whatever text it is given, even
 * what no real client would send, and reads until a pattern or the end of the connection, always
 * with a deadline. It knows just enough of RFC 6120 to get a test to the point it wants to check:
 * STARTTLS (trusting any certificate), SASL PLAIN and SCRAM-SHA-256 (RFC 5802, RFC 7677, its own
 * code, so that the server's is not its own oracle), and binding.
 */
final class RawXmpp implements AutoCloseable {

  /** How long any answer may take; generous, for two busy cores. */
  static final Duration WAIT = Duration.ofSeconds(20);

  static final String SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
  static final String SM = "urn:xmpp:sm:3";

  private static final Pattern STREAM_ERROR =
      Pattern.compile(
          "<stream:error\\b[^>]*>\\s*<([a-z-]+) xmlns=[\"']urn:ietf:params:xml:ns:xmpp-streams[\"']");
  private static final Pattern STANZA_ERROR =
      Pattern.compile(
          "<error\\b[^>]*\\btype=[\"'](\\w+)[\"'][^>]*>\\s*<([a-z-]+)"
              + " xmlns=[\"']urn:ietf:params:xml:ns:xmpp-stanzas[\"']");
  private static final Pattern SASL_CONDITION = Pattern.compile("<failure\\b[^>]*>\\s*<([a-z-]+)");
  private static final Pattern FEATURES =
      Pattern.compile("<stream:features\\b[^>]*?(?:/>|>.*?</stream:features>)", Pattern.DOTALL);
  private static final SecureRandom RANDOM = new SecureRandom();

  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private int cursor;
  private boolean ended;
  private String jid;

  /** A plain connection to {@code port} from the loopback address {@code from} (127.x.y.z). */
  RawXmpp(int port, String from) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(from, 0));
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    use(s);
  }

  /** A connection from {@code from} with TLS on: the features it got list the SASL mechanisms. */
  static RawXmpp tls(int port, String from) throws IOException {
    RawXmpp c = new RawXmpp(port, from);
    try {
      c.open();
      c.startTls();
      String features = c.open();
      if (!features.contains("<mechanisms")) {
        throw new AssertionError("no SASL mechanisms after STARTTLS: " + features);
      }
      return c;
    } catch (IOException | RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  /** A session of {@code user} from 127.0.0.1, logged in with PLAIN and bound. */
  static RawXmpp login(int port, String user, String password) throws IOException {
    RawXmpp c = tls(port, "127.0.0.1");
    try {
      String answer = c.plain(user, password);
      if (!answer.startsWith("<success")) {
        throw new AssertionError("PLAIN as " + user + " got " + answer);
      }
      c.bind();
      return c;
    } catch (IOException | RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  private void use(Socket s) throws IOException {
    socket = s;
    in = s.getInputStream();
    out = s.getOutputStream();
  }

  /** Sends {@code text} as it is. */
  RawXmpp send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
    return this;
  }

  /** Sends a stream header for {@code domain}, in jabber:client, version 1.0. */
  String open() throws IOException {
    return open(
        "<?xml version='1.0'?><stream:stream to='"
            + ChatTesting.DOMAIN
            + "' version='1.0' xmlns='jabber:client'"
            + " xmlns:stream='http://etherx.jabber.org/streams'>");
  }

  /** Sends {@code header} and answers the stream features the server sent for it. */
  String open(String header) throws IOException {
    send(header);
    return await(FEATURES);
  }

  /** STARTTLS (RFC 6120 §5): asks, waits for {@code <proceed/>}, and shakes hands. */
  void startTls() throws IOException {
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await("<proceed\\b[^>]*/>");
    SSLSocket ssl =
        (SSLSocket)
            trustingAnyone()
                .getSocketFactory()
                .createSocket(socket, "127.0.0.1", socket.getPort(), true);
    ssl.setUseClientMode(true);
    ssl.setSoTimeout((int) WAIT.toMillis());
    ssl.startHandshake();
    use(ssl);
  }

  /** SASL PLAIN; answers the {@code <success/>} or {@code <failure/>} element. */
  String plain(String user, String password) throws IOException {
    sendPlain(user, password);
    return saslOutcome();
  }

  /** Sends SASL PLAIN's {@code <auth/>} without waiting for the outcome. */
  void sendPlain(String user, String password) throws IOException {
    String message = "\0" + user + "\0" + password;
    send(
        "<auth xmlns='"
            + SASL
            + "' mechanism='PLAIN'>"
            + base64(message.getBytes(StandardCharsets.UTF_8))
            + "</auth>");
  }

  /**
   * SASL SCRAM-SHA-256 without channel binding; answers the {@code <success/>} or {@code
   * <failure/>}, and fails when a success does not carry the server's proof that it knows the
   * password too.
   */
  String scram(String user, String password) throws IOException {
    Scram scram = new Scram(user);
    send(scram.auth());
    String challenge = await("<(challenge|failure)\\b[^>]*?(?:/>|>.*?</\\1>)");
    if (challenge.startsWith("<failure")) {
      return challenge;
    }
    send(scram.response(text(challenge), password));
    String outcome = saslOutcome();
    if (outcome.startsWith("<success")) {
      scram.verify(text(outcome));
    }
    return outcome;
  }

  /** Reads the next {@code <success/>} or {@code <failure/>}. */
  String saslOutcome() throws IOException {
    return await("<(success|failure)\\b[^>]*?(?:/>|>.*?</\\1>)");
  }

  /** After a SASL success: a new stream, then binding (RFC 6120 §7); answers the full JID. */
  String bind() throws IOException {
    String features = open();
    if (!features.contains("<bind")) {
      throw new AssertionError("no bind feature after authentication: " + features);
    }
    send("<iq type='set' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    String result = stanza("iq", "bind-1");
    Matcher m = Pattern.compile("<jid>([^<]+)</jid>").matcher(result);
    if (!result.contains("type=\"result\"") || !m.find()) {
      throw new AssertionError("binding failed: " + result);
    }
    jid = m.group(1);
    return jid;
  }

  /** The full JID bound, or null. */
  String jid() {
    return jid;
  }

  /** The next {@code <name>} stanza whose id is {@code id}. */
  String stanza(String name, String id) throws IOException {
    return await(
        "<"
            + name
            + "\\b(?=[^>]*\\bid=[\"']"
            + Pattern.quote(id)
            + "[\"'])[^>]*?(?:/>|>.*?</"
            + name
            + ">)");
  }

  /** Reads until {@code regex} (dot matches newlines) matches what came after the last match. */
  String await(String regex) throws IOException {
    return await(Pattern.compile(regex, Pattern.DOTALL));
  }

  private String await(Pattern pattern) throws IOException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String text = text();
      Matcher m = pattern.matcher(text);
      if (m.find(cursor)) {
        cursor = m.end();
        return m.group();
      }
      if (ended) {
        throw new AssertionError(
            "the server closed the connection before /"
                + pattern
                + "/; it sent after the last match: "
                + text.substring(cursor));
      }
      if (!readSome(deadline)) {
        throw new AssertionError(
            "no /"
                + pattern
                + "/ within "
                + WAIT.toSeconds()
                + " s; the server sent after the last match: "
                + text.substring(cursor));
      }
    }
  }

  /**
   * Reads until the server closes the connection, within {@code wait}; answers all it sent after
   * the last match.
   */
  String untilClosed(Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!ended) {
      if (!readSome(deadline)) {
        throw new AssertionError(
            "the server did not close the connection within "
                + wait.toSeconds()
                + " s; it sent after the last match: "
                + text().substring(cursor));
      }
    }
    String text = text();
    String rest = text.substring(cursor);
    cursor = text.length();
    return rest;
  }

  /**
   * Reads until the server closes the connection; answers the condition of the stream error it sent
   * (RFC 6120 §4.9.3), and fails unless it also closed the stream.
   */
  String streamError() throws IOException {
    return streamError(WAIT);
  }

  /** {@link #streamError()}, waiting at most {@code wait}. */
  String streamError(Duration wait) throws IOException {
    String rest = untilClosed(wait);
    Matcher m = STREAM_ERROR.matcher(rest);
    if (!m.find()) {
      throw new AssertionError("no stream error before the connection closed: " + rest);
    }
    if (!rest.substring(m.end()).contains("</stream:stream>")) {
      throw new AssertionError("the stream error did not end the stream: " + rest);
    }
    return m.group(1);
  }

  /** {@code "type condition"} of a stanza error (RFC 6120 §8.3), as in {@code "cancel gone"}. */
  static String errorOf(String stanza) {
    if (!stanza.matches("(?s)<\\w+\\b[^>]*\\btype=[\"']error[\"'].*")) {
      throw new AssertionError("not an error stanza: " + stanza);
    }
    Matcher m = STANZA_ERROR.matcher(stanza);
    if (!m.find()) {
      throw new AssertionError("no defined condition in " + stanza);
    }
    return m.group(1) + " " + m.group(2);
  }

  /** The condition of a SASL {@code <failure/>} (RFC 6120 §6.5). */
  static String saslFailure(String failure) {
    Matcher m = SASL_CONDITION.matcher(failure);
    if (!failure.startsWith("<failure") || !m.find() || m.group(1).equals("text")) {
      throw new AssertionError("not a SASL failure with a condition: " + failure);
    }
    return m.group(1);
  }

  /** The text content of a one-level element such as {@code <challenge>...</challenge>}. */
  private static String text(String element) {
    int start = element.indexOf('>') + 1;
    int end = element.lastIndexOf("</");
    return element.endsWith("/>") || end < start ? "" : element.substring(start, end);
  }

  /** Ends the stream and waits until the server has closed it too, so it no longer counts it. */
  @Override
  public void close() {
    try {
      if (!ended) {
        send("</stream:stream>");
        untilClosed(Duration.ofSeconds(10));
      }
    } catch (IOException | AssertionError e) {
      // The test's own assertions said what went wrong; closing only cleans up.
    } finally {
      try {
        socket.close();
      } catch (IOException e) {
        // nothing left to do
      }
    }
  }

  private String text() {
    return received.toString(StandardCharsets.UTF_8);
  }

  /** Reads what is there, waiting until {@code deadline}; false when the deadline passed. */
  private boolean readSome(long deadline) throws IOException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      return false;
    }
    socket.setSoTimeout((int) Math.max(1, left));
    byte[] buffer = new byte[16_384];
    try {
      int n = in.read(buffer);
      if (n < 0) {
        ended = true;
      } else {
        received.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SSLException | SocketException e) {
      ended = true; // closed without a close_notify, or reset: closed all the same
    }
    return true;
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static SSLContext trustingAnyone() {
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(
          null,
          new TrustManager[] {
            new X509TrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public void checkServerTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          RANDOM);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The client side of one SCRAM-SHA-256 exchange (RFC 5802 §3), ASCII names and passwords. */
  static final class Scram {
    private final String clientFirstBare;
    private final String clientNonce;
    private byte[] serverSignature;

    Scram(String user) {
      byte[] nonce = new byte[18];
      RANDOM.nextBytes(nonce);
      this.clientNonce = base64(nonce);
      this.clientFirstBare = "n=" + user + ",r=" + clientNonce;
    }

    /** The {@code <auth/>} that starts the exchange, with the client-first message. */
    String auth() {
      return "<auth xmlns='"
          + SASL
          + "' mechanism='SCRAM-SHA-256'>"
          + base64(("n,," + clientFirstBare).getBytes(StandardCharsets.UTF_8))
          + "</auth>";
    }

    /** The {@code <response/>} with the proof, for the challenge's base64 server-first message. */
    String response(String challenge, String password) {
      String serverFirst =
          new String(Base64.getDecoder().decode(challenge.trim()), StandardCharsets.UTF_8);
      String nonce = attribute(serverFirst, 'r');
      if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
        throw new AssertionError("the server's nonce does not extend the client's: " + serverFirst);
      }
      byte[] salt = Base64.getDecoder().decode(attribute(serverFirst, 's'));
      int iterations = Integer.parseInt(attribute(serverFirst, 'i'));
      byte[] salted = pbkdf2(password, salt, iterations);
      byte[] clientKey = hmac(salted, "Client Key");
      byte[] storedKey = sha256(clientKey);
      String withoutProof = "c=biws,r=" + nonce;
      String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
      byte[] signature = hmac(storedKey, authMessage);
      byte[] proof = clientKey.clone();
      for (int i = 0; i < proof.length; i++) {
        proof[i] ^= signature[i];
      }
      serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
      String clientFinal = withoutProof + ",p=" + base64(proof);
      return "<response xmlns='"
          + SASL
          + "'>"
          + base64(clientFinal.getBytes(StandardCharsets.UTF_8))
          + "</response>";
    }

    /** Fails unless the success's server-final message proves the server knows the password. */
    void verify(String successText) {
      String serverFinal =
          new String(Base64.getDecoder().decode(successText.trim()), StandardCharsets.UTF_8);
      if (!serverFinal.equals("v=" + base64(serverSignature))) {
        throw new AssertionError("the server's signature is wrong: " + serverFinal);
      }
    }

    private static String attribute(String message, char name) {
      for (String part : message.split(",")) {
        if (part.length() > 1 && part.charAt(0) == name && part.charAt(1) == '=') {
          return part.substring(2);
        }
      }
      throw new AssertionError("no " + name + "= in " + message);
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
      try {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
            .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256))
            .getEncoded();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    private static byte[] hmac(byte[] key, String data) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    private static byte[] sha256(byte[] data) {
      try {
        return MessageDigest.getInstance("SHA-256").digest(data);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
