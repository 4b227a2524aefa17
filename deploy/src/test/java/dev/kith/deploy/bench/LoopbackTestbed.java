package dev.kith.deploy.bench;

import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Launcher;
import dev.kith.mesh.testing.LocalMesh;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Nodes as real JVM processes on 127.0.0.1: Kith devices run {@code kith.jar}, baseline nodes run
 * {@link HaBaselineNode} from {@code kith.jar} plus the benchmark's classes. A crash is a real
 * {@code kill -9} and a hang a SIGSTOP; loopback has no network to cut. A killed node is started
 * again as a new process with the same name and new ports, joining the members as they are then.
 */
public final class LoopbackTestbed implements Testbed {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final LocalMesh mesh;
  private final List<DeviceProcess> nodes;

  private LoopbackTestbed(LocalMesh mesh) {
    this.mesh = mesh;
    this.nodes = new ArrayList<>(mesh.devices());
  }

  /** Starts {@code devices} nodes of {@code system} from {@code jar} and waits for their health. */
  public static LoopbackTestbed start(SystemUnderTest system, int devices, Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException(
          "no kith.jar at " + jar.toAbsolutePath() + "; build it with mvn install -DskipTests");
    }
    Launcher launcher = system == SystemUnderTest.KITH ? Launcher.jar(jar) : baselineLauncher(jar);
    LocalMesh mesh =
        LocalMesh.options()
            .devices(devices)
            .mesh("bench-" + system.option() + "-" + ProcessHandle.current().pid())
            .launcher(launcher)
            .launch();
    try {
      mesh.awaitHealthy(START_TIMEOUT);
    } catch (RuntimeException | Error e) {
      mesh.close();
      throw e;
    }
    return new LoopbackTestbed(mesh);
  }

  private static Launcher baselineLauncher(Path jar) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The same small JVM as Launcher gives a Kith device.
    command.addAll(List.of("-Xmx256m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    command.addAll(Launcher.HAZELCAST_OPENS);
    command.add("-cp");
    command.add(jar.toAbsolutePath() + ":" + ContainerTestbed.classesFolder());
    command.add(HaBaselineNode.class.getName());
    return Launcher.of(command);
  }

  @Override
  public String kind() {
    return "loopback";
  }

  @Override
  public int size() {
    return nodes.size();
  }

  @Override
  public String name(int index) {
    return nodes.get(index).name();
  }

  @Override
  public String httpUrl(int index) {
    return nodes.get(index).httpUrl();
  }

  @Override
  public void inject(Fault fault, int index) {
    switch (fault) {
      case KILL -> nodes.get(index).kill9();
      case PAUSE -> signal("STOP", index);
      case DISCONNECT ->
          throw new IllegalArgumentException(
              "loopback has no network to cut; run the disconnect fault in containers");
    }
  }

  @Override
  public void restore(Fault fault, int index) {
    switch (fault) {
      case KILL -> startAgain(index);
      case PAUSE -> signal("CONT", index);
      case DISCONNECT -> throw new IllegalArgumentException("loopback has no network to mend");
    }
  }

  @Override
  public void restart(int index) {
    DeviceProcess node = nodes.get(index);
    if (node.isAlive()) {
      signal("CONT", index);
      node.kill9();
    }
    startAgain(index);
  }

  private void startAgain(int index) {
    // Join the members as they are now: other nodes may have been started again on new ports.
    DeviceProcess.Builder builder = mesh.newDevice(name(index));
    List<String> join = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      join.add(i == index ? "127.0.0.1:" + builder.clusterPort() : nodes.get(i).clusterAddress());
    }
    DeviceProcess node = mesh.startExtra(builder.join(join));
    nodes.set(index, node);
    node.awaitHealthy(START_TIMEOUT);
  }

  private void signal(String signal, int index) {
    long pid = nodes.get(index).pid();
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending SIG" + signal, e);
    }
  }

  @Override
  public void close() {
    mesh.close();
  }

  @Override
  public String toString() {
    return mesh.toString();
  }
}
