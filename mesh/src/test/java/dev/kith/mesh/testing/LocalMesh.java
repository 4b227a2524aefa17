package dev.kith.mesh.testing;

import dev.kith.mesh.trust.MeshTrust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A mesh of devices running as separate JVM processes on 127.0.0.1: a random mesh name ({@code
 * test-...}), free ports, and every device joining every member's cluster port with {@code --join}.
 * Before they start, the first device's home gets a new mesh (its CA), and every other device a
 * certificate from that CA in its home, as {@code kith init} and {@code kith init --ca-home} would
 * make them: so the devices can start at once, as before enrollment existed. Enrollment with a join
 * token is tested on its own. Devices start concurrently, because a JVM takes seconds to start.
 * {@link #close()} kills whatever still runs, so use it in try-with-resources; a test that wants a
 * clean stop calls {@link DeviceProcess#stop()} itself. Devices are numbered from 0, in the order
 * they were named.
 */
public final class LocalMesh implements AutoCloseable {

  /** How long devices get to start and answer {@code /health}, generous for two busy cores. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final String mesh;
  private final Launcher launcher;
  private final List<DeviceProcess.Builder> builders = new ArrayList<>();
  private final List<String> joinList = new ArrayList<>();
  private final List<DeviceProcess> devices = new ArrayList<>();
  private final List<DeviceProcess> extras = new ArrayList<>();
  private Path caHome;

  private LocalMesh(Options options) {
    this.mesh = options.mesh;
    this.launcher = options.launcher;
    for (String name : options.names) {
      DeviceProcess.Builder builder = DeviceProcess.builder(name).mesh(mesh).launcher(launcher);
      options.customizer.accept(builder);
      builders.add(builder);
    }
    for (DeviceProcess.Builder builder : builders) {
      // Built before any device starts, so every device can list every member, itself included.
      joinList.add("127.0.0.1:" + builder.clusterPort());
    }
  }

  /** Options for a mesh: how many devices, their names, the launcher. */
  public static Options options() {
    return new Options();
  }

  /** Starts {@code count} devices {@code d1.alice ... dN.alice} and waits until all are healthy. */
  public static LocalMesh start(int count) {
    return options().devices(count).start();
  }

  /** The mesh (cluster) name. */
  public String mesh() {
    return mesh;
  }

  /** The devices, in the order they were named. */
  public List<DeviceProcess> devices() {
    return List.copyOf(devices);
  }

  /** The device at {@code index}, counting from 0. */
  public DeviceProcess device(int index) {
    return devices.get(index);
  }

  /** The device named {@code name}. */
  public DeviceProcess device(String name) {
    return devices.stream()
        .filter(device -> device.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No device " + name + " in " + devices));
  }

  /** Every member's {@code 127.0.0.1:<cluster port>}, as given to {@code --join}. */
  public List<String> joinList() {
    return List.copyOf(joinList);
  }

  /** The devices other than {@code device}. */
  public List<DeviceProcess> others(DeviceProcess device) {
    return devices.stream().filter(other -> other != device).toList();
  }

  /**
   * A builder for one more device in this mesh, joining every current member; the caller starts it.
   * The new device is not part of {@link #devices()}, but {@link #close()} kills it too.
   */
  public DeviceProcess.Builder newDevice(String name) {
    return DeviceProcess.builder(name).mesh(mesh).launcher(launcher).join(joinList);
  }

  /** The home of the device that holds this mesh's CA (the first one). */
  public Path caHome() {
    return caHome;
  }

  /**
   * Starts a device built by {@link #newDevice} and kills it when the mesh closes. Unless its home
   * already belongs to a device, or it enrolls with a join token, it gets a certificate from the
   * mesh's CA first.
   */
  public DeviceProcess startExtra(DeviceProcess.Builder builder) {
    if (!builder.hasFlag("token")) {
      provision(builder);
    }
    DeviceProcess device = builder.start();
    extras.add(device);
    return device;
  }

  /** Gives the builder's home a certificate of this mesh (the first one: the CA itself). */
  private void provision(DeviceProcess.Builder builder) {
    Path home = builder.home();
    if (home == null || MeshTrust.exists(home)) {
      return;
    }
    try {
      if (caHome == null) {
        MeshTrust.createMesh(home, mesh, builder.name(), List.of("127.0.0.1"));
        caHome = home;
      } else {
        MeshTrust.provisionFrom(caHome, home, builder.name(), List.of("127.0.0.1"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot give " + builder.name() + " a certificate", e);
    }
  }

  private LocalMesh launch() {
    try {
      builders.forEach(this::provision);
      for (DeviceProcess.Builder builder : builders) {
        devices.add(builder.join(joinList).start());
      }
      return this;
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Waits until every device answers {@code /health} with 200. */
  public LocalMesh awaitHealthy(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    for (DeviceProcess device : devices) {
      device.awaitHealthy(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
    }
    return this;
  }

  /** Kills every device that still runs, and every extra device. */
  @Override
  public void close() {
    List<DeviceProcess> all = new ArrayList<>(devices);
    all.addAll(extras);
    // SIGKILL them all first, then wait, so that closing takes one exit time rather than N.
    all.stream().filter(DeviceProcess::isAlive).forEach(DeviceProcess::sendSigkill);
    all.forEach(DeviceProcess::close);
  }

  @Override
  public String toString() {
    return "LocalMesh " + mesh + " " + devices;
  }

  /** How to build a {@link LocalMesh}: names, launcher, and anything else per device. */
  public static final class Options {

    private final List<String> names = new ArrayList<>();
    private String mesh = "test-" + UUID.randomUUID().toString().substring(0, 8);
    private Launcher launcher = Launcher.classpath();
    private Consumer<DeviceProcess.Builder> customizer = builder -> {};

    private Options() {}

    /** Devices {@code d1.alice ... dN.alice}. */
    public Options devices(int count) {
      return devices(count, "alice");
    }

    /** Devices {@code d1.OWNER ... dN.OWNER}. */
    public Options devices(int count, String owner) {
      names.clear();
      for (int i = 1; i <= count; i++) {
        names.add("d" + i + "." + owner);
      }
      return this;
    }

    /** Devices with exactly these names ({@code NAME.OWNER}). */
    public Options names(String... deviceNames) {
      names.clear();
      names.addAll(List.of(deviceNames));
      return this;
    }

    /** The mesh name, instead of a random one. */
    public Options mesh(String meshName) {
      this.mesh = meshName;
      return this;
    }

    /** How to start each JVM: from the class path (the default) or from {@code kith.jar}. */
    public Options launcher(Launcher value) {
      this.launcher = value;
      return this;
    }

    /** Adjusts every device's builder, for example to add a flag. */
    public Options each(Consumer<DeviceProcess.Builder> value) {
      this.customizer = value;
      return this;
    }

    /** Launches every device concurrently and returns at once, without waiting for health. */
    public LocalMesh launch() {
      if (names.isEmpty()) {
        throw new IllegalStateException("A mesh needs at least one device");
      }
      return new LocalMesh(this).launch();
    }

    /** Launches every device and waits until all answer {@code /health}. */
    public LocalMesh start() {
      LocalMesh mesh = launch();
      try {
        return mesh.awaitHealthy(START_TIMEOUT);
      } catch (RuntimeException | Error e) {
        mesh.close();
        throw e;
      }
    }
  }
}
