package dev.kith.deploy.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where the failover benchmark runs its nodes (Kith devices or baseline nodes), and how it breaks
 * and mends them. Nodes are numbered from 0. {@link #inject} breaks a node, {@link #restore} undoes
 * exactly that fault (starts the killed node again, thaws it, reconnects it), and {@link #restart}
 * kills a node however it is and starts it again, for when a restore does not make the mesh whole.
 */
public interface Testbed extends AutoCloseable {

  /** The faults of the design's failure model that the benchmark injects. */
  enum Fault {
    /** A crash: {@code docker kill}, or {@code kill -9} of a process on loopback. */
    KILL("docker kill", "kill -9"),
    /** A hang: {@code docker pause}, or SIGSTOP on loopback. */
    PAUSE("docker pause", "SIGSTOP"),
    /** Silent network loss: {@code docker network disconnect}; containers only. */
    DISCONNECT("docker network disconnect", null);

    private final String inContainers;
    private final String onLoopback;

    Fault(String inContainers, String onLoopback) {
      this.inContainers = inContainers;
      this.onLoopback = onLoopback;
    }

    /** How the fault is made in containers or on loopback, or null where it cannot be. */
    public String how(boolean loopback) {
      return loopback ? onLoopback : inContainers;
    }

    /** The option value: {@code kill}, {@code pause}, {@code disconnect}. */
    public String option() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code kill,pause,disconnect}; an unknown name is an error that lists the known. */
    public static List<Fault> parseList(String value) {
      return Arrays.stream(value.split(","))
          .map(String::trim)
          .map(
              name ->
                  Arrays.stream(values())
                      .filter(f -> f.option().equals(name))
                      .findFirst()
                      .orElseThrow(
                          () ->
                              new IllegalArgumentException(
                                  "unknown fault '" + name + "'; known: kill, pause, disconnect")))
          .distinct()
          .toList();
    }
  }

  /** {@code containers} or {@code loopback}. */
  String kind();

  /** How many nodes there are. */
  int size();

  /** The node's name, as it answers probes ({@code d1.alice}). */
  String name(int index);

  /** The node's HTTP base URL as the benchmark reaches it. */
  String httpUrl(int index);

  /** Breaks the node. */
  void inject(Fault fault, int index);

  /** Undoes {@code fault} on the node; the caller waits for the mesh to be whole again. */
  void restore(Fault fault, int index);

  /** Kills the node, whatever its state, and starts it again. */
  void restart(int index);

  /** The index of the node named {@code name}. */
  default int indexOf(String name) {
    for (int i = 0; i < size(); i++) {
      if (name(i).equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no node named " + name + " in this " + kind() + " testbed");
  }

  /** Stops every node. */
  @Override
  void close();
}
