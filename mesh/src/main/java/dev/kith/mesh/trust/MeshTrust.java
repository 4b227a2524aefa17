package dev.kith.mesh.trust;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A device's trust material, kept in {@code HOME/trust/}: which mesh it belongs to, the mesh CA's
 * certificate, its own certificate and key, and on the device that created the mesh, the CA's key.
 *
 * <p>Files: {@code mesh.json} (mesh name, mesh id, CA fingerprint), {@code ca.pem}, {@code ca.key}
 * (only where the mesh was created, or where an admin copied it), {@code device.pem} and {@code
 * device.key}, {@code token.key} (this device's Ed25519 key for signing access tokens) and {@code
 * operator.token} (the local administrator's token). Every key and token file is mode 0600 and the
 * folder 0700.
 *
 * <p>The mesh id is 64 random bits, chosen when the mesh is created. The cluster name is the mesh
 * name and the id ({@code kith-3f9c...}), so a device joins only the mesh it was enrolled in, even
 * where two meshes share a name.
 */
public final class MeshTrust {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern MESH_ID = Pattern.compile("[0-9a-f]{16}");

  private final Path folder;
  private final String meshName;
  private final String meshId;
  private final X509Certificate ca;
  private final PrivateKey caKey;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final String chainPem;

  private MeshTrust(
      Path folder,
      String meshName,
      String meshId,
      X509Certificate ca,
      PrivateKey caKey,
      X509Certificate certificate,
      PrivateKey key,
      String chainPem) {
    this.folder = folder;
    this.meshName = meshName;
    this.meshId = meshId;
    this.ca = ca;
    this.caKey = caKey;
    this.certificate = certificate;
    this.key = key;
    this.chainPem = chainPem;
  }

  /** {@code HOME/trust}. */
  public static Path folder(Path home) {
    return home.resolve("trust");
  }

  /** Whether {@code home} holds a device certificate. */
  public static boolean exists(Path home) {
    return Files.isRegularFile(folder(home).resolve("device.pem"));
  }

  /**
   * Creates a new mesh in {@code home}: a mesh id, the CA, and this device's certificate.
   *
   * @param hosts the host names or addresses other devices reach this one at
   */
  public static MeshTrust createMesh(Path home, String meshName, String device, List<String> hosts)
      throws IOException {
    Path folder = folder(home);
    SecretFiles.ensureFolder(folder);
    String meshId = HexFormat.of().formatHex(randomBytes(8));
    KeyPair caPair = Certificates.newKeyPair();
    X509Certificate ca = Certificates.newCa(caPair, meshName, meshId);
    SecretFiles.writeSecret(folder.resolve("ca.key"), bytes(Pem.privateKey(caPair.getPrivate())));
    SecretFiles.writePublic(folder.resolve("ca.pem"), bytes(Pem.certificate(ca)));
    writeMeshJson(folder, meshName, meshId, Certificates.fingerprint(ca));
    KeyPair devicePair = Certificates.newKeyPair();
    X509Certificate cert =
        Certificates.issueDevice(ca, caPair.getPrivate(), devicePair.getPublic(), device, hosts);
    installDevice(folder, devicePair.getPrivate(), cert, ca);
    return load(home);
  }

  /**
   * Gives {@code home} a certificate for {@code device} signed by the CA held in {@code caHome}: an
   * enrollment done by an administrator who can read the CA's key, without a running device.
   */
  public static MeshTrust provisionFrom(Path caHome, Path home, String device, List<String> hosts)
      throws IOException {
    MeshTrust authority = load(caHome);
    if (!authority.holdsCa()) {
      throw new IOException(folder(caHome) + " holds no CA key (ca.key)");
    }
    Path folder = folder(home);
    SecretFiles.ensureFolder(folder);
    KeyPair devicePair = Certificates.newKeyPair();
    X509Certificate cert = authority.issue(devicePair.getPublic(), device, hosts);
    return install(home, authority.meshName, authority.meshId, authority.ca, cert, devicePair);
  }

  /** Installs what an enrollment returned. */
  public static MeshTrust install(
      Path home,
      String meshName,
      String meshId,
      X509Certificate ca,
      X509Certificate cert,
      KeyPair devicePair)
      throws IOException {
    Path folder = folder(home);
    SecretFiles.ensureFolder(folder);
    SecretFiles.writePublic(folder.resolve("ca.pem"), bytes(Pem.certificate(ca)));
    writeMeshJson(folder, meshName, meshId, Certificates.fingerprint(ca));
    installDevice(folder, devicePair.getPrivate(), cert, ca);
    return load(home);
  }

  /** Loads the trust material of {@code home}. */
  public static MeshTrust load(Path home) throws IOException {
    Path folder = folder(home);
    JsonObject mesh = new JsonObject(read(folder.resolve("mesh.json")));
    String meshId = mesh.getString("meshId", "");
    if (!MESH_ID.matcher(meshId).matches()) {
      throw new IOException(folder.resolve("mesh.json") + " holds no valid mesh id");
    }
    X509Certificate ca = Pem.certificates(read(folder.resolve("ca.pem"))).get(0);
    if (!Certificates.fingerprint(ca).equals(mesh.getString("caFingerprint"))) {
      throw new IOException(folder.resolve("ca.pem") + " is not the CA that mesh.json names");
    }
    String chain = read(folder.resolve("device.pem"));
    X509Certificate cert = Pem.certificates(chain).get(0);
    if (!Certificates.issuedBy(cert, ca)) {
      throw new IOException(
          folder.resolve("device.pem") + " is not signed by the mesh CA, or has expired");
    }
    PrivateKey key = Pem.privateKey(readSecret(folder.resolve("device.key")), "EC");
    PrivateKey caKey =
        Files.isRegularFile(folder.resolve("ca.key"))
            ? Pem.privateKey(readSecret(folder.resolve("ca.key")), "EC")
            : null;
    return new MeshTrust(folder, mesh.getString("mesh"), meshId, ca, caKey, cert, key, chain);
  }

  public String meshName() {
    return meshName;
  }

  public String meshId() {
    return meshId;
  }

  /** The Hazelcast cluster name: the mesh name and its id. */
  public String clusterName() {
    return meshName + "-" + meshId;
  }

  public X509Certificate ca() {
    return ca;
  }

  public String caFingerprint() {
    return Certificates.fingerprint(ca);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The device name this certificate was issued to. */
  public String deviceName() {
    return Certificates.subjectName(certificate);
  }

  /** This device's private key, which signs what it claims (its registry entry, enrollments). */
  public PrivateKey key() {
    return key;
  }

  public Path folder() {
    return folder;
  }

  /** Whether this device holds the CA's key and so can sign certificates and invitations. */
  public boolean holdsCa() {
    return caKey != null;
  }

  /** Signs a device certificate; only where {@link #holdsCa()}. */
  public X509Certificate issue(PublicKey deviceKey, String device, List<String> hosts) {
    if (caKey == null) {
      throw new IllegalStateException("this device does not hold the mesh CA's key");
    }
    return Certificates.issueDevice(ca, caKey, deviceKey, device, hosts);
  }

  /** Signs {@code data} with the CA key (invitations); only where {@link #holdsCa()}. */
  public byte[] signWithCa(byte[] data) {
    if (caKey == null) {
      throw new IllegalStateException("this device does not hold the mesh CA's key");
    }
    return Signatures.sign(caKey, data);
  }

  /** This device's certificate and key for TLS, as PEM (the event bus keeps only PEM, JKS, PFX). */
  public PemKeyCertOptions keyCertOptions() {
    return new PemKeyCertOptions()
        .addCertValue(Buffer.buffer(chainPem))
        .addKeyValue(Buffer.buffer(Pem.privateKey(key)));
  }

  /** Trusts the mesh CA only. */
  public PemTrustOptions trustOptions() {
    return new PemTrustOptions().addCertValue(Buffer.buffer(Pem.certificate(ca)));
  }

  /** This device's Ed25519 key for signing access tokens, created on first use. */
  public KeyPair tokenKey() throws IOException {
    Path file = folder.resolve("token.key");
    try {
      if (Files.isRegularFile(file)) {
        PrivateKey privateKey = Pem.privateKey(readSecret(file), "Ed25519");
        PublicKey publicKey = Pem.publicKey(read(folder.resolve("token.pub")), "Ed25519");
        return new KeyPair(publicKey, privateKey);
      }
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      SecretFiles.writePublic(folder.resolve("token.pub"), bytes(Pem.publicKey(pair.getPublic())));
      SecretFiles.writeSecret(file, bytes(Pem.privateKey(pair.getPrivate())));
      return pair;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make an Ed25519 key: " + e.getMessage(), e);
    }
  }

  /**
   * The local administrator's token, created on first use: whoever can read this file (mode 0600)
   * can read the whole home anyway, so it grants nothing more than that. Only this device accepts
   * it.
   */
  public String operatorToken() throws IOException {
    Path file = operatorTokenFile(folder.getParent());
    if (Files.isRegularFile(file)) {
      return read(file).trim();
    }
    String token =
        OPERATOR_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
    SecretFiles.writeSecret(file, bytes(token + "\n"));
    return token;
  }

  /** Where a home keeps its operator token. */
  public static Path operatorTokenFile(Path home) {
    return folder(home).resolve("operator.token");
  }

  /** Operator tokens start with this, so they are never mistaken for an access token. */
  public static final String OPERATOR_PREFIX = "kop_";

  /** Random bytes from the shared secure source. */
  public static byte[] randomBytes(int count) {
    byte[] out = new byte[count];
    RANDOM.nextBytes(out);
    return out;
  }

  private static void installDevice(
      Path folder, PrivateKey deviceKey, X509Certificate cert, X509Certificate ca)
      throws IOException {
    SecretFiles.writeSecret(folder.resolve("device.key"), bytes(Pem.privateKey(deviceKey)));
    SecretFiles.writePublic(
        folder.resolve("device.pem"), bytes(Pem.certificate(cert) + Pem.certificate(ca)));
  }

  private static void writeMeshJson(Path folder, String meshName, String meshId, String fp)
      throws IOException {
    SecretFiles.writePublic(
        folder.resolve("mesh.json"),
        bytes(
            new JsonObject()
                    .put("mesh", meshName)
                    .put("meshId", meshId)
                    .put("caFingerprint", fp)
                    .encodePrettily()
                + "\n"));
  }

  private static String readSecret(Path file) throws IOException {
    if (!SecretFiles.isPrivate(file)) {
      throw new IOException(file + " is readable by other users; chmod 600 it");
    }
    return read(file);
  }

  private static String read(Path file) throws IOException {
    return new String(SecretFiles.read(file), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
