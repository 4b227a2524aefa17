package dev.kith.mesh.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.FrameConsumerResultCallback;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * A mesh of devices running as containers from the project's own image ({@code kith:dev}, or the
 * {@code kith.image} system property), on a Docker network that the test creates and removes. Each
 * device {@code dN} has the network alias {@code dN}, the name {@code dN.OWNER}, and joins every
 * member at {@code dN:5701}. The image is never pulled: it is built locally by {@code
 * deploy/build-image.sh}. Faults go through the Docker API: {@link #dockerKill} is a crash, {@link
 * #dockerPause} a hang, {@link #disconnect} a silent network loss. Container output streams to
 * {@code target/kith-devices/<mesh>/dN.log}, which survives the container and which {@link
 * DeviceLogs} prints when a test fails. Devices are numbered from 0: index 0 is {@code d1}.
 */
public final class ContainerMesh implements AutoCloseable {

  /** The device image, built locally; never pulled. */
  public static final String IMAGE = System.getProperty("kith.image", "kith:dev");

  /** The HTTP port inside each container. */
  public static final int HTTP_PORT = 8080;

  /** The cluster port inside each container. */
  public static final int CLUSTER_PORT = 5701;

  private final String mesh;
  private final Network network;
  private final boolean ownsNetwork;
  private final List<String> hosts;
  private final List<String> names;
  private final List<GenericContainer<?>> containers = new ArrayList<>();
  private final List<Writer> logs = new ArrayList<>();
  private final List<Consumer<OutputFrame>> logConsumers = new ArrayList<>();
  private final Map<Integer, Integer> mappedPorts = new ConcurrentHashMap<>();

  /** Each device's trust files, made on the host and copied into its home before it starts. */
  private final List<Path> homes = new ArrayList<>();

  private ContainerMesh(Options options) {
    this.mesh = options.mesh;
    this.hosts = new ArrayList<>();
    this.names = new ArrayList<>();
    for (int i = 1; i <= options.count; i++) {
      hosts.add(options.hostPrefix + i);
      names.add(options.hostPrefix + i + "." + options.owner);
    }
    requireLocalImage(options.image);
    this.ownsNetwork = options.network == null;
    this.network = ownsNetwork ? Network.newNetwork() : options.network;
    String join =
        hosts.stream().map(host -> host + ":" + CLUSTER_PORT).collect(Collectors.joining(","));
    try {
      provision();
      for (int i = 0; i < options.count; i++) {
        logConsumers.add(logTo(hosts.get(i)));
        GenericContainer<?> container =
            new GenericContainer<>(DockerImageName.parse(options.image))
                .withImagePullPolicy(image -> false)
                .withNetwork(network)
                .withNetworkAliases(hosts.get(i))
                .withEnv(options.env)
                .withCommand(
                    "run",
                    "--name",
                    names.get(i),
                    "--public-host",
                    hosts.get(i),
                    "--join",
                    join,
                    "--mesh",
                    mesh)
                .withCopyToContainer(
                    new OwnedFolder(homes.get(i).resolve("trust"), IMAGE_UID),
                    IMAGE_HOME + "/trust")
                .withExposedPorts(HTTP_PORT)
                .withLogConsumer(logConsumers.get(i))
                .waitingFor(
                    Wait.forHttp("/health")
                        .forPort(HTTP_PORT)
                        .forStatusCode(200)
                        .withStartupTimeout(options.startTimeout));
        options.customizer.accept(container);
        containers.add(container);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The user the image runs the device as, and its home. */
  private static final int IMAGE_UID = 10001;

  private static final String IMAGE_HOME = "/home/kith/.kith";

  /**
   * Makes the mesh's CA in d1's home and a certificate for every other device, on the host, as
   * {@code kith init} and {@code kith init --ca-home} would; with each device's operator token, so
   * the harness can administer it.
   */
  private void provision() {
    try {
      Path root = DeviceLogs.root().resolve(mesh).resolve("homes");
      for (int i = 0; i < names.size(); i++) {
        Path home = root.resolve(hosts.get(i));
        dev.kith.mesh.trust.MeshTrust trust =
            i == 0
                ? dev.kith.mesh.trust.MeshTrust.createMesh(
                    home, mesh, names.get(i), List.of(hosts.get(i)))
                : dev.kith.mesh.trust.MeshTrust.provisionFrom(
                    homes.get(0), home, names.get(i), List.of(hosts.get(i)));
        trust.operatorToken();
        homes.add(home);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the mesh's certificates", e);
    }
  }

  /** Options for a mesh: how many devices, their owner, the image. */
  public static Options options() {
    return new Options();
  }

  /** Starts {@code count} devices {@code d1.alice ... dN.alice} and waits until all are healthy. */
  public static ContainerMesh start(int count) {
    return options().devices(count).start();
  }

  private ContainerMesh startAll() {
    try {
      // Concurrently: each container waits for its own /health, and the mesh forms meanwhile.
      Startables.deepStart(containers).join();
      for (int i = 0; i < containers.size(); i++) {
        System.out.printf(
            "[kith-test] started container %s (%s): %s, log %s%n",
            names.get(i), shortId(i), httpUrl(i), logFile(hosts.get(i)));
      }
      return this;
    } catch (RuntimeException e) {
      close();
      throw e instanceof CompletionException && e.getCause() instanceof RuntimeException cause
          ? cause
          : e;
    }
  }

  /** The mesh (cluster) name. */
  public String mesh() {
    return mesh;
  }

  /** The Docker network that the devices share. */
  public Network network() {
    return network;
  }

  /** How many devices the mesh has. */
  public int size() {
    return containers.size();
  }

  /** The device name ({@code d1.alice}) at {@code index}. */
  public String name(int index) {
    return names.get(index);
  }

  /** The host name and network alias ({@code d1}) at {@code index}. */
  public String host(int index) {
    return hosts.get(index);
  }

  /** The container at {@code index}, for anything this class does not offer. */
  public GenericContainer<?> container(int index) {
    return containers.get(index);
  }

  /**
   * The URL of the device's HTTP port as mapped on the Docker host. Docker maps a new host port
   * when a container is reconnected to its network, and {@link #reconnect} records it.
   */
  public String httpUrl(int index) {
    GenericContainer<?> container = containers.get(index);
    int port = mappedPorts.computeIfAbsent(index, i -> container.getMappedPort(HTTP_PORT));
    String url = "http://" + container.getHost() + ":" + port;
    Credentials.register(url, homes.get(index));
    return url;
  }

  /** The device's home on the host: its trust files and operator token. */
  public Path home(int index) {
    return homes.get(index);
  }

  /** The port {@code containerPort} of the device at {@code index} as mapped on the host. */
  public int mappedPort(int index, int containerPort) {
    return containers.get(index).getMappedPort(containerPort);
  }

  /** The indexes other than {@code index}. */
  public List<Integer> others(int index) {
    List<Integer> others = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      if (i != index) {
        others.add(i);
      }
    }
    return others;
  }

  /** The index of the device named {@code name}. */
  public int indexOf(String name) {
    int i = names.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no device " + name + " in " + names);
    }
    return i;
  }

  /** Kills the container with SIGKILL ({@code docker kill}) and waits until it has stopped. */
  public void dockerKill(int index) {
    String id = containers.get(index).getContainerId();
    docker().killContainerCmd(id).exec();
    Eventually.eventually(
        Duration.ofSeconds(10),
        () -> {
          Boolean running = docker().inspectContainerCmd(id).exec().getState().getRunning();
          if (Boolean.TRUE.equals(running)) {
            throw new AssertionError(names.get(index) + " still running after docker kill");
          }
        });
  }

  /**
   * Starts a container again after {@link #dockerKill} ({@code docker start}): the same container,
   * name, command and network alias, in a new process. Waits until it runs and Docker has mapped
   * its HTTP port, which {@link #httpUrl} then returns, and appends its new output to the same log
   * file. It does not wait for {@code /health}.
   */
  public void dockerStart(int index) {
    String id = containers.get(index).getContainerId();
    int since = (int) (System.currentTimeMillis() / 1000);
    docker().startContainerCmd(id).exec();
    int port =
        Eventually.eventually(
            Duration.ofSeconds(10),
            () -> {
              var state = docker().inspectContainerCmd(id).exec();
              if (!Boolean.TRUE.equals(state.getState().getRunning())) {
                throw new AssertionError(names.get(index) + " not running after docker start");
              }
              return hostPort(state.getNetworkSettings().getPorts(), index);
            });
    mappedPorts.put(index, port);
    FrameConsumerResultCallback follow = new FrameConsumerResultCallback();
    follow.addConsumer(OutputFrame.OutputType.STDOUT, logConsumers.get(index));
    follow.addConsumer(OutputFrame.OutputType.STDERR, logConsumers.get(index));
    docker()
        .logContainerCmd(id)
        .withStdOut(true)
        .withStdErr(true)
        .withFollowStream(true)
        .withSince(since)
        .exec(follow);
  }

  /** Freezes every process in the container ({@code docker pause}): a hang, not a crash. */
  public void dockerPause(int index) {
    docker().pauseContainerCmd(containers.get(index).getContainerId()).exec();
  }

  /** Thaws a paused container ({@code docker unpause}). */
  public void dockerUnpause(int index) {
    docker().unpauseContainerCmd(containers.get(index).getContainerId()).exec();
  }

  /**
   * Cuts the container off the test network ({@code docker network disconnect}): its peers see
   * silence, not a closed connection. Its mapped HTTP port is unreachable until {@link #reconnect}.
   */
  public void disconnect(int index) {
    docker()
        .disconnectFromNetworkCmd()
        .withNetworkId(network.getId())
        .withContainerId(containers.get(index).getContainerId())
        .withForce(true)
        .exec();
  }

  /**
   * Puts a disconnected container back on the test network, under the same alias. Docker gives its
   * HTTP port a new host port, which {@link #httpUrl} then returns.
   */
  public void reconnect(int index) {
    String id = containers.get(index).getContainerId();
    docker()
        .connectToNetworkCmd()
        .withNetworkId(network.getId())
        .withContainerId(id)
        .withContainerNetwork(new ContainerNetwork().withAliases(hosts.get(index)))
        .exec();
    mappedPorts.put(
        index,
        hostPort(docker().inspectContainerCmd(id).exec().getNetworkSettings().getPorts(), index));
  }

  private int hostPort(Ports ports, int index) {
    Ports.Binding[] bindings = ports.getBindings().get(ExposedPort.tcp(HTTP_PORT));
    if (bindings == null || bindings.length == 0) {
      throw new IllegalStateException(names.get(index) + " has no host port for " + HTTP_PORT);
    }
    return Integer.parseInt(bindings[0].getHostPortSpec());
  }

  /** Everything the container has written so far. */
  public String logs(int index) {
    try {
      return Files.readString(logFile(hosts.get(index)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops and removes every container and the network; logs stay on disk. */
  @Override
  public void close() {
    for (GenericContainer<?> container : containers) {
      try {
        container.stop();
      } catch (RuntimeException e) {
        System.out.println("[kith-test] cannot stop a container: " + e);
      }
    }
    for (Writer log : logs) {
      try {
        log.close();
      } catch (IOException e) {
        // The log is best effort; the test's verdict does not depend on it.
      }
    }
    if (network != null && ownsNetwork) {
      network.close();
    }
  }

  @Override
  public String toString() {
    return "ContainerMesh " + mesh + " " + names;
  }

  private String shortId(int index) {
    String id = containers.get(index).getContainerId();
    return id == null ? "?" : id.substring(0, 12);
  }

  private Path logFile(String host) {
    return DeviceLogs.root().resolve(mesh).resolve(host + ".log");
  }

  private Consumer<OutputFrame> logTo(String host) {
    Path file = logFile(host);
    try {
      Files.createDirectories(file.getParent());
      Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
      logs.add(writer);
      DeviceLogs.register("container " + host, file);
      return frame -> {
        synchronized (writer) {
          try {
            writer.write(frame.getUtf8String());
            writer.flush();
          } catch (IOException e) {
            // The writer is closed once the mesh closes; later frames have nowhere to go.
          }
        }
      };
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  private static void requireLocalImage(String image) {
    try {
      docker().inspectImageCmd(image).exec();
    } catch (NotFoundException e) {
      throw new IllegalStateException(
          "Image "
              + image
              + " is not on this Docker engine, and tests never pull it. Build it first: "
              + "mvn -B -ntp install -DskipTests && (cd deploy && bash build-image.sh)",
          e);
    }
  }

  /** How to build a {@link ContainerMesh}: device count, owner, image, and per-container tweaks. */
  public static final class Options {

    private int count = 3;
    private String owner = "alice";
    private String image = IMAGE;
    private String mesh = "test-" + UUID.randomUUID().toString().substring(0, 8);
    private Duration startTimeout = Duration.ofSeconds(120);
    private final Map<String, String> env = new LinkedHashMap<>();
    private Consumer<GenericContainer<?>> customizer = container -> {};
    private String hostPrefix = "d";
    private Network network;

    private Options() {
      // Several JVMs share two cores: a small heap and a quick JIT start them faster.
      env.put("JAVA_TOOL_OPTIONS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    }

    /** Devices {@code d1.alice ... dN.alice}. */
    public Options devices(int value) {
      this.count = value;
      return this;
    }

    /**
     * Host names {@code PREFIX1 ... PREFIXn} instead of {@code d1 ... dn}: a second mesh on the
     * same network needs names of its own.
     */
    public Options hostPrefix(String value) {
      this.hostPrefix = value;
      return this;
    }

    /** Joins an existing network (another mesh's), which this mesh then leaves open on close. */
    public Options network(Network value) {
      this.network = value;
      return this;
    }

    /** The owner in every device name. */
    public Options owner(String value) {
      this.owner = value;
      return this;
    }

    /** The image, instead of {@link ContainerMesh#IMAGE}. */
    public Options image(String value) {
      this.image = value;
      return this;
    }

    /** The mesh name, instead of a random one. */
    public Options mesh(String value) {
      this.mesh = value;
      return this;
    }

    /** How long each container gets to answer {@code /health}. */
    public Options startTimeout(Duration value) {
      this.startTimeout = value;
      return this;
    }

    /** Sets an environment variable in every container. */
    public Options env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** Adjusts every container before it starts. */
    public Options each(Consumer<GenericContainer<?>> value) {
      this.customizer = value;
      return this;
    }

    /**
     * Creates the network, starts every container concurrently, and waits until all are healthy.
     */
    public ContainerMesh start() {
      return new ContainerMesh(this).startAll();
    }
  }
}
