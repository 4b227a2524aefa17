package dev.kith.mesh.spi.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Content-Disposition for stored bytes")
class UserContentTest {

  @Test
  @DisplayName("keeps a non-ASCII name in filename* (RFC 6266) with an ASCII fallback")
  void nonAsciiName() {
    assertThat(UserContent.attachment("Rechnung März.pdf"))
        .isEqualTo(
            "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");
    assertThat(UserContent.attachment("報告.txt"))
        .isEqualTo("attachment; filename=\"__.txt\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt");
  }

  @Test
  @DisplayName("sends a plain ASCII name once, and no name when there is none")
  void asciiName() {
    assertThat(UserContent.attachment("report-2026.pdf"))
        .isEqualTo("attachment; filename=\"report-2026.pdf\"");
    assertThat(UserContent.attachment(null)).isEqualTo("attachment");
  }

  @Test
  @DisplayName("lets no quote, backslash or line break through into the header")
  void hostileName() {
    assertThat(UserContent.attachment("a\"b\\c\r\nSet-Cookie: x.txt"))
        .isEqualTo(
            "attachment; filename=\"a_b_c__Set-Cookie_ x.txt\";"
                + " filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x.txt");
  }
}
