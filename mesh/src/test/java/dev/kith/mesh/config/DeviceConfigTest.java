package dev.kith.mesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("A device configuration")
class DeviceConfigTest {

  @TempDir Path tmp;

  /** Environment variables the test process happens to have never reach these loads. */
  private final Map<String, String> env = new HashMap<>();

  private final List<String> unknownEnv = new ArrayList<>();

  private DeviceConfig load(String... args) {
    return DeviceConfig.load(List.of(args), env, unknownEnv::add);
  }

  /** Loads with a writable home under the temp dir, plus {@code args}. */
  private DeviceConfig loadWithHome(String... args) {
    List<String> all = new ArrayList<>(List.of("--home", tmp.resolve("home").toString()));
    all.addAll(List.of(args));
    return DeviceConfig.load(all, env, unknownEnv::add);
  }

  private Path write(String fileName, String yaml) throws IOException {
    Path file = tmp.resolve(fileName);
    Files.createDirectories(file.getParent());
    Files.writeString(file, yaml);
    return file;
  }

  private AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
      String key, String... args) {
    return assertThatThrownBy(() -> loadWithHome(args))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(key + ": ");
  }

  @Nested
  @DisplayName("with nothing set")
  class Defaults {

    @Test
    @DisplayName("is named HOSTNAME.USER, with the host's first label lowercased and sanitized")
    void nameFromHostAndUser() {
      env.put("HOSTNAME", "Build_Box-7.example.org");

      DeviceConfig config = loadWithHome();

      String user = DeviceConfig.label(System.getProperty("user.name"), "owner");
      assertThat(config.name()).isEqualTo("build-box-7." + user);
      assertThat(config.owner()).isEqualTo(user);
    }

    @Test
    @DisplayName("reads the host name from /etc/hostname when HOSTNAME is not set")
    void nameWithoutHostnameVariable() {
      DeviceConfig config = loadWithHome();

      assertThat(config.name()).matches("[a-z0-9-]+\\.[a-z0-9-]+").endsWith("." + config.owner());
    }

    @Test
    @DisplayName(
        "listens on HTTP 8080 and cluster 5701, in mesh 'kith', alone and without multicast")
    void portsAndMesh() {
      DeviceConfig config = loadWithHome();

      assertThat(config.httpPort()).isEqualTo(8080);
      assertThat(config.clusterPort()).isEqualTo(5701);
      assertThat(config.busPort()).isZero();
      assertThat(config.mesh()).isEqualTo("kith");
      assertThat(config.join()).isEmpty();
      assertThat(config.multicast()).isFalse();
      assertThat(config.publicHost()).isNull();
      assertThat(config.failover()).isEmpty();
      assertThat(config.heartbeatSeconds()).isEqualTo(1);
      assertThat(config.noHeartbeatTimeoutSeconds()).isEqualTo(15);
      assertThat(config.waitBeforeJoinSeconds()).isZero();
      assertThat(config.maxBodyBytes()).isEqualTo(1 << 20);
      assertThat(config.storageQuotaBytes()).isZero();
    }

    @Test
    @DisplayName("keeps its data in ~/.kith, and creates it")
    void homeUnderUserHome() {
      // Point user.home at the temp dir so the test does not create the real ~/.kith.
      String realHome = System.getProperty("user.home");
      System.setProperty("user.home", tmp.toString());
      try {
        DeviceConfig config = load();

        assertThat(config.home()).isEqualTo(tmp.resolve(".kith"));
        assertThat(config.home()).isDirectory();
      } finally {
        System.setProperty("user.home", realHome);
      }
    }

    @Test
    @DisplayName("expands a leading ~ in the home it is given")
    void homeWithTilde() {
      String realHome = System.getProperty("user.home");
      System.setProperty("user.home", tmp.toString());
      try {
        assertThat(load("--home", "~/data").home()).isEqualTo(tmp.resolve("data"));
      } finally {
        System.setProperty("user.home", realHome);
      }
    }
  }

  @Test
  @DisplayName("turns any host or user name into a valid name label")
  void labels() {
    assertThat(DeviceConfig.label("Alice Smith", "owner")).isEqualTo("alice-smith");
    assertThat(DeviceConfig.label("_svc_", "owner")).isEqualTo("svc");
    assertThat(DeviceConfig.label("___", "owner")).isEqualTo("owner");
    assertThat(DeviceConfig.label(null, "device")).isEqualTo("device");
    assertThat(DeviceConfig.label("a".repeat(62) + "-b", "x")).isEqualTo("a".repeat(62));
  }

  @Nested
  @DisplayName("from several sources")
  class Precedence {

    private static final String FILE =
        "http-port: 1111\n"
            + "cluster-port: 2222\n"
            + "bus-port: 3333\n"
            + "mesh: from-file\n"
            + "heartbeat-seconds: 2\n";

    @Test
    @DisplayName("takes defaults, then the --config file, then the environment, then flags")
    void explicitFile() throws IOException {
      Path file = write("conf/kith.yaml", FILE);
      env.put("KITH_CLUSTER_PORT", "4444");
      env.put("KITH_BUS_PORT", "5555");
      env.put("KITH_MESH", "from-env");

      DeviceConfig config = loadWithHome("--config", file.toString(), "--mesh", "from-flag");

      assertThat(config.httpPort()).as("from the file").isEqualTo(1111);
      assertThat(config.heartbeatSeconds()).as("from the file").isEqualTo(2);
      assertThat(config.clusterPort()).as("env over file").isEqualTo(4444);
      assertThat(config.busPort()).as("env over file").isEqualTo(5555);
      assertThat(config.mesh()).as("flag over env").isEqualTo("from-flag");
      assertThat(config.noHeartbeatTimeoutSeconds()).as("default").isEqualTo(15);
    }

    @Test
    @DisplayName("finds the file named by KITH_CONFIG")
    void fileFromEnvironment() throws IOException {
      env.put("KITH_CONFIG", write("elsewhere.yaml", FILE).toString());

      assertThat(loadWithHome().httpPort()).isEqualTo(1111);
    }

    @Test
    @DisplayName("reads HOME/config.yaml when no file is named, with HOME from a flag")
    void fileInHomeFromFlag() throws IOException {
      write("home/config.yaml", FILE);
      env.put("KITH_HTTP_PORT", "9999");

      DeviceConfig config = loadWithHome("--mesh", "from-flag");

      assertThat(config.clusterPort()).isEqualTo(2222);
      assertThat(config.httpPort()).isEqualTo(9999);
      assertThat(config.mesh()).isEqualTo("from-flag");
    }

    @Test
    @DisplayName("reads HOME/config.yaml when no file is named, with HOME from KITH_HOME")
    void fileInHomeFromEnvironment() throws IOException {
      write("envhome/config.yaml", FILE);
      env.put("KITH_HOME", tmp.resolve("envhome").toString());

      DeviceConfig config = load();

      assertThat(config.home()).isEqualTo(tmp.resolve("envhome"));
      assertThat(config.httpPort()).isEqualTo(1111);
    }

    @Test
    @DisplayName("lets an empty file change nothing")
    void emptyFile() throws IOException {
      Path file = write("empty.yaml", "# nothing here\n");

      assertThat(loadWithHome("--config", file.toString()).httpPort()).isEqualTo(8080);
    }

    @Test
    @DisplayName("takes every key from the file")
    void everyKeyFromFile() throws IOException {
      Path file =
          write(
              "all.yaml",
              "name: pi.alice\n"
                  + "home: "
                  + tmp.resolve("filehome")
                  + "\n"
                  + "http-port: 8081\n"
                  + "cluster-port: 5702\n"
                  + "bus-port: 5801\n"
                  + "join: [127.0.0.1:5701, 'laptop.local:5701']\n"
                  + "mesh: family\n"
                  + "public-host: 192.0.2.7\n"
                  + "multicast: true\n"
                  + "failover: [pi.alice, laptop.alice]\n"
                  + "heartbeat-seconds: 2\n"
                  + "no-heartbeat-timeout-seconds: 10\n"
                  + "wait-before-join-seconds: 3\n"
                  + "max-body-bytes: 4096\n"
                  + "storage-quota-bytes: 1000000000\n");

      DeviceConfig config = load("--config", file.toString());

      assertThat(config.name()).isEqualTo("pi.alice");
      assertThat(config.owner()).isEqualTo("alice");
      assertThat(config.home()).isEqualTo(tmp.resolve("filehome"));
      assertThat(config.httpPort()).isEqualTo(8081);
      assertThat(config.clusterPort()).isEqualTo(5702);
      assertThat(config.busPort()).isEqualTo(5801);
      assertThat(config.join()).containsExactly("127.0.0.1:5701", "laptop.local:5701");
      assertThat(config.mesh()).isEqualTo("family");
      assertThat(config.publicHost()).isEqualTo("192.0.2.7");
      assertThat(config.multicast()).isTrue();
      assertThat(config.failoverOf("alice")).containsExactly("pi.alice", "laptop.alice");
      assertThat(config.heartbeatSeconds()).isEqualTo(2);
      assertThat(config.noHeartbeatTimeoutSeconds()).isEqualTo(10);
      assertThat(config.waitBeforeJoinSeconds()).isEqualTo(3);
      assertThat(config.maxBodyBytes()).isEqualTo(4096);
      assertThat(config.storageQuotaBytes()).isEqualTo(1_000_000_000L);
    }
  }

  @Nested
  @DisplayName("on the command line")
  class Flags {

    @Test
    @DisplayName("accepts --key=value as well as --key value")
    void equalsForm() {
      DeviceConfig config =
          loadWithHome("--http-port=8081", "--cluster-port", "5702", "--name=laptop.alice");

      assertThat(config.httpPort()).isEqualTo(8081);
      assertThat(config.clusterPort()).isEqualTo(5702);
      assertThat(config.name()).isEqualTo("laptop.alice");
    }

    @Test
    @DisplayName("treats a bare --multicast as true, even before another flag")
    void bareMulticast() {
      DeviceConfig config = loadWithHome("--multicast", "--mesh", "lan");

      assertThat(config.multicast()).isTrue();
      assertThat(config.mesh()).isEqualTo("lan");
    }

    @Test
    @DisplayName("lets --multicast=false turn off multicast that the environment turned on")
    void multicastOff() {
      env.put("KITH_MULTICAST", "true");

      assertThat(loadWithHome().multicast()).isTrue();
      assertThat(loadWithHome("--multicast=false").multicast()).isFalse();
    }

    @Test
    @DisplayName("reads --join as a comma-separated list of HOST:PORT")
    void joinList() {
      DeviceConfig config = loadWithHome("--join", "127.0.0.1:5701, pi.local:5702,[::1]:5703");

      assertThat(config.join()).containsExactly("127.0.0.1:5701", "pi.local:5702", "[::1]:5703");
    }

    @Test
    @DisplayName("reads --failover as the order of this device's own owner")
    void failoverList() {
      DeviceConfig config =
          loadWithHome("--name", "laptop.alice", "--failover", "pi.alice,laptop.alice");

      assertThat(config.failover()).containsOnlyKeys("alice");
      assertThat(config.failoverOf("alice")).containsExactly("pi.alice", "laptop.alice");
      assertThat(config.failoverOf("bob")).isEmpty();
    }
  }

  @Test
  @DisplayName("reads failover in the file as each owner's own order")
  void failoverPerOwner() throws IOException {
    Path file =
        write(
            "failover.yaml",
            "failover:\n" + "  alice: [pi.alice, laptop.alice]\n" + "  bob:\n" + "    - nas.bob\n");

    DeviceConfig config = loadWithHome("--name", "laptop.alice", "--config", file.toString());

    assertThat(config.failoverOf("alice")).containsExactly("pi.alice", "laptop.alice");
    assertThat(config.failoverOf("bob")).containsExactly("nas.bob");
  }

  /** A module's section, as a service module would declare it. */
  record Greeting(String text, int times, boolean loud) {}

  private static final ConfigSection<Greeting> GREETING =
      new ConfigSection<>() {
        @Override
        public String name() {
          return "greeting";
        }

        @Override
        public Class<Greeting> type() {
          return Greeting.class;
        }

        @Override
        public List<Setting> settings() {
          return List.of(
              Setting.of("greeting-text", "hello", "what to say"),
              Setting.of("greeting-times", "1", "how often"),
              Setting.flag("greeting-loud", "false", "shout"));
        }

        @Override
        public Greeting parse(Settings v) {
          return new Greeting(
              v.string("greeting-text"),
              v.integer("greeting-times", 1, 10),
              v.bool("greeting-loud"));
        }
      };

  @Test
  @DisplayName("reads a module's section from defaults, file, environment and flags, in that order")
  void moduleSection() throws IOException {
    Path file = write("greeting.yaml", "greeting-text: hi\ngreeting-times: 2\n");
    env.put("KITH_GREETING_TIMES", "3");
    DeviceConfig config =
        DeviceConfig.load(
            List.of(
                "--home",
                tmp.resolve("home").toString(),
                "--config",
                file.toString(),
                "--greeting-loud"),
            env,
            unknownEnv::add,
            List.of(GREETING));

    assertThat(config.section(Greeting.class)).isEqualTo(new Greeting("hi", 3, true));
    assertThat(unknownEnv).isEmpty();
    assertThatThrownBy(
            () ->
                DeviceConfig.load(
                    List.of("--home", tmp.resolve("home").toString(), "--greeting-times", "11"),
                    env,
                    unknownEnv::add,
                    List.of(GREETING)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("greeting-times: ");
    // Without the module, its keys are unknown like any other.
    assertRejected("--greeting-loud", "--greeting-loud").hasMessageContaining("unknown option");
  }

  @Test
  @DisplayName("treats an empty KITH_ variable as unset, as compose files leave them")
  void emptyEnvironment() {
    env.put("KITH_PUBLIC_HOST", "");
    env.put("KITH_HTTP_PORT", " ");

    DeviceConfig config = loadWithHome();

    assertThat(config.publicHost()).isNull();
    assertThat(config.httpPort()).isEqualTo(8080);
  }

  @Test
  @DisplayName("reports KITH_ variables that are not settings, but not the tools' own")
  void unknownEnvironment() {
    env.put("KITH_COLOUR", "blue");
    env.put("KITH_HTTPPORT", "8081");
    env.put("KITH_HTTP_PORT", "8082");
    env.put("KITH_REQUIRE_DOCKER", "true");
    env.put("KITH_URL", "http://localhost:8080");
    env.put("KITH_BASE_IMAGE", "kith-base:local");
    env.put("KITH_JAVA_OPTS", "-Xmx64m");
    env.put("PATH", "/usr/bin");

    DeviceConfig config = loadWithHome();

    assertThat(unknownEnv).containsExactlyInAnyOrder("KITH_COLOUR", "KITH_HTTPPORT");
    assertThat(config.httpPort()).isEqualTo(8082);
  }

  @Nested
  @DisplayName("refuses, naming the key,")
  class Errors {

    @Test
    @DisplayName("an unknown flag")
    void unknownFlag() {
      assertRejected("--colour", "--colour", "blue").hasMessageContaining("unknown option");
    }

    @Test
    @DisplayName("a flag without its value")
    void flagWithoutValue() {
      assertRejected("--http-port", "--http-port");
    }

    @Test
    @DisplayName("an argument that is not a flag")
    void strayArgument() {
      assertRejected("8081", "--http-port", "8080", "8081");
    }

    @Test
    @DisplayName("an unknown key in the file, and says which file")
    void unknownFileKey() throws IOException {
      Path file = write("typo.yaml", "http-port: 8081\ncolour: blue\n");

      assertRejected("colour", "--config", file.toString()).hasMessageContaining(file.toString());
    }

    @Test
    @DisplayName("a file that names another file")
    void configInFile() throws IOException {
      Path file = write("nested.yaml", "config: other.yaml\n");

      assertRejected("config", "--config", file.toString());
    }

    @ParameterizedTest(name = "http-port {0}")
    @ValueSource(strings = {"0", "70000", "abc", "-1", "8080.5", ""})
    @DisplayName("an HTTP port that is not a port")
    void badHttpPort(String port) {
      assertRejected("http-port", "--http-port", port).hasMessageContaining(port);
    }

    @ParameterizedTest(name = "cluster-port {0}")
    @ValueSource(strings = {"0", "65536", "five"})
    @DisplayName("a cluster port that is not a port")
    void badClusterPort(String port) {
      assertRejected("cluster-port", "--cluster-port", port);
    }

    @Test
    @DisplayName("a port out of range in the file")
    void badPortInFile() throws IOException {
      Path file = write("port.yaml", "http-port: 70000\n");

      assertRejected("http-port", "--config", file.toString()).hasMessageContaining("70000");
    }

    @Test
    @DisplayName("a port out of range in the environment")
    void badPortInEnvironment() {
      env.put("KITH_CLUSTER_PORT", "0");

      assertRejected("cluster-port");
    }

    @Test
    @DisplayName("a join address without a port")
    void joinWithoutPort() {
      assertRejected("join", "--join", "127.0.0.1:5701,pi.local");
    }

    @Test
    @DisplayName("a home that cannot be written (under a regular file)")
    void unwritableHome() throws IOException {
      Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");

      assertThatThrownBy(() -> load("--home", file.resolve("kith").toString()))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("home: ")
          .hasMessageContaining(file.resolve("kith").toString());
    }

    @Test
    @DisplayName("a home that is a regular file")
    void homeIsAFile() throws IOException {
      Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");

      assertThatThrownBy(() -> load("--home", file.toString()))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("home: ");
    }

    @ParameterizedTest(name = "heartbeat {0} s, timeout {1} s")
    @CsvSource({"5,5", "5,3", "2,2"})
    @DisplayName("a no-heartbeat timeout that does not exceed the heartbeat period")
    void timeoutNotAboveHeartbeat(String heartbeat, String timeout) {
      assertRejected(
              "no-heartbeat-timeout-seconds",
              "--heartbeat-seconds",
              heartbeat,
              "--no-heartbeat-timeout-seconds",
              timeout)
          .hasMessageContaining("heartbeat-seconds");
    }

    @Test
    @DisplayName("a heartbeat period of zero")
    void zeroHeartbeat() {
      assertRejected("heartbeat-seconds", "--heartbeat-seconds", "0");
    }

    @Test
    @DisplayName("a body limit below 1 KiB")
    void tinyBodyLimit() {
      assertRejected("max-body-bytes", "--max-body-bytes", "10");
    }

    @ParameterizedTest(name = "name \"{0}\"")
    @ValueSource(
        strings = {
          "Laptop.alice",
          "laptop",
          "a.b.c",
          "laptop.",
          ".alice",
          "-laptop.alice",
          "laptop_1.alice",
          "laptop.Alice"
        })
    @DisplayName("a device name that is not NAME.OWNER in lowercase")
    void badName(String name) {
      assertRejected("name", "--name", name).hasMessageContaining("'" + name + "'");
    }

    @Test
    @DisplayName("an invalid name from the environment")
    void badNameInEnvironment() {
      env.put("KITH_NAME", "Laptop");

      assertRejected("name");
    }

    @Test
    @DisplayName("a failover order that names another owner's device")
    void failoverOfAnotherOwner() {
      assertRejected("failover", "--name", "laptop.alice", "--failover", "laptop.alice,pi.bob")
          .hasMessageContaining("pi.bob");
    }

    @Test
    @DisplayName("a per-owner failover order in the file that names another owner's device")
    void failoverPerOwnerOfAnotherOwner() throws IOException {
      Path file = write("failover.yaml", "failover:\n  bob: [nas.bob, pi.alice]\n");

      assertRejected("failover", "--name", "laptop.alice", "--config", file.toString())
          .hasMessageContaining("pi.alice");
    }

    @Test
    @DisplayName("a failover order that names a device twice")
    void failoverTwice() {
      assertRejected("failover", "--name", "laptop.alice", "--failover", "pi.alice,pi.alice");
    }

    @Test
    @DisplayName("a file that is not valid YAML")
    void invalidYaml() throws IOException {
      Path file = write("broken.yaml", "http-port: [8081\nmesh: x\n");

      assertRejected("config", "--config", file.toString()).hasMessageContaining("YAML");
    }

    @Test
    @DisplayName("a file that repeats a key")
    void duplicateKey() throws IOException {
      Path file = write("twice.yaml", "http-port: 8081\nhttp-port: 8082\n");

      assertRejected("config", "--config", file.toString());
    }

    @Test
    @DisplayName("a file that is not a map of key: value")
    void notAMap() throws IOException {
      Path file = write("list.yaml", "- http-port\n- 8081\n");

      assertRejected("config", "--config", file.toString());
    }

    @Test
    @DisplayName("a file that does not exist")
    void missingFile() {
      assertRejected("config", "--config", tmp.resolve("nowhere.yaml").toString())
          .hasMessageContaining("nowhere.yaml");
    }

    @Test
    @DisplayName("a list where a single value belongs")
    void listForSingleValue() throws IOException {
      Path file = write("list-port.yaml", "http-port: [8081, 8082]\n");

      assertRejected("http-port", "--config", file.toString());
    }

    @Test
    @DisplayName("a multicast value that is not true or false")
    void badBoolean() {
      assertRejected("multicast", "--multicast=maybe");
    }
  }
}
