package dev.kith.mesh.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mesh.auth.Passwords;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trust files, join tokens and sealed registry entries, without a running device. */
@DisplayName("Trust files, join tokens and sealed entries")
class TrustFilesTest {

  @TempDir Path dir;

  @Test
  @DisplayName("a new mesh and a device provisioned from its CA share the mesh id and the CA")
  void meshAndProvisionedDevice() throws Exception {
    MeshTrust ca = MeshTrust.createMesh(dir.resolve("a"), "home", "a.alice", List.of("10.0.0.1"));
    MeshTrust b = MeshTrust.provisionFrom(dir.resolve("a"), dir.resolve("b"), "b.alice", List.of());

    assertThat(ca.holdsCa()).isTrue();
    assertThat(b.holdsCa()).isFalse();
    assertThat(b.clusterName()).isEqualTo(ca.clusterName()).isEqualTo("home-" + ca.meshId());
    assertThat(b.deviceName()).isEqualTo("b.alice");
    assertThat(Certificates.issuedBy(b.certificate(), ca.ca())).isTrue();
    for (String file : List.of("ca.key", "device.key")) {
      assertThat(Files.getPosixFilePermissions(dir.resolve("a/trust/" + file)))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("a/trust")))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    // A key file that others can read is refused.
    Files.setPosixFilePermissions(
        dir.resolve("b/trust/device.key"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> MeshTrust.load(dir.resolve("b"))).hasMessageContaining("chmod 600");
  }

  @Test
  @DisplayName("a join token is accepted once signed by the mesh's CA and unexpired, else refused")
  void joinTokens() throws Exception {
    MeshTrust mesh = MeshTrust.createMesh(dir.resolve("a"), "home", "a.alice", List.of());
    MeshTrust other = MeshTrust.createMesh(dir.resolve("x"), "home", "x.alice", List.of());
    String token = Invites.create(mesh, "http://127.0.0.1:8080", 600);

    JsonObject claims = Invites.verify(mesh, token);
    assertThat(claims.getString("ca")).isEqualTo(mesh.caFingerprint());
    assertThat(claims.getString("url")).isEqualTo("http://127.0.0.1:8080");

    assertThatThrownBy(() -> Invites.verify(mesh, Invites.create(other, "http://h", 600)))
        .hasMessageContaining("not signed by this mesh");
    assertThatThrownBy(() -> Invites.verify(mesh, Invites.create(mesh, "http://h", -1)))
        .hasMessageContaining("expired");
    // Claims changed after signing: a longer life, say.
    String[] parts = token.substring(Invites.PREFIX.length()).split("\\.");
    JsonObject forged =
        new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8))
            .put("exp", Long.MAX_VALUE / 2);
    String tampered =
        Invites.PREFIX
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(forged.encode().getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[1];
    assertThatThrownBy(() -> Invites.verify(mesh, tampered))
        .hasMessageContaining("not signed by this mesh");
    assertThatThrownBy(() -> Invites.claims("kith1.nonsense"))
        .hasMessageContaining("not a join token");
  }

  @Test
  @DisplayName(
      "a registry entry counts only when sealed by a current device of the mesh under its name")
  void sealedEntries() throws Exception {
    MeshTrust mesh = MeshTrust.createMesh(dir.resolve("a"), "home", "a.alice", List.of());
    MeshTrust b = MeshTrust.provisionFrom(dir.resolve("a"), dir.resolve("b"), "b.alice", List.of());
    MeshTrust stranger = MeshTrust.createMesh(dir.resolve("x"), "home", "b.alice", List.of());
    EntrySeal reader = new EntrySeal(mesh);
    JsonObject entry =
        new JsonObject().put("name", "b.alice").put("memberId", "m-1").put("left", false);

    String sealed = new EntrySeal(b).seal(entry);
    assertThat(reader.trusted(sealed)).isTrue();
    // Changed after sealing, claimed under another name, or sealed by another mesh's CA: ignored.
    assertThat(reader.trusted(sealed.replace("m-1", "m-2"))).isFalse();
    assertThat(reader.trusted(new EntrySeal(b).seal(entry.copy().put("name", "c.alice"))))
        .isFalse();
    assertThat(reader.trusted(new EntrySeal(stranger).seal(entry))).isFalse();
    assertThat(reader.trusted(entry.encode())).isFalse();
    // Revoked: ignored from then on.
    String serial = EntrySeal.serialOf(sealed);
    RevocationTrust.revoked().add(serial);
    try {
      assertThat(reader.trusted(sealed)).isFalse();
    } finally {
      RevocationTrust.revoked().remove(serial);
    }
  }

  @Test
  @DisplayName("passwords are Argon2id hashes with OWASP's parameters and a random salt")
  void passwords() {
    String hash = Passwords.hashNow("correct horse battery staple");
    assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    assertThat(Passwords.hashNow("correct horse battery staple")).isNotEqualTo(hash);
    assertThatThrownBy(() -> Passwords.requireAcceptable("short"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
