package dev.kith.mesh.trust;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The mesh CA's certificates: a self-signed CA and the device certificates it signs. Keys are ECDSA
 * P-256, which every TLS stack and browser accepts (the same certificate may serve the edge's
 * HTTPS). Signing uses the JDK's own provider; BouncyCastle only assembles the certificates.
 *
 * <p>A device certificate names the device in its subject common name and as a DNS name, lists the
 * hosts it is reached at, and allows both TLS server and client use: on the event bus every device
 * is both.
 */
public final class Certificates {

  /** How long the mesh CA is valid. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);

  /** How long a device certificate is valid; removal revokes it sooner. */
  public static final Duration DEVICE_VALIDITY = Duration.ofDays(825);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern IP = Pattern.compile("[0-9.]+|.*:.*");

  private Certificates() {}

  /** A fresh ECDSA P-256 key pair. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make EC keys", e);
    }
  }

  /** A self-signed CA certificate for the mesh {@code meshId}. */
  public static X509Certificate newCa(KeyPair key, String meshName, String meshId) {
    Instant now = Instant.now();
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Kith")
            .addRDN(BCStyle.OU, meshName)
            .addRDN(BCStyle.CN, "Kith mesh CA " + meshId)
            .build();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  subject,
                  serial(),
                  Date.from(now.minus(Duration.ofHours(1))),
                  Date.from(now.plus(CA_VALIDITY)),
                  subject,
                  key.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(key.getPublic()));
      return sign(builder, key.getPrivate());
    } catch (GeneralSecurityException | org.bouncycastle.cert.CertIOException e) {
      throw new IllegalStateException("cannot create the mesh CA", e);
    }
  }

  /**
   * A device certificate for {@code deviceName}, signed by the CA.
   *
   * @param hosts the names and addresses the device is reached at, besides its own name
   */
  public static X509Certificate issueDevice(
      X509Certificate ca,
      PrivateKey caKey,
      PublicKey deviceKey,
      String deviceName,
      List<String> hosts) {
    Instant now = Instant.now();
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Kith")
            .addRDN(BCStyle.CN, deviceName)
            .build();
    Set<String> names = new LinkedHashSet<>();
    names.add(deviceName);
    names.add("localhost");
    names.add("127.0.0.1");
    names.addAll(hosts);
    List<GeneralName> alt = new ArrayList<>();
    for (String host : names) {
      String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      alt.add(
          IP.matcher(h).matches()
              ? new GeneralName(GeneralName.iPAddress, h)
              : new GeneralName(GeneralName.dNSName, h));
    }
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  ca,
                  serial(),
                  Date.from(now.minus(Duration.ofHours(1))),
                  Date.from(now.plus(DEVICE_VALIDITY)),
                  subject,
                  deviceKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(alt.toArray(GeneralName[]::new)))
              .addExtension(
                  Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca));
      return sign(builder, caKey);
    } catch (GeneralSecurityException | org.bouncycastle.cert.CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + deviceName, e);
    }
  }

  /** The device name a certificate was issued to: its subject common name. */
  public static String subjectName(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }

  /** The certificate's serial number in lowercase hex. */
  public static String serialHex(X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }

  /** The SHA-256 of the certificate's DER encoding, in lowercase hex. */
  public static String fingerprint(X509Certificate cert) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code cert} was signed by {@code ca} and is within its validity period now. */
  public static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
    try {
      cert.verify(ca.getPublicKey());
      cert.checkValidity();
      return cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }
}
