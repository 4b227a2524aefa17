package dev.kith.mesh.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * Splits a {@link ContainerMesh} into two sides that cannot reach each other, and heals it.
 *
 * <p>The devices share one Docker network, so the split is made of packet filters: inside each
 * device's own network namespace (entered from the host with {@code nsenter -t <pid> -n}), {@code
 * iptables} drops every packet from and to each device of the other side, by its address on the
 * test network. Peers see silence, as with a pulled cable; nothing is closed or reset. Only
 * container-to-container packets are dropped, so the test host still reaches every device's mapped
 * HTTP port throughout. {@link #heal} deletes exactly the rules that {@link #split} added, and only
 * in the namespaces of the mesh's own containers, looked up again through the Docker API so that a
 * container that has gone is skipped rather than another process entered.
 *
 * <p>This needs root, {@code nsenter} and {@code iptables} (with {@code iptables-restore}, which
 * applies each container's rules at once) on the Docker host: call {@link #assumeSupportedOrFail}
 * first, which skips the test without them, or fails it where {@code KITH_REQUIRE_DOCKER=true},
 * like {@link Docker#assumeDockerOrFail}.
 */
public final class Partition implements AutoCloseable {

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

  /** The rules added in one container's namespace, each {@code <chain> <match> <ip>/32 -j DROP}. */
  private record Rules(String containerId, List<String> specs) {

    /** An {@code iptables-restore} input that inserts ({@code -I}) or deletes ({@code -D}) them. */
    String restoreInput(String action) {
      StringBuilder out = new StringBuilder("*filter\n");
      specs.forEach(spec -> out.append(action).append(' ').append(spec).append('\n'));
      return out.append("COMMIT\n").toString();
    }
  }

  private final ContainerMesh mesh;
  private final Set<Integer> sideA;
  private final Set<Integer> sideB;
  private final List<Rules> added = new ArrayList<>();

  private Partition(ContainerMesh mesh, Set<Integer> sideA, Set<Integer> sideB) {
    this.mesh = mesh;
    this.sideA = sideA;
    this.sideB = sideB;
  }

  /**
   * Cuts the devices at {@code side} off from every other device of the mesh, in both directions.
   * Returns once every rule is in place; if one cannot be added, the ones already added are removed
   * and the call fails.
   */
  public static Partition split(ContainerMesh mesh, Collection<Integer> side) {
    Set<Integer> a = new TreeSet<>(side);
    Set<Integer> b = new TreeSet<>();
    for (int i = 0; i < mesh.size(); i++) {
      if (!a.contains(i)) {
        b.add(i);
      }
    }
    if (a.isEmpty() || b.isEmpty() || a.stream().anyMatch(i -> i < 0 || i >= mesh.size())) {
      throw new IllegalArgumentException(
          "a partition needs devices on both sides: " + side + " of " + mesh.size());
    }
    Partition partition = new Partition(mesh, a, b);
    try {
      partition.addRules();
    } catch (RuntimeException e) {
      partition.heal();
      throw e;
    }
    return partition;
  }

  /** The indexes of the devices given to {@link #split}. */
  public Set<Integer> sideA() {
    return sideA;
  }

  /** The indexes of every other device. */
  public Set<Integer> sideB() {
    return sideB;
  }

  /** Whether devices {@code i} and {@code j} are on the same side. */
  public boolean sameSide(int i, int j) {
    return sideA.contains(i) == sideA.contains(j);
  }

  /**
   * Removes every rule this partition added, one container at a time, each container's rules at
   * once; rules of containers that have gone are skipped.
   */
  public synchronized void heal() {
    List<String> failures = new ArrayList<>();
    for (Rules rules : List.copyOf(added)) {
      Long pid = runningPid(rules.containerId());
      if (pid != null) {
        String failure = restore(pid, rules.restoreInput("-D"));
        if (failure != null) {
          failures.add(failure);
          continue;
        }
      }
      added.remove(rules);
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("could not remove every partition rule: " + failures);
    }
  }

  /** Heals the partition if it has not been healed. */
  @Override
  public void close() {
    heal();
  }

  @Override
  public String toString() {
    return "Partition " + names(sideA) + " | " + names(sideB);
  }

  /** Adds each container's rules in one atomic {@code iptables-restore}, container by container. */
  private synchronized void addRules() {
    Map<Integer, String> ips = new HashMap<>();
    for (int i = 0; i < mesh.size(); i++) {
      ips.put(i, ipOnMeshNetwork(i));
    }
    for (int i = 0; i < mesh.size(); i++) {
      String id = mesh.container(i).getContainerId();
      Long pid = runningPid(id);
      if (pid == null) {
        continue; // a stopped container has no namespace to filter, and reaches nobody anyway
      }
      List<String> specs = new ArrayList<>();
      for (int peer : sideA.contains(i) ? sideB : sideA) {
        specs.add("INPUT -s " + ips.get(peer) + "/32 -j DROP");
        specs.add("OUTPUT -d " + ips.get(peer) + "/32 -j DROP");
      }
      Rules rules = new Rules(id, specs);
      String failure = restore(pid, rules.restoreInput("-I"));
      if (failure != null) {
        throw new IllegalStateException("could not split " + this + ": " + failure);
      }
      added.add(rules);
    }
  }

  /** Applies an {@code iptables-restore} input, without flushing, in the process's namespace. */
  private static String restore(long pid, String input) {
    List<String> command =
        List.of("nsenter", "-t", Long.toString(pid), "-n", "iptables-restore", "--noflush");
    Exec exec = exec(command, input);
    return exec.exit() == 0
        ? null
        : String.join(" ", command) + " <<< " + input.replace('\n', ';') + ": " + exec.output();
  }

  private String ipOnMeshNetwork(int index) {
    String networkId = mesh.network().getId();
    InspectContainerResponse inspected =
        docker().inspectContainerCmd(mesh.container(index).getContainerId()).exec();
    Map<String, ContainerNetwork> networks = inspected.getNetworkSettings().getNetworks();
    for (ContainerNetwork network : networks.values()) {
      if (networkId.equals(network.getNetworkID())
          && network.getIpAddress() != null
          && !network.getIpAddress().isEmpty()) {
        return network.getIpAddress();
      }
    }
    throw new IllegalStateException(
        mesh.name(index) + " has no address on the test network " + networkId + ": " + networks);
  }

  /** The PID of the container's main process while it runs; null once it has stopped. */
  private static Long runningPid(String containerId) {
    InspectContainerResponse.ContainerState state =
        docker().inspectContainerCmd(containerId).exec().getState();
    Long pid = state.getPidLong();
    return Boolean.TRUE.equals(state.getRunning()) && pid != null && pid > 0 ? pid : null;
  }

  private String names(Set<Integer> side) {
    return side.stream().map(mesh::name).toList().toString();
  }

  /**
   * Returns if this host can filter packets in a container's namespace (root, {@code nsenter},
   * {@code iptables}, {@code iptables-restore}); otherwise skips the calling test, or fails it when
   * {@code KITH_REQUIRE_DOCKER=true}.
   */
  public static void assumeSupportedOrFail() {
    String missing = missingTools();
    if (missing == null) {
      return;
    }
    String message =
        "A partition needs root, nsenter, iptables and iptables-restore on the Docker host, to filter packets inside"
            + " each container's network namespace; "
            + missing;
    if (Docker.required()) {
      Assertions.fail(message + ". " + Docker.REQUIRE_DOCKER + "=true requires this test to run.");
    }
    Assumptions.abort(message + ": partition test skipped.");
  }

  /** What is missing, or null when nothing is. */
  static String missingTools() {
    String uid = output(List.of("id", "-u"));
    if (uid == null || !uid.strip().equals("0")) {
      return "the tests do not run as root (uid " + (uid == null ? "unknown" : uid.strip()) + ")";
    }
    for (List<String> probe :
        List.of(
            List.of("nsenter", "--version"),
            List.of("iptables", "-V"),
            List.of("iptables-restore", "--version"))) {
      if (output(probe) == null) {
        return "'" + String.join(" ", probe) + "' does not run";
      }
    }
    return null;
  }

  /** The command's output if it exits 0, else null. */
  private static String output(List<String> command) {
    Exec exec = exec(command, "");
    return exec.exit() == 0 ? exec.output() : null;
  }

  /** How a command ended: its exit status (-1 if it did not run or end) and its output. */
  private record Exec(int exit, String output) {}

  private static Exec exec(List<String> command, String input) {
    try {
      // The commands print a line or two, which the pipe holds until they have exited.
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (var stdin = process.getOutputStream()) {
        stdin.write(input.getBytes(StandardCharsets.UTF_8));
      }
      if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return new Exec(-1, "timed out after " + COMMAND_TIMEOUT.toSeconds() + " s");
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Exec(process.exitValue(), out.strip());
    } catch (IOException e) {
      return new Exec(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + command, e);
    }
  }

  private static DockerClient docker() {
    return Objects.requireNonNull(DockerClientFactory.instance().client());
  }
}
