package dev.kith.mesh.trust;

import java.net.Socket;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Refuses revoked device certificates in every TLS handshake of this process, the event bus's
 * included.
 *
 * <p>Why this way. Vert.x builds the event bus's TLS options from their JSON form, which keeps only
 * PEM, JKS and PKCS#12 key and trust options: a custom trust manager handed to {@code
 * EventBusOptions} would be dropped without a word, and the bus would trust the CA alone, revoked
 * devices included. Vert.x does make its trust managers with {@link
 * TrustManagerFactory#getDefaultAlgorithm()}, so {@link #install()} registers a factory, {@value
 * #ALGORITHM}, that wraps the JDK's PKIX one, and makes it the default. Every certificate chain
 * that PKIX accepts is then also checked against the serial numbers in {@link #revoked()}, which
 * the device fills from the mesh's revocation list as it learns of removals. A handshake already
 * completed is not affected; {@link BusGuard} closes those connections.
 */
public final class RevocationTrust {

  /** The trust manager algorithm this class installs. */
  public static final String ALGORITHM = "KithPKIX";

  private static final Set<String> REVOKED = ConcurrentHashMap.newKeySet();
  private static volatile boolean installed;

  private RevocationTrust() {}

  /** Serial numbers (lowercase hex) refused in every handshake from now on. */
  public static Set<String> revoked() {
    return REVOKED;
  }

  /** Registers the factory and makes it the process's default; safe to call more than once. */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    Provider provider =
        new Provider("KithTrust", "1.0", "PKIX trust that also refuses revoked mesh devices") {
          {
            put("TrustManagerFactory." + ALGORITHM, Factory.class.getName());
          }
        };
    Security.addProvider(provider);
    Security.setProperty("ssl.TrustManagerFactory.algorithm", ALGORITHM);
    installed = true;
  }

  static void checkNotRevoked(X509Certificate[] chain) throws CertificateException {
    if (chain == null) {
      return;
    }
    for (X509Certificate cert : chain) {
      if (REVOKED.contains(Certificates.serialHex(cert))) {
        throw new CertificateException(
            "the certificate of "
                + Certificates.subjectName(cert)
                + " was revoked (the device was removed from the mesh)");
      }
    }
  }

  /** The factory the JCA instantiates by name: PKIX, wrapped. */
  public static final class Factory extends TrustManagerFactorySpi {
    private final TrustManagerFactory pkix;

    public Factory() throws NoSuchAlgorithmException {
      this.pkix = TrustManagerFactory.getInstance("PKIX");
    }

    @Override
    protected void engineInit(KeyStore ks) throws KeyStoreException {
      pkix.init(ks);
    }

    @Override
    protected void engineInit(ManagerFactoryParameters spec)
        throws InvalidAlgorithmParameterException {
      pkix.init(spec);
    }

    @Override
    protected TrustManager[] engineGetTrustManagers() {
      TrustManager[] managers = pkix.getTrustManagers();
      TrustManager[] out = new TrustManager[managers.length];
      for (int i = 0; i < managers.length; i++) {
        out[i] =
            managers[i] instanceof X509ExtendedTrustManager x509 ? new Checking(x509) : managers[i];
      }
      return out;
    }
  }

  private static final class Checking extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;

    Checking(X509ExtendedTrustManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
      checkNotRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
      checkNotRevoked(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
      checkNotRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
      checkNotRevoked(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
      checkNotRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
      checkNotRevoked(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
