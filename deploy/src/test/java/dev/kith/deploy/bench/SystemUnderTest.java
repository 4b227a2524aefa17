package dev.kith.deploy.bench;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The two systems the benchmark compares, and what it can read from each over HTTP: where alice's
 * probe runs, whether the mesh is whole, and the move a fault caused. Kith reports its moves with
 * their detection and placement times; the baseline reports only its Hazelcast membership and
 * whether a node hosts the HA verticle.
 */
public enum SystemUnderTest {
  /** Kith's probe service, placed by the controller. */
  KITH {
    @Override
    public String host(Testbed bed) {
      for (int i = 0; i < bed.size(); i++) {
        try {
          // Per-owner services run for owners with an account: the harness makes alice's (with
          // the device's operator token) the first time it asks on her behalf.
          Credentials.authorization(java.net.URI.create(bed.httpUrl(i) + PROBE_PATH));
          for (Object entry : Http.getJsonArray(bed.httpUrl(i) + "/api/mesh/services")) {
            JsonObject service = (JsonObject) entry;
            if ("probe".equals(service.getString("service"))
                && OWNER.equals(service.getString("owner"))
                && "running".equals(service.getString("state"))) {
              return service.getString("device");
            }
          }
          throw new AssertionError("alice's probe is not running: " + bed.name(i) + " says so");
        } catch (RuntimeException e) {
          // That device does not answer (it may be the broken one); ask the next.
        }
      }
      throw new AssertionError("no device says where alice's probe runs");
    }

    @Override
    void checkMembers(Testbed bed) {
      for (int i = 0; i < bed.size(); i++) {
        Map<String, String> states = MeshApi.deviceStates(bed.httpUrl(i));
        for (int j = 0; j < bed.size(); j++) {
          if (!MeshApi.ALIVE.equals(states.get(bed.name(j)))) {
            throw new AssertionError(bed.name(i) + " sees " + states);
          }
        }
      }
    }

    @Override
    public Optional<Move> move(Testbed bed, int via, String from, long faultMillis) {
      for (Object entry : Http.getJsonArray(bed.httpUrl(via) + "/api/mesh/events")) {
        JsonObject event = (JsonObject) entry;
        Long placedAt = millis(event.getString("placedAt"));
        if ("probe".equals(event.getString("service"))
            && OWNER.equals(event.getString("owner"))
            && "failed".equals(event.getString("reason"))
            // A failure move names the device it left; older events may name none.
            && (event.getString("from") == null || from.equals(event.getString("from")))
            && !from.equals(event.getString("to"))
            && placedAt != null
            && placedAt >= faultMillis
            && event.getString("readyAt") != null) {
          return Optional.of(
              new Move(
                  event.getString("to"),
                  event.getString("reason"),
                  millis(event.getString("detectedAt")),
                  placedAt,
                  millis(event.getString("readyAt"))));
        }
      }
      return Optional.empty();
    }
  },

  /** Plain Vert.x HA with default Hazelcast settings ({@link HaBaselineNode}). */
  BASELINE {
    @Override
    public String host(Testbed bed) {
      List<String> hosts = new ArrayList<>();
      for (int i = 0; i < bed.size(); i++) {
        try {
          JsonObject status = Http.getJson(bed.httpUrl(i) + "/api/baseline/status");
          if (status.getBoolean("hosting")) {
            hosts.add(status.getString("node"));
          }
        } catch (RuntimeException e) {
          // That node does not answer (it may be the broken one).
        }
      }
      if (hosts.size() != 1) {
        throw new AssertionError("the HA verticle runs on " + hosts + ", not on exactly one node");
      }
      return hosts.get(0);
    }

    @Override
    void checkMembers(Testbed bed) {
      for (int i = 0; i < bed.size(); i++) {
        JsonObject status = Http.getJson(bed.httpUrl(i) + "/api/baseline/status");
        if (status.getInteger("members") != bed.size()) {
          throw new AssertionError(bed.name(i) + " has " + status + " of " + bed.size());
        }
      }
    }

    @Override
    public Optional<Move> move(Testbed bed, int via, String from, long faultMillis) {
      return Optional.empty();
    }
  };

  /** The owner whose probe the benchmark watches. */
  public static final String OWNER = "alice";

  /** The probe's path on any node. */
  public static final String PROBE_PATH = "/api/probe/" + OWNER;

  /** The name of the node where alice's probe runs now; fails unless exactly one is known. */
  public abstract String host(Testbed bed);

  /** Fails unless every node sees every node as a member. */
  abstract void checkMembers(Testbed bed);

  /**
   * The move that took alice's probe off {@code from} after the fault, as the node {@code via}
   * reports it, once it is ready; empty where the system reports no moves.
   */
  public abstract Optional<Move> move(Testbed bed, int via, String from, long faultMillis);

  /**
   * Fails unless the mesh is whole: every node sees every other as a member, the probe runs on
   * exactly one node, and every node's probe route answers 200 from that node.
   */
  public void checkWhole(Testbed bed) {
    checkMembers(bed);
    String host = host(bed);
    for (int i = 0; i < bed.size(); i++) {
      Http.Response response = Http.get(bed.httpUrl(i) + PROBE_PATH);
      if (response.status() != 200 || !host.equals(response.json().getString("device"))) {
        throw new AssertionError(
            bed.name(i) + PROBE_PATH + " answered " + response + ", not " + host);
      }
    }
  }

  /** The option value: {@code kith} or {@code baseline}. */
  public String option() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code kith,baseline}; an unknown name is an error that lists the known. */
  public static List<SystemUnderTest> parseList(String value) {
    return Arrays.stream(value.split(","))
        .map(String::trim)
        .map(
            name ->
                Arrays.stream(values())
                    .filter(s -> s.option().equals(name))
                    .findFirst()
                    .orElseThrow(
                        () ->
                            new IllegalArgumentException(
                                "unknown system '" + name + "'; known: kith, baseline")))
        .distinct()
        .toList();
  }

  /**
   * A move as Kith reports it in {@code /api/mesh/events}; times in epoch milliseconds, null where
   * the event has none.
   */
  public record Move(String to, String reason, Long detectedAt, Long placedAt, Long readyAt) {}

  private static Long millis(String iso) {
    return iso == null ? null : Instant.parse(iso).toEpochMilli();
  }
}
