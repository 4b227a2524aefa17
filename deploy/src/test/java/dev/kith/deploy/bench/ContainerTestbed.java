package dev.kith.deploy.bench;

import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.Launcher;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.testcontainers.utility.MountableFile;

/**
 * Nodes as containers from the project's image ({@link ContainerMesh#IMAGE}), on a network the
 * benchmark creates. Kith devices run the image as it is. Baseline nodes run {@link HaBaselineNode}
 * from the same image: the benchmark's compiled classes are copied to {@code /bench} and the
 * entrypoint becomes {@code java -cp /opt/kith/kith.jar:/bench}, so both systems run on the same
 * JVM, libraries and network. Faults go through the Docker API.
 */
public final class ContainerTestbed implements Testbed {

  /** Where the image keeps {@code kith.jar} (see {@code deploy/Dockerfile}). */
  static final String JAR_IN_IMAGE = "/opt/kith/kith.jar";

  private static final String CLASSES_IN_CONTAINER = "/bench";

  private final ContainerMesh mesh;
  private final Map<Integer, Fault> broken = new ConcurrentHashMap<>();

  private ContainerTestbed(ContainerMesh mesh) {
    this.mesh = mesh;
  }

  /**
   * Starts {@code devices} nodes of {@code system} and waits until each answers {@code /health}.
   */
  public static ContainerTestbed start(SystemUnderTest system, int devices) {
    ContainerMesh.Options options =
        ContainerMesh.options().devices(devices).mesh("bench-" + system.option() + "-" + suffix());
    if (system == SystemUnderTest.BASELINE) {
      Path classes = classesFolder();
      List<String> entrypoint = new ArrayList<>(List.of("java"));
      entrypoint.addAll(Launcher.HAZELCAST_OPENS);
      entrypoint.addAll(
          List.of(
              "-cp", JAR_IN_IMAGE + ":" + CLASSES_IN_CONTAINER, HaBaselineNode.class.getName()));
      options.each(
          container ->
              container
                  .withCopyFileToContainer(MountableFile.forHostPath(classes), CLASSES_IN_CONTAINER)
                  .withCreateContainerCmdModifier(
                      cmd -> cmd.withEntrypoint(entrypoint.toArray(String[]::new))));
    }
    return new ContainerTestbed(options.start());
  }

  /**
   * The folder (or jar) the benchmark's classes were loaded from: {@code
   * deploy/target/test-classes}.
   */
  static Path classesFolder() {
    try {
      return Path.of(
          HaBaselineNode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the benchmark's classes", e);
    }
  }

  private static String suffix() {
    return Long.toString(System.currentTimeMillis() % 1_000_000, 36);
  }

  @Override
  public String kind() {
    return "containers";
  }

  @Override
  public int size() {
    return mesh.size();
  }

  @Override
  public String name(int index) {
    return mesh.name(index);
  }

  @Override
  public String httpUrl(int index) {
    return mesh.httpUrl(index);
  }

  @Override
  public void inject(Fault fault, int index) {
    broken.put(index, fault);
    switch (fault) {
      case KILL -> mesh.dockerKill(index);
      case PAUSE -> mesh.dockerPause(index);
      case DISCONNECT -> mesh.disconnect(index);
    }
  }

  @Override
  public void restore(Fault fault, int index) {
    switch (fault) {
      case KILL -> mesh.dockerStart(index);
      case PAUSE -> mesh.dockerUnpause(index);
      case DISCONNECT -> mesh.reconnect(index);
    }
    broken.remove(index);
  }

  @Override
  public void restart(int index) {
    Fault fault = broken.get(index);
    if (fault != null && fault != Fault.KILL) {
      restore(fault, index);
    }
    if (fault != Fault.KILL) {
      mesh.dockerKill(index);
    }
    mesh.dockerStart(index);
    broken.remove(index);
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
