package dev.kith.mesh.trust;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The joining side of an invitation: makes this device's key, asks the URL in the join token for a
 * certificate, checks the answer against the CA fingerprint in the token, and installs it.
 *
 * <p>Only the public key and a signature proving this device holds the private one travel. Over
 * HTTPS the server must present a certificate chain that includes the CA of the token; over HTTP
 * the token itself could be read on the way, which is why the edge should serve HTTPS on networks
 * one does not trust (see docs/security.md). Either way the certificate that comes back is checked
 * against the token's CA fingerprint before it is installed.
 */
public final class Enrollment {

  /** How long a joining device keeps trying to reach the device that invited it. */
  public static final Duration PATIENCE = Duration.ofSeconds(60);

  private Enrollment() {}

  /** Refused by the mesh: a wrong, expired or spent token; the message is safe to show. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * What an enrollment gives: the trust files, installed, and where the mesh's devices listen.
   *
   * @param peers device name to cluster {@code HOST:PORT}: the devices alive when the token was
   *     made and when it was spent, for this device to join
   */
  public record Enrolled(MeshTrust trust, Map<String, String> peers) {}

  /**
   * Enrolls {@code device} with {@code token} and installs its trust files in {@code home}.
   *
   * @throws Refused when the mesh refuses the token, or answers with another CA
   * @throws IOException when the inviting device cannot be reached within {@link #PATIENCE}
   */
  public static Enrolled enroll(Path home, String device, List<String> hosts, String token)
      throws Refused, IOException, InterruptedException {
    JsonObject claims;
    try {
      claims = Invites.claims(token);
    } catch (IllegalArgumentException e) {
      throw new Refused("the join token is not valid");
    }
    KeyPair key = Certificates.newKeyPair();
    String nonce = claims.getString("n");
    JsonObject request =
        new JsonObject()
            .put("token", token)
            .put("name", device)
            .put("publicKey", Pem.publicKey(key.getPublic()))
            .put(
                "proof",
                Base64.getEncoder()
                    .encodeToString(Signatures.sign(key.getPrivate(), proofText(nonce, device))))
            .put("hosts", hosts);
    String url = claims.getString("url").replaceAll("/+$", "") + "/api/mesh/enroll";
    HttpClient client = client(claims.getString("ca"));
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response;
      try {
        response =
            client.send(
                HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(request.encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        last = e;
        Thread.sleep(500);
        continue;
      }
      if (response.statusCode() == 503) {
        last = new IOException("HTTP 503 from " + url);
        Thread.sleep(500);
        continue;
      }
      if (response.statusCode() != 200) {
        String message;
        try {
          message = new JsonObject(response.body()).getString("message");
        } catch (RuntimeException e) {
          message = "HTTP " + response.statusCode();
        }
        throw new Refused("the mesh refused this device: " + message);
      }
      JsonObject answer = new JsonObject(response.body());
      MeshTrust trust = install(home, device, claims, key, answer);
      Map<String, String> peers = new LinkedHashMap<>();
      addPeers(peers, claims.getJsonObject("peers"));
      addPeers(peers, answer.getValue("peers") instanceof JsonObject p ? p : null);
      peers.remove(device);
      return new Enrolled(trust, peers);
    }
    throw new IOException(
        "cannot reach "
            + url
            + " within "
            + PATIENCE.toSeconds()
            + " s ("
            + last
            + ")"
            + (isLoopback(URI.create(url).getHost())
                ? "; the token names a loopback address, so it works only on the inviting device's"
                    + " machine: start that device with --public-host ADDRESS (an address this"
                    + " machine reaches) and invite again"
                : "; is the inviting device running, and is its HTTP port reachable from here?"),
        last);
  }

  /** Adds the well-formed entries of a {@code peers} object (name to {@code HOST:PORT}). */
  private static void addPeers(Map<String, String> peers, JsonObject named) {
    if (named == null) {
      return;
    }
    named.fieldNames().stream()
        .limit(Invites.MAX_PEERS)
        .filter(name -> named.getValue(name) instanceof String)
        .filter(name -> dev.kith.mesh.cluster.KnownPeers.isHostAndPort(named.getString(name)))
        .forEach(name -> peers.put(name, named.getString(name)));
  }

  private static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.replaceAll("^\\[|\\]$", "");
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
  }

  /** What an enrolling device signs to prove it holds its key. */
  public static byte[] proofText(String nonce, String device) {
    return ("kith-enroll\n" + nonce + "\n" + device).getBytes(StandardCharsets.UTF_8);
  }

  private static MeshTrust install(
      Path home, String device, JsonObject claims, KeyPair key, JsonObject answer)
      throws Refused, IOException {
    X509Certificate ca;
    X509Certificate cert;
    try {
      ca = Pem.certificates(answer.getString("ca")).get(0);
      cert = Pem.certificates(answer.getString("certificate")).get(0);
    } catch (RuntimeException e) {
      throw new Refused("the mesh answered no certificate");
    }
    if (!Certificates.fingerprint(ca).equals(claims.getString("ca"))
        || !claims.getString("id").equals(answer.getString("meshId"))) {
      throw new Refused("the device that answered is not of the mesh that invited this one");
    }
    if (!Certificates.issuedBy(cert, ca)
        || !cert.getPublicKey().equals(key.getPublic())
        || !device.equals(Certificates.subjectName(cert))) {
      throw new Refused("the certificate the mesh answered is not for this device");
    }
    return MeshTrust.install(
        home,
        answer.getString("mesh", claims.getString("mesh")),
        claims.getString("id"),
        ca,
        cert,
        key);
  }

  /** A client that, over HTTPS, trusts only a chain that holds the CA of the token. */
  private static HttpClient client(String caFingerprint) throws IOException {
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(
          null,
          new TrustManager[] {
            new X509TrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] chain, String authType)
                  throws CertificateException {
                throw new CertificateException("not a server");
              }

              @Override
              public void checkServerTrusted(X509Certificate[] chain, String authType)
                  throws CertificateException {
                for (X509Certificate c : chain) {
                  if (Certificates.fingerprint(c).equals(caFingerprint)
                      && Certificates.issuedBy(chain[0], c)) {
                    return;
                  }
                }
                throw new CertificateException("the server's certificate is not of this mesh");
              }

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          new SecureRandom());
      javax.net.ssl.SSLParameters params = new javax.net.ssl.SSLParameters();
      params.setEndpointIdentificationAlgorithm(null);
      return HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .sslContext(ssl)
          .sslParameters(params)
          .build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }
}
