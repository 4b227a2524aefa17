package dev.kith.chat.sasl;

import dev.kith.mesh.spi.Owners;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server side of one SCRAM exchange (RFC 5802, RFC 7677: SCRAM-SHA-1 and SCRAM-SHA-256),
 * without channel binding and without I/O: the XMPP session feeds it the decoded messages and does
 * the lookups, which take futures. For {@code <auth mechanism="SCRAM-SHA-256">base64</auth>}:
 *
 * <ol>
 *   <li>{@code scram = ScramServer.forMechanism("SCRAM-SHA-256", streamDomain)}, then {@code user =
 *       scram.clientFirst(bytes)}: the user name, after SASLprep ({@code alice} or {@code
 *       alice@domain}), which the session maps to an owner;
 *   <li>the session asks {@code owners.lockedOutFor(address, owner)} and refuses a locked-out
 *       caller at once ({@code <temporary-auth-failure/>}, nothing counted); otherwise it takes
 *       {@code owners.scramOrDecoy(owner, scram.hash())} (stand-in secrets for a name that is no
 *       owner, so the exchange looks the same) and sends {@code scram.serverFirst(secrets)} as the
 *       {@code <challenge/>};
 *   <li>on the {@code <response/>}, {@code result = scram.clientFinal(bytes)} checks the proof; the
 *       session reports {@code owners.scramResult(protocol, address, owner, result.proofValid())},
 *       which counts it under the mesh-wide lockout, and sends {@code <success>} with {@code
 *       result.serverFinal()} when that answers ACCEPTED, else {@code <failure><not-authorized/>}.
 * </ol>
 *
 * <p>Every method throws {@link SaslFailure} for a message it refuses, with the reason, and the
 * exchange is then over (the client may start another with a new {@code <auth/>}). Once the session
 * has sent the challenge, an exchange that ends without a valid proof (a refused final message, an
 * abort, a closed connection) should still be reported as {@code proofValid = false}, so that no
 * way of ending it costs a guesser less than a wrong proof.
 *
 * <p>Channel binding is not offered (no {@code -PLUS} mechanisms): a client that asks for it
 * ({@code p=}) is refused, and the flags {@code n} (the client does not support it) and {@code y}
 * (it does, but thinks the server does not) are both accepted, which is right while the server
 * advertises no {@code -PLUS}. Mandatory extensions ({@code m=}) are refused; optional ones are
 * ignored. An object serves one exchange of one session, on one thread.
 */
public final class ScramServer {

  /** The mechanisms, most preferred first, as the session advertises them. */
  public static final List<String> MECHANISMS = List.of("SCRAM-SHA-256", "SCRAM-SHA-1");

  /** The longest client message taken, in bytes. */
  public static final int MAX_MESSAGE_BYTES = 8192;

  /** The longest client nonce taken. */
  static final int MAX_NONCE_CHARS = 512;

  private static final Map<String, String> HASHES =
      Map.of("SCRAM-SHA-256", "SHA-256", "SCRAM-SHA-1", "SHA-1");
  private static final SecureRandom RANDOM = new SecureRandom();

  private enum Step {
    CLIENT_FIRST,
    SERVER_FIRST,
    CLIENT_FINAL,
    DONE
  }

  /**
   * What the final message proved.
   *
   * @param proofValid whether the client proved it knows the password
   * @param serverFinal the server-final message ({@code v=...}) to send with the success, or {@code
   *     null} when the proof is not valid
   */
  public record Result(boolean proofValid, byte[] serverFinal) {}

  private final String hash;
  private final String domain;
  private final Supplier<String> serverNonces;
  private Step step = Step.CLIENT_FIRST;
  private String gs2Header;
  private String clientFirstBare;
  private String clientNonce;
  private String nonce;
  private String serverFirst;
  private Owners.Scram secrets;

  /**
   * An exchange with server nonces from {@code serverNonces} (printable ASCII without commas);
   * tests give fixed ones.
   */
  ScramServer(String hash, String domain, Supplier<String> serverNonces) {
    if (!HASHES.containsValue(hash)) {
      throw new IllegalArgumentException("no SCRAM hash " + hash);
    }
    this.hash = hash;
    this.domain = domain;
    this.serverNonces = serverNonces;
  }

  /**
   * An exchange of {@code mechanism} (one of {@link #MECHANISMS}), on a stream for {@code domain}
   * (which an authorization identity may name; {@code null} to take only the user name itself).
   *
   * @throws IllegalArgumentException for another mechanism
   */
  public static ScramServer forMechanism(String mechanism, String domain) {
    String hash = HASHES.get(mechanism);
    if (hash == null) {
      throw new IllegalArgumentException("no SCRAM mechanism " + mechanism);
    }
    return new ScramServer(hash, domain, ScramServer::randomNonce);
  }

  /** The hash function, as {@link Owners#scram} names it: {@code SHA-1} or {@code SHA-256}. */
  public String hash() {
    return hash;
  }

  /**
   * Takes the client-first message: {@code gs2-header client-first-message-bare}, as in {@code
   * n,,n=user,r=nonce}. Answers the user name, unescaped ({@code =2C}, {@code =3D}) and after
   * SASLprep.
   */
  public String clientFirst(byte[] message) {
    advance(Step.CLIENT_FIRST);
    String text = text(message, "the client-first message");
    int flagEnd = text.indexOf(',');
    int authzidEnd = flagEnd < 0 ? -1 : text.indexOf(',', flagEnd + 1);
    if (authzidEnd < 0) {
      throw SaslFailure.malformed("the message does not start with a GS2 header such as 'n,,'");
    }
    checkChannelBindingFlag(text.substring(0, flagEnd));
    String authzid = authzid(text.substring(flagEnd + 1, authzidEnd));
    gs2Header = text.substring(0, authzidEnd + 1);
    clientFirstBare = text.substring(authzidEnd + 1);
    String[] attributes = clientFirstBare.split(",", -1);
    if (attributes[0].startsWith("m=")) {
      throw SaslFailure.malformed(
          "extensions-not-supported", "mandatory extensions (m=) are not supported");
    }
    String user =
        SaslNames.prepare(
            saslName(value(attributes, 0, 'n', "the user name (n=)"), "invalid-username-encoding"),
            "the user name",
            "invalid-username-encoding");
    clientNonce = value(attributes, 1, 'r', "the client nonce (r=)");
    checkNonce(clientNonce);
    checkExtensions(attributes, 2);
    SaslNames.checkAuthzid(user, authzid, domain);
    return user;
  }

  /**
   * The server-first message for the owner's {@code secrets} (or stand-in ones): {@code r=<client
   * nonce + server nonce>,s=<salt>,i=<iterations>}.
   */
  public byte[] serverFirst(Owners.Scram secrets) {
    advance(Step.SERVER_FIRST);
    this.secrets = secrets;
    nonce = clientNonce + serverNonces.get();
    serverFirst =
        "r="
            + nonce
            + ",s="
            + Base64.getEncoder().encodeToString(secrets.salt())
            + ",i="
            + secrets.iterations();
    return serverFirst.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Takes the client-final message, {@code c=<gs2 header>,r=<nonce>[,extensions],p=<proof>}, and
   * checks the proof against the secrets: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage)
   * must hash to StoredKey (compared in constant time).
   */
  public Result clientFinal(byte[] message) {
    advance(Step.CLIENT_FINAL);
    String text = text(message, "the client-final message");
    int proofAt = text.lastIndexOf(",p=");
    if (proofAt < 0) {
      throw SaslFailure.malformed("the client-final message has no proof (p=)");
    }
    String withoutProof = text.substring(0, proofAt);
    String[] attributes = withoutProof.split(",", -1);
    byte[] binding = base64(value(attributes, 0, 'c', "the channel binding (c=)"), "c=");
    if (!MessageDigest.isEqual(binding, gs2Header.getBytes(StandardCharsets.UTF_8))) {
      throw new SaslFailure(
          SaslFailure.Condition.NOT_AUTHORIZED,
          "channel-bindings-dont-match",
          "the channel binding (c=) is not the GS2 header of the first message");
    }
    if (!value(attributes, 1, 'r', "the nonce (r=)").equals(nonce)) {
      throw new SaslFailure(
          SaslFailure.Condition.NOT_AUTHORIZED,
          "other-error",
          "the nonce (r=) is not this exchange's");
    }
    checkExtensions(attributes, 2);
    byte[] proof = base64(text.substring(proofAt + 3), "p=");
    byte[] storedKey = secrets.storedKey();
    if (proof.length != storedKey.length) {
      throw SaslFailure.malformed(
          "invalid-proof",
          "the proof (p=) is " + proof.length + " bytes; " + hash + " gives " + storedKey.length);
    }
    byte[] authMessage =
        (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
    byte[] clientKey = hmac(storedKey, authMessage);
    for (int i = 0; i < clientKey.length; i++) {
      clientKey[i] ^= proof[i];
    }
    if (!MessageDigest.isEqual(digest(clientKey), storedKey)) {
      return new Result(false, null);
    }
    String verifier = Base64.getEncoder().encodeToString(hmac(secrets.serverKey(), authMessage));
    return new Result(true, ("v=" + verifier).getBytes(StandardCharsets.UTF_8));
  }

  private void advance(Step expected) {
    if (step != expected) {
      throw new IllegalStateException("the SCRAM exchange expects " + step + ", not " + expected);
    }
    step = Step.values()[step.ordinal() + 1];
  }

  private static String text(byte[] message, String what) {
    if (message.length == 0 || message.length > MAX_MESSAGE_BYTES) {
      throw SaslFailure.malformed(what + " must be 1 to " + MAX_MESSAGE_BYTES + " bytes");
    }
    return SaslNames.utf8(message, what);
  }

  private static void checkChannelBindingFlag(String flag) {
    if (flag.startsWith("p=")) {
      throw new SaslFailure(
          SaslFailure.Condition.NOT_AUTHORIZED,
          "channel-binding-not-supported",
          "channel binding is not supported: use SCRAM without -PLUS (GS2 flag n or y)");
    }
    if (!flag.equals("n") && !flag.equals("y")) {
      throw SaslFailure.malformed("the GS2 channel binding flag must be n, y or p=, not " + flag);
    }
  }

  private static String authzid(String field) {
    if (field.isEmpty()) {
      return "";
    }
    if (!field.startsWith("a=")) {
      throw SaslFailure.malformed("the GS2 header's authorization identity must be a=...");
    }
    return SaslNames.prepare(
        saslName(field.substring(2), "invalid-encoding"),
        "the authorization identity",
        "invalid-encoding");
  }

  /** The value of attribute {@code name} at {@code index}; refused when it is not there. */
  private static String value(String[] attributes, int index, char name, String what) {
    String prefix = name + "=";
    if (index >= attributes.length || !attributes[index].startsWith(prefix)) {
      throw SaslFailure.malformed(what + " is missing or out of place");
    }
    return attributes[index].substring(2);
  }

  /** RFC 5802's saslname: '=' only in {@code =2C} (a comma) and {@code =3D} (an equals sign). */
  private static String saslName(String escaped, String scramError) {
    StringBuilder out = new StringBuilder(escaped.length());
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == '\0') {
        throw SaslFailure.malformed(scramError, "a name may not hold NUL");
      }
      if (c != '=') {
        out.append(c);
      } else if (escaped.startsWith("2C", i + 1)) {
        out.append(',');
        i += 2;
      } else if (escaped.startsWith("3D", i + 1)) {
        out.append('=');
        i += 2;
      } else {
        throw SaslFailure.malformed(scramError, "'=' in a name must be =2C or =3D");
      }
    }
    return out.toString();
  }

  private static void checkNonce(String nonce) {
    if (nonce.isEmpty() || nonce.length() > MAX_NONCE_CHARS) {
      throw SaslFailure.malformed(
          "the client nonce (r=) must be 1 to " + MAX_NONCE_CHARS + " chars");
    }
    if (!nonce.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
      throw SaslFailure.malformed("the client nonce (r=) must be printable ASCII");
    }
  }

  /** Optional extensions, {@code x=value}, from {@code from} on: ignored, but well formed. */
  private static void checkExtensions(String[] attributes, int from) {
    for (int i = from; i < attributes.length; i++) {
      String a = attributes[i];
      if (a.length() < 2 || a.charAt(1) != '=' || !Character.isLetter(a.charAt(0))) {
        throw SaslFailure.malformed("'" + shorten(a) + "' is not an attribute (x=value)");
      }
    }
  }

  private static byte[] base64(String text, String what) {
    try {
      if (text.length() % 4 != 0) {
        throw new IllegalArgumentException("unpadded");
      }
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw SaslFailure.malformed("invalid-encoding", "the value of " + what + " is not base64");
    }
  }

  private byte[] hmac(byte[] key, byte[] data) {
    String algorithm = "Hmac" + hash.replace("-", "");
    try {
      Mac mac = Mac.getInstance(algorithm);
      mac.init(new SecretKeySpec(key, algorithm));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] digest(byte[] data) {
    try {
      return MessageDigest.getInstance(hash).digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String shorten(String text) {
    return text.length() <= 20 ? text : text.substring(0, 20) + "...";
  }

  private static String randomNonce() {
    byte[] bytes = new byte[18];
    RANDOM.nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }
}
