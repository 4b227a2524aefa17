package dev.kith.health.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The load sampler")
class LoadSamplerTest {

  @TempDir Path home;

  /**
   * An operating system bean answering the named methods with the given values, standing in for a
   * platform that hides some figures. Any other call throws, as a broken bean would.
   */
  private static <T extends OperatingSystemMXBean> T os(
      Class<T> type, Map<String, Object> answers) {
    return type.cast(
        Proxy.newProxyInstance(
            LoadSamplerTest.class.getClassLoader(),
            new Class<?>[] {type},
            (proxy, method, args) -> {
              if (!answers.containsKey(method.getName())) {
                throw new UnsupportedOperationException(method.getName());
              }
              return answers.get(method.getName());
            }));
  }

  private LoadSampler sampler(OperatingSystemMXBean os) {
    return new LoadSampler(home, os, Runtime.getRuntime());
  }

  @Test
  @DisplayName("returns sane figures on this machine")
  void saneOnThisMachine() {
    LoadSampler sampler = new LoadSampler(home);

    for (int i = 0; i < 3; i++) {
      LoadStatus load = sampler.sample();

      if (!Double.isNaN(load.cpuLoad())) {
        assertThat(load.cpuLoad()).isBetween(0.0, 1.0);
      }
      assertThat(load.heapUsedBytes()).isPositive();
      assertThat(load.heapMaxBytes()).isGreaterThanOrEqualTo(load.heapUsedBytes());
      assertThat(load.freeDiskBytes()).isPositive();
      assertThat(load.heapRatio()).isBetween(0.0, 1.0);
    }
  }

  @Test
  @DisplayName("measures free disk where the home directory is")
  void freeDiskOfHome() {
    long expected = home.toFile().getUsableSpace();

    long sampled = new LoadSampler(home).sample().freeDiskBytes();

    // Other processes write to the same disk meanwhile; a gigabyte of slack is plenty.
    assertThat(sampled).isCloseTo(expected, within(1L << 30));
  }

  @Test
  @DisplayName("reports free disk as unknown when the home directory does not exist, then recovers")
  void missingHome() throws IOException {
    Path later = home.resolve("not-yet");
    LoadSampler sampler = new LoadSampler(later);

    assertThat(sampler.sample().freeDiskBytes()).isEqualTo(-1);

    Files.createDirectory(later);

    assertThat(sampler.sample().freeDiskBytes()).isPositive();
  }

  @Test
  @DisplayName("uses the JVM's system CPU load when the platform gives it")
  void systemCpuLoad() {
    var os = os(com.sun.management.OperatingSystemMXBean.class, Map.of("getCpuLoad", 0.37));

    assertThat(sampler(os).sample().cpuLoad()).isEqualTo(0.37);
  }

  @Test
  @DisplayName("falls back to the load average per core when the CPU load is not available yet")
  void loadAverageFallback() {
    var os =
        os(
            com.sun.management.OperatingSystemMXBean.class,
            Map.of("getCpuLoad", -1.0, "getSystemLoadAverage", 1.0, "getAvailableProcessors", 4));

    assertThat(sampler(os).sample().cpuLoad()).isEqualTo(0.25);
  }

  @Test
  @DisplayName("caps an overloaded load average at 1 on a platform without the JDK's own bean")
  void loadAverageCapped() {
    var os =
        os(
            OperatingSystemMXBean.class,
            Map.of("getSystemLoadAverage", 9.5, "getAvailableProcessors", 2));

    assertThat(sampler(os).sample().cpuLoad()).isEqualTo(1.0);
  }

  @Test
  @DisplayName("reports the CPU load as unknown, not as an error, when nothing tells it")
  void cpuUnknown() {
    var os =
        os(
            OperatingSystemMXBean.class,
            Map.of("getSystemLoadAverage", -1.0, "getAvailableProcessors", 2));

    assertThat(sampler(os).sample().cpuLoad()).isNaN();
  }

  @Test
  @DisplayName("reports the CPU load as unknown when the bean itself fails")
  void cpuBeanFails() {
    var os = os(OperatingSystemMXBean.class, Map.of());

    LoadStatus load = sampler(os).sample();

    assertThat(load.cpuLoad()).isNaN();
    assertThat(load.heapUsedBytes()).isPositive();
  }

  @Test
  @DisplayName("works with the platform's real bean")
  void realBean() {
    double cpu = sampler(ManagementFactory.getOperatingSystemMXBean()).sample().cpuLoad();

    assertThat(Double.isNaN(cpu) || (cpu >= 0.0 && cpu <= 1.0)).isTrue();
  }
}
