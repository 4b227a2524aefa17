package dev.kith.health.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kith.health.power.PowerStatus;
import dev.kith.mesh.spi.Placement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("The placer")
class PlacerTest {

  private static final long NOW = 1_000_000;
  private static final long STABLE = 30_000;
  private static final long GB = 1L << 30;

  private static final ServiceSpec CHAT =
      new ServiceSpec("chat", Placement.PER_OWNER_OWN_DEVICES, 1);
  private static final ServiceSpec MAIL = new ServiceSpec("mail", Placement.PER_OWNER_ANYWHERE, 1);
  private static final ServiceSpec PROBE =
      new ServiceSpec("probe", Placement.PER_OWNER_ANYWHERE, 1);
  private static final ServiceSpec OUTBOUND = new ServiceSpec("outbound", Placement.PER_MESH, 1);
  private static final ServiceSpec EDGE = new ServiceSpec("edge", Placement.EVERY_DEVICE, 1);

  private static final InstanceKey CHAT_ALICE = new InstanceKey("chat", "alice");
  private static final InstanceKey PROBE_ALICE = new InstanceKey("probe", "alice");

  private static final List<String> ALICE_ORDER = List.of("pi.alice", "laptop.alice");

  /** A live device on mains with nothing on it, alive since long ago. */
  private static Candidate device(String name) {
    return new Candidate(
        name,
        name.substring(name.indexOf('.') + 1),
        true,
        false,
        PowerStatus.MAINS,
        0,
        100 * GB,
        0);
  }

  private static Candidate dead(String name) {
    return with(device(name), false, false);
  }

  private static Candidate drained(String name) {
    return with(device(name), true, true);
  }

  private static Candidate with(Candidate c, boolean alive, boolean drained) {
    return new Candidate(
        c.device(),
        c.owner(),
        alive,
        drained,
        c.power(),
        c.cpuLoad(),
        c.freeDiskBytes(),
        c.aliveSinceMillis());
  }

  private static Candidate powered(String name, PowerStatus power) {
    Candidate c = device(name);
    return new Candidate(
        name, c.owner(), true, false, power, c.cpuLoad(), c.freeDiskBytes(), c.aliveSinceMillis());
  }

  private static Candidate aliveSince(String name, long sinceMillis) {
    Candidate c = device(name);
    return new Candidate(
        name, c.owner(), true, false, c.power(), c.cpuLoad(), c.freeDiskBytes(), sinceMillis);
  }

  private static Candidate loaded(String name, double cpuLoad, long freeDiskBytes) {
    Candidate c = device(name);
    return new Candidate(
        name, c.owner(), true, false, c.power(), cpuLoad, freeDiskBytes, c.aliveSinceMillis());
  }

  /** A builder of inputs: alice and bob, alice's failover order, no takeover, 20% threshold. */
  private static final class Scenario {
    List<ServiceSpec> services = new ArrayList<>(List.of(PROBE));
    Set<String> owners = Set.of("alice", "bob");
    List<Candidate> devices = new ArrayList<>();
    Map<String, List<String>> failover = new HashMap<>(Map.of("alice", ALICE_ORDER));
    Map<InstanceKey, Assignment> current = new LinkedHashMap<>();
    Set<String> takeover = Set.of();

    Scenario services(ServiceSpec... specs) {
      services = new ArrayList<>(List.of(specs));
      return this;
    }

    Scenario owners(String... names) {
      owners = Set.of(names);
      return this;
    }

    Scenario devices(Candidate... candidates) {
      devices = new ArrayList<>(List.of(candidates));
      return this;
    }

    Scenario on(InstanceKey instance, String device) {
      current.put(instance, new Assignment(device, 1, 0));
      return this;
    }

    Scenario takeover(String... owners) {
      takeover = Set.of(owners);
      return this;
    }

    PlacementInput input() {
      return new PlacementInput(
          services, owners, devices, failover, current, takeover, 0.20, NOW, STABLE);
    }

    List<Move> plan() {
      return Placer.plan(input());
    }

    Move planFor(InstanceKey instance) {
      return plan().stream().filter(m -> m.instance().equals(instance)).findFirst().orElse(null);
    }
  }

  private static Scenario scenario() {
    return new Scenario();
  }

  @Nested
  @DisplayName("decides which instances exist")
  class Instances {

    @Test
    @DisplayName(
        "one per owner for per-owner services, one for a per-mesh service, none for "
            + "a service on every device, sorted")
    void desiredInstances() {
      PlacementInput input =
          scenario().services(PROBE, EDGE, OUTBOUND, CHAT).devices(device("pi.alice")).input();

      assertThat(Placer.instances(input))
          .containsExactly(
              new InstanceKey("chat", "alice"),
              new InstanceKey("chat", "bob"),
              InstanceKey.perMesh("outbound"),
              new InstanceKey("probe", "alice"),
              new InstanceKey("probe", "bob"));
    }

    @Test
    @DisplayName("a per-mesh service gets a single instance, placed on one device")
    void perMeshSingleInstance() {
      List<Move> plan =
          scenario()
              .services(OUTBOUND)
              .devices(device("pi.alice"), device("desktop.bob"), device("laptop.alice"))
              .plan();

      assertThat(plan)
          .containsExactly(
              new Move(InstanceKey.perMesh("outbound"), null, "desktop.bob", MoveReason.NEW));
      assertThat(InstanceKey.perMesh("outbound")).hasToString("outbound");
      assertThat(PROBE_ALICE).hasToString("probe/alice");
    }

    @Test
    @DisplayName(
        "a per-mesh service ignores failover orders and owner affinity and takes the best "
            + "powered device")
    void perMeshByPower() {
      List<Move> plan =
          scenario()
              .services(OUTBOUND)
              .devices(
                  powered("pi.alice", PowerStatus.battery(0.9, false)),
                  powered("phone.bob", PowerStatus.battery(0.5, true)))
              .plan();

      assertThat(plan).extracting(Move::to).containsExactly("phone.bob");
    }
  }

  @Nested
  @DisplayName("keeps owner affinity")
  class OwnerAffinity {

    @Test
    @DisplayName("never places alice's own-devices service on bob's device, even the best one")
    void ownDevicesOnly() {
      Move move =
          scenario()
              .services(CHAT)
              .owners("alice")
              .devices(
                  device("desktop.bob"), powered("phone.alice", PowerStatus.battery(0.5, false)))
              .planFor(CHAT_ALICE);

      assertThat(move).isEqualTo(new Move(CHAT_ALICE, null, "phone.alice", MoveReason.NEW));
    }

    @Test
    @DisplayName(
        "stops alice's own-devices service when none of her devices is alive, rather "
            + "than run it on bob's")
    void noneAliveMeansNotRunning() {
      Scenario scenario =
          scenario()
              .services(CHAT)
              .owners("alice")
              .devices(dead("pi.alice"), dead("laptop.alice"), device("desktop.bob"))
              .on(CHAT_ALICE, "pi.alice");

      assertThat(scenario.plan())
          .containsExactly(new Move(CHAT_ALICE, "pi.alice", null, MoveReason.FAILED));
      assertThat(Placer.ranked(scenario.input(), CHAT_ALICE, CHAT)).isEmpty();
    }

    @Test
    @DisplayName("places nothing for an unplaced own-devices service with no device of its owner")
    void unplacedWithNowhereToGo() {
      assertThat(scenario().services(CHAT).owners("alice").devices(device("desktop.bob")).plan())
          .isEmpty();
    }

    @Test
    @DisplayName("moves an own-devices service off another owner's device")
    void ownDevicesServiceOnWrongOwner() {
      Move move =
          scenario()
              .services(CHAT)
              .owners("alice")
              .devices(device("desktop.bob"), device("pi.alice"))
              .on(CHAT_ALICE, "desktop.bob")
              .planFor(CHAT_ALICE);

      assertThat(move)
          .isEqualTo(new Move(CHAT_ALICE, "desktop.bob", "pi.alice", MoveReason.FAILED));
    }

    @Test
    @DisplayName(
        "prefers the owner's own devices for an anywhere service, and uses another "
            + "owner's when none of hers is alive")
    void anywhereService() {
      Scenario scenario =
          scenario()
              .owners("alice")
              .devices(
                  device("desktop.bob"), powered("phone.alice", PowerStatus.battery(0.5, false)));
      assertThat(scenario.planFor(PROBE_ALICE).to()).isEqualTo("phone.alice");

      scenario.devices(device("desktop.bob"), dead("phone.alice"));
      assertThat(scenario.planFor(PROBE_ALICE).to()).isEqualTo("desktop.bob");
    }
  }

  @Nested
  @DisplayName("follows the failover order [pi.alice, laptop.alice]")
  class FailoverOrder {

    @Test
    @DisplayName("moves the service to pi when the primary dies")
    void primaryDies() {
      Move move =
          scenario()
              .owners("alice")
              .devices(dead("primary.alice"), device("laptop.alice"), device("pi.alice"))
              .on(PROBE_ALICE, "primary.alice")
              .planFor(PROBE_ALICE);

      assertThat(move)
          .isEqualTo(new Move(PROBE_ALICE, "primary.alice", "pi.alice", MoveReason.FAILED));
    }

    @Test
    @DisplayName("moves the service to laptop when pi dies")
    void piDies() {
      Move move =
          scenario()
              .owners("alice")
              .devices(dead("primary.alice"), device("laptop.alice"), dead("pi.alice"))
              .on(PROBE_ALICE, "pi.alice")
              .planFor(PROBE_ALICE);

      assertThat(move)
          .isEqualTo(new Move(PROBE_ALICE, "pi.alice", "laptop.alice", MoveReason.FAILED));
    }

    @Test
    @DisplayName("ranks the failover order above power")
    void orderBeatsPower() {
      PlacementInput input =
          scenario()
              .owners("alice")
              .devices(
                  device("desktop.alice"),
                  powered("laptop.alice", PowerStatus.battery(0.9, false)),
                  powered("pi.alice", PowerStatus.battery(0.5, false)))
              .input();

      assertThat(Placer.ranked(input, PROBE_ALICE, PROBE))
          .extracting(Candidate::device)
          .containsExactly("pi.alice", "laptop.alice", "desktop.alice");
    }
  }

  @Nested
  @DisplayName("keeps a healthy instance where it is")
  class Stickiness {

    @Test
    @DisplayName("does not move it off mains when a better device appears, with takeover off")
    void betterDeviceDoesNotMove() {
      assertThat(
              scenario()
                  .owners("alice")
                  .devices(loaded("laptop.alice", 0.9, 10 * GB), device("pi.alice"))
                  .on(PROBE_ALICE, "laptop.alice")
                  .plan())
          .isEmpty();
    }

    @Test
    @DisplayName(
        "does not move it between discharging batteries, and returns no moves at all once "
            + "everything is placed")
    void batteryLevelsAloneNeverMove() {
      Scenario scenario =
          scenario()
              .services(PROBE, MAIL, OUTBOUND)
              .devices(
                  powered("laptop.alice", PowerStatus.battery(0.21, false)),
                  powered("phone.bob", PowerStatus.battery(0.9, true)),
                  device("desktop.bob"));
      for (Move move : scenario.plan()) {
        scenario.on(move.instance(), move.to());
      }
      assertThat(scenario.plan()).isEmpty();

      scenario.devices(
          powered("laptop.alice", PowerStatus.battery(0.21, false)),
          powered("phone.bob", PowerStatus.battery(0.25, false)),
          powered("desktop.bob", PowerStatus.battery(0.3, false)));
      assertThat(scenario.plan()).isEmpty();
    }
  }

  @Nested
  @DisplayName("hands an instance off a discharging battery to mains")
  class PowerHandoff {

    /** alice's probe on her laptop, with her preferred Pi as given. */
    private Scenario laptopWith(PowerStatus laptop, Candidate pi) {
      return scenario()
          .owners("alice")
          .devices(powered("laptop.alice", laptop), pi)
          .on(PROBE_ALICE, "laptop.alice");
    }

    private Candidate stablePi(PowerStatus power) {
      Candidate pi = powered("pi.alice", power);
      return new Candidate(
          pi.device(),
          pi.owner(),
          true,
          false,
          power,
          pi.cpuLoad(),
          pi.freeDiskBytes(),
          NOW - STABLE);
    }

    @Test
    @DisplayName(
        "with takeover off, to a device earlier in the failover order that is on mains or "
            + "charging and has been alive for the stable time")
    void happensWithTakeoverOff() {
      PowerStatus unplugged = PowerStatus.battery(0.8, false);
      Move expected = new Move(PROBE_ALICE, "laptop.alice", "pi.alice", MoveReason.POWER);

      assertThat(laptopWith(unplugged, stablePi(PowerStatus.MAINS)).plan())
          .containsExactly(expected);
      assertThat(laptopWith(unplugged, stablePi(PowerStatus.battery(0.3, true))).plan())
          .containsExactly(expected);
      assertThat(MoveReason.POWER.wireName()).isEqualTo("power");
    }

    @Test
    @DisplayName("not before the target has been alive for the stable time")
    void waitsForStability() {
      Scenario scenario =
          laptopWith(PowerStatus.battery(0.8, false), aliveSince("pi.alice", NOW - STABLE + 1));

      assertThat(scenario.plan()).isEmpty();
    }

    @Test
    @DisplayName("not to a device later in the failover order, even on mains")
    void notToLaterDevice() {
      Scenario scenario =
          scenario()
              .owners("alice")
              .devices(powered("pi.alice", PowerStatus.battery(0.8, false)), device("laptop.alice"))
              .on(PROBE_ALICE, "pi.alice");

      assertThat(scenario.plan()).isEmpty();
    }

    @Test
    @DisplayName("not to another owner's device, which the owner prefers less")
    void notAgainstOwnerAffinity() {
      Scenario scenario =
          scenario()
              .owners("alice")
              .devices(
                  powered("phone.alice", PowerStatus.battery(0.8, false)), device("desktop.bob"))
              .on(PROBE_ALICE, "phone.alice");

      assertThat(scenario.plan()).isEmpty();
    }

    @Test
    @DisplayName("not while the current device charges or is on mains")
    void notOffChargingOrMains() {
      Candidate pi = stablePi(PowerStatus.MAINS);

      assertThat(laptopWith(PowerStatus.battery(0.5, true), pi).plan()).isEmpty();
      assertThat(laptopWith(new PowerStatus(true, 0.5, true), pi).plan()).isEmpty();
      assertThat(laptopWith(PowerStatus.MAINS, pi).plan()).isEmpty();
    }

    @Test
    @DisplayName(
        "for an owner without a failover order, to one of their own devices on mains, where "
            + "power decides")
    void noFailoverOrder() {
      Move move =
          scenario()
              .owners("bob")
              .devices(
                  powered("phone.bob", PowerStatus.battery(0.9, false)),
                  device("desktop.bob"),
                  device("pi.alice"))
              .on(new InstanceKey("probe", "bob"), "phone.bob")
              .planFor(new InstanceKey("probe", "bob"));

      assertThat(move)
          .isEqualTo(
              new Move(
                  new InstanceKey("probe", "bob"), "phone.bob", "desktop.bob", MoveReason.POWER));
    }

    @Test
    @DisplayName("of a per-mesh instance, to the best device on mains, whoever owns it")
    void perMesh() {
      InstanceKey outbound = InstanceKey.perMesh("outbound");
      Move move =
          scenario()
              .services(OUTBOUND)
              .devices(
                  powered("laptop.alice", PowerStatus.battery(0.9, false)),
                  loaded("pi.alice", 0.5, 10 * GB),
                  device("desktop.bob"))
              .on(outbound, "laptop.alice")
              .planFor(outbound);

      assertThat(move)
          .isEqualTo(new Move(outbound, "laptop.alice", "desktop.bob", MoveReason.POWER));
    }

    @Test
    @DisplayName("as a takeover when the owner asked for takeover")
    void takeoverFirst() {
      assertThat(
              laptopWith(PowerStatus.battery(0.8, false), stablePi(PowerStatus.MAINS))
                  .takeover("alice")
                  .plan())
          .containsExactly(new Move(PROBE_ALICE, "laptop.alice", "pi.alice", MoveReason.TAKEOVER));
    }

    @Test
    @DisplayName(
        "once, and never again over repeated plans while the loads of the mains devices "
            + "alternate and the batteries drain")
    void noFlapping() {
      Scenario scenario =
          scenario()
              .services(PROBE, MAIL, OUTBOUND)
              .on(PROBE_ALICE, "laptop.alice")
              .on(new InstanceKey("mail", "alice"), "laptop.alice")
              .on(new InstanceKey("probe", "bob"), "phone.bob")
              .on(new InstanceKey("mail", "bob"), "phone.bob")
              .on(InstanceKey.perMesh("outbound"), "phone.bob");
      scenario.failover.put("bob", List.of("desktop.bob", "phone.bob"));
      List<List<Move>> plans = new ArrayList<>();
      for (int round = 0; round < 40; round++) {
        double small = 0.1 + 0.05 * (round % 2);
        double large = 0.2 - 0.05 * (round % 2);
        scenario.devices(
            loaded("pi.alice", round % 2 == 0 ? small : large, 100 * GB),
            loaded("desktop.bob", round % 2 == 0 ? large : small, 100 * GB),
            powered("laptop.alice", PowerStatus.battery(0.8 - 0.005 * round, false)),
            powered("phone.bob", PowerStatus.battery(0.7 - 0.005 * round, false)));
        List<Move> plan = scenario.plan();
        plans.add(plan);
        plan.forEach(move -> scenario.on(move.instance(), move.to()));
      }

      assertThat(plans.get(0))
          .hasSize(5)
          .allSatisfy(move -> assertThat(move.reason()).isEqualTo(MoveReason.POWER))
          .extracting(Move::to)
          .containsOnly("pi.alice", "desktop.bob");
      assertThat(plans.subList(1, plans.size())).allSatisfy(plan -> assertThat(plan).isEmpty());
    }
  }

  @Nested
  @DisplayName("takes over")
  class Takeover {

    private Scenario returningPi(long piAliveSince) {
      return scenario()
          .owners("alice")
          .devices(aliveSince("pi.alice", piAliveSince), device("laptop.alice"))
          .on(PROBE_ALICE, "laptop.alice");
    }

    @Test
    @DisplayName("not by default: the returning preferred device gets nothing back")
    void offByDefault() {
      assertThat(returningPi(0).plan()).isEmpty();
    }

    @Test
    @DisplayName(
        "when the owner asked for it, once the preferred device has been alive for the "
            + "stable time")
    void onForOwner() {
      assertThat(returningPi(NOW - STABLE).takeover("alice").plan())
          .containsExactly(new Move(PROBE_ALICE, "laptop.alice", "pi.alice", MoveReason.TAKEOVER));
    }

    @Test
    @DisplayName("not before the preferred device has been alive for the stable time")
    void waitsForStability() {
      assertThat(returningPi(NOW - STABLE + 1).takeover("alice").plan()).isEmpty();
    }

    @Test
    @DisplayName("only for the owners who asked for it")
    void onlyForThoseOwners() {
      assertThat(returningPi(0).takeover("bob").plan()).isEmpty();
    }

    @Test
    @DisplayName("not by a preferred device that is low on battery")
    void notByLowDevice() {
      Scenario scenario =
          scenario()
              .owners("alice")
              .devices(
                  powered("pi.alice", PowerStatus.battery(0.1, false)),
                  powered("laptop.alice", PowerStatus.battery(0.5, false)))
              .on(PROBE_ALICE, "laptop.alice")
              .takeover("alice");

      assertThat(scenario.plan()).isEmpty();
    }
  }

  @Nested
  @DisplayName("moves off a low battery")
  class LowBattery {

    @Test
    @DisplayName("to mains before charging, and charging before a fuller battery")
    void prefersMainsThenChargingThenLevel() {
      Scenario scenario =
          scenario()
              .owners("alice")
              .devices(
                  powered("laptop.alice", PowerStatus.battery(0.1, false)),
                  powered("a.bob", PowerStatus.battery(0.9, false)),
                  powered("b.bob", PowerStatus.battery(0.3, true)),
                  device("c.bob"))
              .on(PROBE_ALICE, "laptop.alice");
      scenario.failover = Map.of();

      assertThat(scenario.plan())
          .containsExactly(new Move(PROBE_ALICE, "laptop.alice", "c.bob", MoveReason.LOW_BATTERY));
      assertThat(Placer.ranked(scenario.input(), PROBE_ALICE, PROBE))
          .extracting(Candidate::device)
          .containsExactly("c.bob", "b.bob", "a.bob");

      scenario.devices(
          powered("laptop.alice", PowerStatus.battery(0.1, false)),
          powered("a.bob", PowerStatus.battery(0.9, false)),
          powered("b.bob", PowerStatus.battery(0.3, true)));
      assertThat(scenario.planFor(PROBE_ALICE).to()).isEqualTo("b.bob");

      scenario.devices(
          powered("laptop.alice", PowerStatus.battery(0.1, false)),
          powered("a.bob", PowerStatus.battery(0.9, false)),
          powered("d.bob", PowerStatus.battery(0.4, false)));
      assertThat(scenario.planFor(PROBE_ALICE).to()).isEqualTo("a.bob");
    }

    @Test
    @DisplayName("even off the owner's own device, since a low device ranks after every other")
    void lowOwnDeviceLosesToOtherOwner() {
      Move move =
          scenario()
              .owners("alice")
              .devices(powered("pi.alice", PowerStatus.battery(0.1, false)), device("desktop.bob"))
              .on(PROBE_ALICE, "pi.alice")
              .planFor(PROBE_ALICE);

      assertThat(move)
          .isEqualTo(new Move(PROBE_ALICE, "pi.alice", "desktop.bob", MoveReason.LOW_BATTERY));
    }

    @Test
    @DisplayName("not at all while the low device charges")
    void chargingIsNotLow() {
      assertThat(
              scenario()
                  .owners("alice")
                  .devices(powered("pi.alice", PowerStatus.battery(0.05, true)), device("x.bob"))
                  .on(PROBE_ALICE, "pi.alice")
                  .plan())
          .isEmpty();
    }

    @Test
    @DisplayName(
        "not when every device is low: a placed instance stays, a new one takes the best "
            + "low device")
    void allLow() {
      Scenario scenario =
          scenario()
              .services(PROBE, MAIL)
              .owners("alice")
              .devices(
                  powered("pi.alice", PowerStatus.battery(0.05, false)),
                  powered("laptop.alice", PowerStatus.battery(0.15, false)),
                  powered("x.bob", PowerStatus.battery(0.19, false)))
              .on(PROBE_ALICE, "pi.alice");
      scenario.failover = Map.of();

      assertThat(scenario.plan())
          .containsExactly(
              new Move(new InstanceKey("mail", "alice"), null, "laptop.alice", MoveReason.NEW));
    }
  }

  @Nested
  @DisplayName("drains")
  class Drain {

    @Test
    @DisplayName("moves every instance off a drained device, to the next in the failover order")
    void drainMoves() {
      Move move =
          scenario()
              .owners("alice")
              .devices(drained("pi.alice"), device("laptop.alice"), device("desktop.bob"))
              .on(PROBE_ALICE, "pi.alice")
              .planFor(PROBE_ALICE);

      assertThat(move)
          .isEqualTo(new Move(PROBE_ALICE, "pi.alice", "laptop.alice", MoveReason.DRAIN));
    }

    @Test
    @DisplayName("never stops the only copy: with nowhere to go, it stays on the drained device")
    void drainNeverStops() {
      assertThat(
              scenario()
                  .services(CHAT)
                  .owners("alice")
                  .devices(drained("pi.alice"), dead("laptop.alice"), device("desktop.bob"))
                  .on(CHAT_ALICE, "pi.alice")
                  .plan())
          .isEmpty();
    }

    @Test
    @DisplayName("places nothing new on a drained device")
    void drainedIsNotEligible() {
      assertThat(
              scenario()
                  .owners("alice")
                  .devices(drained("pi.alice"), drained("laptop.alice"))
                  .plan())
          .isEmpty();
    }
  }

  @Nested
  @DisplayName("is deterministic and spreads load")
  class DeterminismAndLoad {

    @Test
    @DisplayName("gives the same plan for the same input in any list order")
    void anyOrderSamePlan() {
      List<ServiceSpec> services = List.of(PROBE, MAIL, CHAT, OUTBOUND, EDGE);
      List<Candidate> devices =
          List.of(
              device("pi.alice"),
              device("desktop.bob"),
              loaded("nas.bob", 0.5, 10 * GB),
              powered("laptop.alice", PowerStatus.battery(0.6, false)),
              powered("phone.alice", PowerStatus.battery(0.1, false)),
              powered("phone.bob", PowerStatus.battery(0.4, true)),
              dead("old.carol"));
      Map<InstanceKey, Assignment> current =
          Map.of(
              PROBE_ALICE,
              new Assignment("phone.alice", 3, 10),
              new InstanceKey("mail", "bob"),
              new Assignment("old.carol", 3, 10));
      Set<String> owners = Set.of("alice", "bob", "carol");
      List<Move> reference =
          Placer.plan(
              new PlacementInput(
                  services, owners, devices, Map.of(), current, Set.of(), 0.2, NOW, STABLE));

      Random random = new Random(42);
      for (int i = 0; i < 20; i++) {
        List<ServiceSpec> s = new ArrayList<>(services);
        List<Candidate> d = new ArrayList<>(devices);
        Collections.shuffle(s, random);
        Collections.shuffle(d, random);
        PlacementInput shuffled =
            new PlacementInput(s, owners, d, Map.of(), current, Set.of(), 0.2, NOW, STABLE);
        assertThat(Placer.plan(shuffled)).isEqualTo(reference);
      }
      assertThat(reference).isSortedAccordingTo((a, b) -> a.instance().compareTo(b.instance()));
      // Ten instances; chat/carol has no live device of carol's, so it gets no move.
      assertThat(reference)
          .extracting(Move::instance)
          .doesNotContain(new InstanceKey("chat", "carol"));
      assertThat(reference).hasSize(9);
    }

    @Test
    @DisplayName("spreads new instances over equal devices instead of piling them on one")
    void spreadsLoad() {
      List<Move> plan =
          scenario()
              .services(PROBE, MAIL, CHAT)
              .owners("carol")
              .devices(device("a.carol"), device("b.carol"), device("c.carol"))
              .plan();

      assertThat(plan).extracting(Move::to).containsExactly("a.carol", "b.carol", "c.carol");
    }

    @Test
    @DisplayName("prefers the less loaded device, then the one with more free disk")
    void loadThenDisk() {
      PlacementInput input =
          scenario()
              .owners("carol")
              .devices(
                  loaded("a.carol", 0.7, 500 * GB),
                  loaded("b.carol", 0.2, 10 * GB),
                  loaded("c.carol", 0.2, 90 * GB))
              .input();

      assertThat(Placer.ranked(input, new InstanceKey("probe", "carol"), PROBE))
          .extracting(Candidate::device)
          .containsExactly("c.carol", "b.carol", "a.carol");
    }
  }

  @Test
  @DisplayName("rejects an input that names a device twice")
  void duplicateDevice() {
    assertThatThrownBy(() -> scenario().devices(device("pi.alice"), device("pi.alice")).input())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("device name appears twice");
  }

  @Test
  @DisplayName("gives every reason its wire name")
  void wireNames() {
    assertThat(MoveReason.values())
        .extracting(MoveReason::wireName)
        .containsExactly("new", "failed", "low-battery", "drain", "takeover", "power");
  }
}
