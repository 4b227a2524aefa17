package dev.kith.mesh.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class DockerTest {

  @Test
  @DisplayName(
      "Without Docker a container test is skipped, unless KITH_REQUIRE_DOCKER=true fails it")
  void skipOrFail() {
    assertThatCode(() -> Docker.assumeOrFail(true, true)).doesNotThrowAnyException();
    assertThatCode(() -> Docker.assumeOrFail(true, false)).doesNotThrowAnyException();
    assertThatThrownBy(() -> Docker.assumeOrFail(false, false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("KITH_REQUIRE_DOCKER=true");
    assertThatThrownBy(() -> Docker.assumeOrFail(false, true))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("No Docker engine is reachable");
  }
}
