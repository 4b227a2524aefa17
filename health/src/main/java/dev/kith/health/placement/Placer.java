package dev.kith.health.placement;

import dev.kith.health.power.PowerStatus;
import dev.kith.mesh.spi.Placement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides where every instance should run: the pure core of the placement controller. It reads a
 * {@link PlacementInput} and returns the moves that take the current placement to the desired one,
 * and nothing else: no clock, no randomness, no I/O, so the same input always gives the same plan
 * and the power simulation runs the very code the controller runs.
 *
 * <p>A device is eligible for an instance when it is alive and not drained, and, for an owner-only
 * service, belongs to the instance's owner; that rule is hard, so such an instance stops running
 * rather than run on another owner's device. A low device (on battery, not charging, below the
 * ratio) is eligible only when no other is. Eligible devices rank by owner affinity, the owner's
 * failover order, power, load (with what this plan has already put there), free disk, and name.
 *
 * <p>Placed instances are sticky: one whose device is still eligible and not low stays, even when a
 * better device exists, because a move costs a handoff and power readings drift. It moves only when
 * its device fails, is drained or runs low; for an owner who asked for takeover, when a device
 * earlier in their failover order has been alive for the stable time; and, for everyone, by power
 * handoff: an instance on a discharging battery moves to a device on mains or charging that has
 * been alive for the stable time and that the owner prefers at least as much (ahead of the current
 * device on owner affinity and then failover order, or level with it there, where power decides
 * anyway). Without that handoff a phone that took an owner's services while the preferred device
 * was away keeps draining them after it returns, until it falls to the low threshold. The handoff
 * cannot flap: it only ever leaves a discharging battery for mains, a change of load never starts
 * one, and the stable time keeps it off a device that comes and goes. A drain never stops the only
 * copy: with nowhere to go, a drained device keeps its instances. A low device keeps them too when
 * every other eligible device is low as well, since moving between low devices only moves the
 * problem.
 */
public final class Placer {

  private Placer() {}

  /**
   * The changes that take the current placement to the desired one, sorted by instance. An instance
   * that stays where it is, or that is not placed and has nowhere to go, gets no move. Instances in
   * {@link PlacementInput#current()} that are no longer desired (a removed owner or service) are
   * not this method's business; the controller undeploys them.
   */
  public static List<Move> plan(PlacementInput input) {
    Map<String, Candidate> byName = byName(input);
    Map<String, Double> placed = new HashMap<>();
    List<Move> moves = new ArrayList<>();
    for (InstanceKey instance : instances(input)) {
      ServiceSpec spec = specOf(input, instance.service());
      Assignment assignment = input.current().get(instance);
      String from = assignment == null ? null : assignment.device();
      Optional<Move> move = decide(input, byName, placed, instance, spec, from);
      move.ifPresent(
          m -> {
            moves.add(m);
            if (m.to() != null) {
              placed.merge(m.to(), spec.load(), Double::sum);
            }
          });
    }
    return List.copyOf(moves);
  }

  /**
   * The desired instances, sorted: one per owner for a per-owner service, one for a per-mesh
   * service, and none for a service on every device, which each device runs by itself.
   */
  public static List<InstanceKey> instances(PlacementInput input) {
    List<String> owners = input.owners().stream().sorted().toList();
    List<InstanceKey> instances = new ArrayList<>();
    for (ServiceSpec spec : input.services()) {
      switch (spec.placement()) {
        case EVERY_DEVICE -> {}
        case PER_MESH -> instances.add(InstanceKey.perMesh(spec.service()));
        case PER_OWNER_OWN_DEVICES, PER_OWNER_ANYWHERE ->
            owners.forEach(owner -> instances.add(new InstanceKey(spec.service(), owner)));
      }
    }
    instances.sort(Comparator.naturalOrder());
    return List.copyOf(instances);
  }

  /**
   * The devices that may run the instance, best first, counting only their own CPU load. Low
   * devices appear only when no other device is eligible.
   */
  public static List<Candidate> ranked(
      PlacementInput input, InstanceKey instance, ServiceSpec spec) {
    return ranked(input, Map.of(), instance, spec);
  }

  private static Optional<Move> decide(
      PlacementInput input,
      Map<String, Candidate> byName,
      Map<String, Double> placed,
      InstanceKey instance,
      ServiceSpec spec,
      String from) {
    List<Candidate> ranked = ranked(input, placed, instance, spec);
    String best = ranked.isEmpty() ? null : ranked.get(0).device();
    if (from == null) {
      return best == null ? Optional.empty() : move(instance, null, best, MoveReason.NEW);
    }
    Candidate current = byName.get(from);
    if (current == null || !current.alive() || !allowed(current, instance, spec)) {
      return move(instance, from, best, MoveReason.FAILED);
    }
    if (current.drained()) {
      return best == null ? Optional.empty() : move(instance, from, best, MoveReason.DRAIN);
    }
    double lowRatio = input.lowBatteryRatio();
    if (current.low(lowRatio)) {
      // The ranking offers low devices only when nothing else is eligible, and then staying put
      // beats moving the drain to another device that is just as short of battery.
      boolean somewhereBetter = best != null && !byName.get(best).low(lowRatio);
      return somewhereBetter
          ? move(instance, from, best, MoveReason.LOW_BATTERY)
          : Optional.empty();
    }
    Optional<Move> takeover =
        takeover(input, ranked, instance, from)
            .flatMap(to -> move(instance, from, to, MoveReason.TAKEOVER));
    if (takeover.isPresent()) {
      return takeover;
    }
    return powerHandoff(input, ranked, instance, spec, current)
        .flatMap(to -> move(instance, from, to, MoveReason.POWER));
  }

  /** The device a healthy instance should be taken over by, if its owner asked for takeover. */
  private static Optional<String> takeover(
      PlacementInput input, List<Candidate> ranked, InstanceKey instance, String from) {
    if (instance.owner() == null || !input.takeoverOwners().contains(instance.owner())) {
      return Optional.empty();
    }
    List<String> order = input.failoverOf(instance.owner());
    int here = position(order, from);
    return ranked.stream()
        .filter(c -> position(order, c.device()) < here)
        .filter(c -> !c.low(input.lowBatteryRatio()))
        .filter(c -> input.nowMillis() - c.aliveSinceMillis() >= input.takeoverStableMillis())
        .map(Candidate::device)
        .findFirst();
  }

  /**
   * The device an instance on a discharging battery should hand off to, whatever the takeover
   * setting: the best-ranked one on mains or charging (so never low) that has been alive for the
   * stable time and that the owner prefers at least as much as the current device. For a per-mesh
   * instance, which has no owner and no failover order, that is any such device.
   */
  private static Optional<String> powerHandoff(
      PlacementInput input,
      List<Candidate> ranked,
      InstanceKey instance,
      ServiceSpec spec,
      Candidate current) {
    if (!current.discharging()) {
      return Optional.empty();
    }
    Comparator<Candidate> preference = preference(input, instance, spec);
    return ranked.stream()
        .filter(c -> !c.discharging())
        .filter(c -> preference.compare(c, current) <= 0)
        .filter(c -> input.nowMillis() - c.aliveSinceMillis() >= input.takeoverStableMillis())
        .map(Candidate::device)
        .findFirst();
  }

  private static List<Candidate> ranked(
      PlacementInput input, Map<String, Double> placed, InstanceKey instance, ServiceSpec spec) {
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(spec, "spec");
    List<Candidate> eligible =
        input.devices().stream()
            .filter(Candidate::available)
            .filter(c -> allowed(c, instance, spec))
            .toList();
    List<Candidate> healthy =
        eligible.stream().filter(c -> !c.low(input.lowBatteryRatio())).toList();
    List<Candidate> chosen = new ArrayList<>(healthy.isEmpty() ? eligible : healthy);
    chosen.sort(order(input, placed, instance, spec));
    return List.copyOf(chosen);
  }

  private static Comparator<Candidate> order(
      PlacementInput input, Map<String, Double> placed, InstanceKey instance, ServiceSpec spec) {
    return preference(input, instance, spec)
        .thenComparing(Candidate::power, PowerStatus.BEST_FIRST)
        .thenComparingDouble(c -> c.cpuLoad() + placed.getOrDefault(c.device(), 0.0))
        .thenComparing(Comparator.comparingLong(Candidate::freeDiskBytes).reversed())
        .thenComparing(Candidate::device);
  }

  /**
   * What the owner asked for, the first criteria of the ranking: their own devices, then their
   * failover order. A per-mesh instance has neither, so every device ties.
   */
  private static Comparator<Candidate> preference(
      PlacementInput input, InstanceKey instance, ServiceSpec spec) {
    List<String> failover =
        spec.placement() == Placement.PER_MESH ? List.of() : input.failoverOf(instance.owner());
    Comparator<Candidate> affinity =
        Comparator.comparing(c -> !Objects.equals(c.owner(), instance.owner()));
    return affinity.thenComparingInt(c -> position(failover, c.device()));
  }

  /** Whether the policy lets this device run the instance at all, alive or not. */
  private static boolean allowed(Candidate device, InstanceKey instance, ServiceSpec spec) {
    return spec.placement() != Placement.PER_OWNER_OWN_DEVICES
        || Objects.equals(device.owner(), instance.owner());
  }

  /** The device's place in a failover order; devices not listed come after every listed one. */
  private static int position(List<String> order, String device) {
    int index = order.indexOf(device);
    return index < 0 ? order.size() : index;
  }

  private static Optional<Move> move(
      InstanceKey instance, String from, String to, MoveReason reason) {
    return Objects.equals(from, to)
        ? Optional.empty()
        : Optional.of(new Move(instance, from, to, reason));
  }

  private static ServiceSpec specOf(PlacementInput input, String service) {
    return input.services().stream()
        .filter(s -> s.service().equals(service))
        .findFirst()
        .orElseThrow();
  }

  private static Map<String, Candidate> byName(PlacementInput input) {
    Map<String, Candidate> byName = new HashMap<>();
    input.devices().forEach(c -> byName.put(c.device(), c));
    return byName;
  }
}
