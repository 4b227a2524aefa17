package dev.kith.mesh.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SASLprep, with RFC 4013's examples (§3) but the bidirectional one, which is not checked. */
class SaslPrepTest {

  @Test
  @DisplayName("Maps and normalizes as RFC 4013's examples do")
  void rfc4013Examples() {
    assertThat(SaslPrep.prepare("I\u00ADX")).isEqualTo("IX");
    assertThat(SaslPrep.prepare("user")).isEqualTo("user");
    assertThat(SaslPrep.prepare("USER")).isEqualTo("USER");
    assertThat(SaslPrep.prepare("\u00AA")).isEqualTo("a");
    assertThat(SaslPrep.prepare("\u2168")).isEqualTo("IX");
    assertThatThrownBy(() -> SaslPrep.prepareStrict("\u0007"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("U+0007");
  }

  @Test
  @DisplayName("Turns non-ASCII spaces into spaces and drops zero-width characters")
  void spacesAndNothing() {
    assertThat(SaslPrep.prepare("a\u00A0b\u3000c")).isEqualTo("a b c");
    assertThat(SaslPrep.prepare("a\u200Bb\uFEFFc")).isEqualTo("abc");
  }

  @Test
  @DisplayName("Refuses prohibited output only when strict, and keeps ASCII as it is")
  void strictness() {
    assertThat(SaslPrep.prepare("pass\u0000word")).isEqualTo("pass\u0000word");
    assertThatThrownBy(() -> SaslPrep.prepareStrict("a\uE000")).hasMessageContaining("U+E000");
    assertThatThrownBy(() -> SaslPrep.prepareStrict("a\u202Eb")).hasMessageContaining("U+202E");
    assertThat(SaslPrep.prepareStrict("alice@example.org")).isEqualTo("alice@example.org");
    assertThat(SaslPrep.prepareStrict(" !~")).isEqualTo(" !~");
  }
}
