package dev.kith.mesh.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("HomeModes")
class HomeModesUnitTest {

  @TempDir Path dir;

  @Test
  @DisplayName("makes folders 0700, and fixes wider modes down to a depth, leaving links alone")
  void fixesModes() throws Exception {
    Path home = dir.resolve("home");
    HomeModes.createDirectories(home.resolve("a").resolve("b"));
    assertThat(mode(home)).isEqualTo("rwx------");
    assertThat(mode(home.resolve("a").resolve("b"))).isEqualTo("rwx------");
    Path top = Files.writeString(home.resolve("top.db"), "x");
    Path deep = Files.writeString(home.resolve("a").resolve("b").resolve("deep"), "x");
    Files.setPosixFilePermissions(top, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(deep, PosixFilePermissions.fromString("rw-rw-rw-"));
    Files.setPosixFilePermissions(home.resolve("a"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path outside = Files.writeString(dir.resolve("outside"), "x");
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
    Files.createSymbolicLink(home.resolve("link"), outside);

    List<HomeModes.Fixed> shallow = HomeModes.secure(home, 1);
    assertThat(shallow)
        .extracting(HomeModes.Fixed::path)
        .containsExactlyInAnyOrder(top, home.resolve("a"));
    assertThat(mode(deep)).isEqualTo("rw-rw-rw-");

    List<HomeModes.Fixed> all = HomeModes.secure(home);
    assertThat(all).extracting(HomeModes.Fixed::path).containsExactly(deep);
    assertThat(all.get(0).was()).isEqualTo("rw-rw-rw-");
    assertThat(mode(deep)).isEqualTo("rw-------");
    assertThat(mode(outside)).isEqualTo("rw-r--r--");
    assertThat(HomeModes.secure(home)).isEmpty();
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(path, java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }
}
