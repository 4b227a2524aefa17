package dev.kith.mesh.trust;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Signs this device's entry in the device registry, and checks other devices' entries.
 *
 * <p>Hazelcast's open-source edition lets any member that joins the cluster write its maps. An
 * entry counts only when it carries a certificate that the mesh CA signed for the entry's name,
 * that is not revoked, and a signature by that certificate's key over the rest of the entry. A
 * process that joined the cluster without being enrolled, or a removed device, is therefore not
 * listed, not placed on and not given vault replicas, whatever it writes.
 */
public final class EntrySeal {

  private final MeshTrust trust;
  private final String certificatePem;

  /** Entries already checked: the serial of a well-sealed one, "" for one that is not. */
  private final Map<String, String> checked =
      Collections.synchronizedMap(
          new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
              return size() > 1024;
            }
          });

  public EntrySeal(MeshTrust trust) {
    this.trust = trust;
    this.certificatePem = Pem.certificate(trust.certificate());
  }

  /** The entry with this device's certificate and signature added, encoded. */
  public String seal(JsonObject entry) {
    JsonObject copy = entry.copy();
    copy.remove("signature");
    copy.put("certificate", certificatePem);
    byte[] signed = copy.encode().getBytes(StandardCharsets.UTF_8);
    copy.put("signature", Base64.getEncoder().encodeToString(Signatures.sign(trust.key(), signed)));
    return copy.encode();
  }

  /** Whether an entry, as stored, is sealed by a current device of this mesh under its name. */
  public boolean trusted(String stored) {
    String serial = checked.get(stored);
    if (serial == null) {
      serial = check(stored) ? serialOf(stored) : "";
      checked.put(stored, serial);
    }
    return !serial.isEmpty() && !RevocationTrust.revoked().contains(serial);
  }

  /** The certificate serial an entry carries, or {@code null}. */
  public static String serialOf(String stored) {
    try {
      String pem = new JsonObject(stored).getString("certificate");
      return pem == null ? null : Certificates.serialHex(Pem.certificates(pem).get(0));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private boolean check(String stored) {
    try {
      JsonObject entry = new JsonObject(stored);
      String signature = entry.getString("signature");
      String pem = entry.getString("certificate");
      if (signature == null || pem == null) {
        return false;
      }
      X509Certificate cert = Pem.certificates(pem).get(0);
      if (!Certificates.issuedBy(cert, trust.ca())
          || !String.valueOf(entry.getString("name")).equals(Certificates.subjectName(cert))) {
        return false;
      }
      entry.remove("signature");
      return Signatures.verify(
          cert.getPublicKey(),
          entry.encode().getBytes(StandardCharsets.UTF_8),
          Base64.getDecoder().decode(signature));
    } catch (RuntimeException e) {
      return false;
    }
  }
}
