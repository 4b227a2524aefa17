package dev.kith.health.placement;

import dev.kith.health.power.PowerStatus;
import dev.kith.mesh.spi.Placement;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The power simulation of issue 3, item 10: a simulated mesh of five devices over three days, in
 * one-minute steps, with every service placed once by Kith's own {@link Placer} and once by
 * power-blind hash placement, as Vert.x HA places verticles. It needs no network and no clock, and
 * the same parameters always give the same numbers.
 *
 * <p>Each minute: devices that are switched off or whose battery is empty are dead; the strategy
 * places the instances; an instance counts as available when its device is alive; then every
 * battery device charges (when plugged in) or drains (idle drain plus the drain of the instances it
 * hosts). A battery at 0 is exhausted, and the device stays dead until it has charged back to 5%.
 *
 * <p>Run it with {@code mvn -B -ntp -q -pl health test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.kith.health.placement.PowerSimulation}; add {@code -Dexec.args=--trace} for
 * the hourly battery levels of each strategy.
 */
public final class PowerSimulation {

  static final int MINUTES_PER_DAY = 24 * 60;
  static final int HORIZON_MINUTES = 3 * MINUTES_PER_DAY;
  static final int START_MINUTE_OF_DAY = 0;
  static final double LOW_BATTERY_RATIO = 0.20;
  static final double REVIVE_LEVEL = 0.05;
  static final long TAKEOVER_STABLE_MILLIS = 10 * 60_000L;
  static final int NEVER = -1;
  private static final long GB = 1L << 30;
  private static final long MILLIS_PER_MINUTE = 60_000L;

  /** A daily window of wall-clock time, [from, to); it wraps past midnight when from > to. */
  record Window(int fromMinute, int toMinute) {
    static Window hours(int from, int to) {
      return new Window(from * 60, to * 60);
    }

    boolean contains(int minuteOfDay) {
      return fromMinute <= toMinute
          ? minuteOfDay >= fromMinute && minuteOfDay < toMinute
          : minuteOfDay >= fromMinute || minuteOfDay < toMinute;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%02d:%02d-%02d:%02d",
          fromMinute / 60,
          fromMinute % 60,
          toMinute / 60,
          toMinute % 60);
    }
  }

  /**
   * One simulated device.
   *
   * @param plugged when a battery device is on its charger; null for a device without a battery
   * @param off when the device is switched off; null if never
   * @param idlePercentPerMinute battery drain with no service on it
   * @param chargePercentPerMinute what the charger adds while plugged in
   * @param serviceFactor how many percent one unit of service load costs here per minute, relative
   *     to a phone's battery
   */
  record Profile(
      String name,
      boolean battery,
      Window plugged,
      Window off,
      double initialLevel,
      double idlePercentPerMinute,
      double chargePercentPerMinute,
      double serviceFactor,
      long freeDiskBytes) {

    String owner() {
      return name.substring(name.indexOf('.') + 1);
    }

    static Profile mains(String name, Window off, long freeDiskBytes) {
      return new Profile(name, false, null, off, 1.0, 0, 0, 0, freeDiskBytes);
    }

    boolean pluggedIn(int minuteOfDay) {
      return !battery || plugged.contains(minuteOfDay);
    }

    boolean switchedOff(int minuteOfDay) {
      return off != null && off.contains(minuteOfDay);
    }

    String describe() {
      if (!battery) {
        return "mains" + (off == null ? "" : ", off " + off);
      }
      return String.format(
          Locale.ROOT,
          "battery from %.0f%%, plugged in %s; idle -%.2f %%/min, charger +%.2f %%/min,"
              + " service drain x%.1f",
          initialLevel * 100,
          plugged,
          idlePercentPerMinute,
          chargePercentPerMinute,
          serviceFactor);
    }
  }

  /** The simulated mesh: its devices, services, owners and failover orders. */
  record Mesh(
      List<Profile> devices,
      List<ServiceSpec> services,
      Set<String> owners,
      Map<String, List<String>> failover) {

    /** The same mesh with every phone's idle drain changed. */
    Mesh withPhoneIdle(double percentPerMinute) {
      List<Profile> changed =
          devices.stream()
              .map(
                  p ->
                      !p.name().startsWith("phone.")
                          ? p
                          : new Profile(
                              p.name(),
                              p.battery(),
                              p.plugged(),
                              p.off(),
                              p.initialLevel(),
                              percentPerMinute,
                              p.chargePercentPerMinute(),
                              p.serviceFactor(),
                              p.freeDiskBytes()))
              .toList();
      return new Mesh(changed, services, owners, failover);
    }

    /** The same mesh with every service's load scaled. */
    Mesh withServiceLoads(double factor) {
      List<ServiceSpec> changed =
          services.stream()
              .map(s -> new ServiceSpec(s.service(), s.placement(), s.load() * factor))
              .toList();
      return new Mesh(devices, changed, owners, failover);
    }
  }

  /**
   * The mesh of the issue: alice has a Pi on mains, a laptop she takes out by day and a phone; bob
   * has a desktop he switches off at night and a phone. A service's load is the battery it costs a
   * phone, in percent per minute; the laptop's battery is about six times a phone's but its x86 CPU
   * draws about three times the power for the same work, so a service costs it half as many
   * percent.
   */
  static Mesh defaultMesh() {
    List<Profile> devices =
        List.of(
            Profile.mains("pi.alice", null, 400 * GB),
            new Profile(
                "laptop.alice", true, Window.hours(18, 8), null, 1.0, 0.10, 0.50, 0.5, 300 * GB),
            new Profile(
                "phone.alice", true, Window.hours(23, 7), null, 0.6, 0.08, 1.0, 1.0, 40 * GB),
            Profile.mains("desktop.bob", Window.hours(1, 7), 800 * GB),
            new Profile(
                "phone.bob", true, Window.hours(22, 6), null, 0.7, 0.08, 1.0, 1.0, 20 * GB));
    List<ServiceSpec> services =
        List.of(
            new ServiceSpec("probe", Placement.PER_OWNER_ANYWHERE, 0.05),
            new ServiceSpec("mail", Placement.PER_OWNER_ANYWHERE, 0.12),
            new ServiceSpec("social", Placement.PER_OWNER_ANYWHERE, 0.15),
            new ServiceSpec("chat", Placement.PER_OWNER_OWN_DEVICES, 0.10),
            new ServiceSpec("outbound", Placement.PER_MESH, 0.08));
    Map<String, List<String>> failover =
        Map.of(
            "alice", List.of("pi.alice", "laptop.alice", "phone.alice"),
            "bob", List.of("desktop.bob", "phone.bob"));
    return new Mesh(devices, services, Set.of("alice", "bob"), failover);
  }

  /** How instances are placed each minute. */
  interface Strategy {
    String name();

    /** The new placement, given the current one; unplaced instances are absent. */
    Map<InstanceKey, String> place(
        Mesh mesh, List<Candidate> devices, Map<InstanceKey, String> current, long nowMillis);
  }

  /** Kith: the controller's own {@link Placer}, run every minute. */
  static Strategy kith(Set<String> takeoverOwners) {
    return new Strategy() {
      @Override
      public String name() {
        return takeoverOwners.isEmpty()
            ? "kith (defaults)"
            : "kith + takeover ("
                + String.join(", ", takeoverOwners.stream().sorted().toList())
                + ")";
      }

      @Override
      public Map<InstanceKey, String> place(
          Mesh mesh, List<Candidate> devices, Map<InstanceKey, String> current, long nowMillis) {
        Map<InstanceKey, Assignment> assignments = new LinkedHashMap<>();
        current.forEach((k, d) -> assignments.put(k, new Assignment(d, 1, 0)));
        PlacementInput input =
            new PlacementInput(
                mesh.services(),
                mesh.owners(),
                devices,
                mesh.failover(),
                assignments,
                takeoverOwners,
                LOW_BATTERY_RATIO,
                nowMillis,
                TAKEOVER_STABLE_MILLIS);
        Map<InstanceKey, String> next = new TreeMap<>(current);
        for (Move move : Placer.plan(input)) {
          if (move.to() == null) {
            next.remove(move.instance());
          } else {
            next.put(move.instance(), move.to());
          }
        }
        return next;
      }
    };
  }

  /**
   * Power-blind hash placement, as Vert.x HA does it: an instance goes to the live device at index
   * |hash(instance)| mod n of the live devices sorted by name, and moves only when that device
   * dies. An owner-only service hashes among its owner's live devices, so both strategies keep that
   * rule. {@code salt} changes the hash, to show how much the result owes to luck.
   */
  static Strategy hash(int salt) {
    return new Strategy() {
      private List<InstanceKey> instances;

      @Override
      public String name() {
        return salt == 0 ? "hash (Vert.x HA)" : "hash, salt " + salt;
      }

      @Override
      public Map<InstanceKey, String> place(
          Mesh mesh, List<Candidate> devices, Map<InstanceKey, String> current, long nowMillis) {
        Map<String, Candidate> byName = new TreeMap<>();
        devices.forEach(d -> byName.put(d.device(), d));
        Map<InstanceKey, String> next = new TreeMap<>();
        if (instances == null) {
          instances = instancesOf(mesh);
        }
        for (InstanceKey instance : instances) {
          String here = current.get(instance);
          if (here != null && byName.get(here).alive()) {
            next.put(instance, here);
            continue;
          }
          boolean ownOnly = specOf(mesh, instance).placement() == Placement.PER_OWNER_OWN_DEVICES;
          List<String> alive =
              byName.values().stream()
                  .filter(Candidate::alive)
                  .filter(d -> !ownOnly || d.owner().equals(instance.owner()))
                  .map(Candidate::device)
                  .toList();
          if (!alive.isEmpty()) {
            int hash = (salt == 0 ? instance.toString() : instance + "#" + salt).hashCode();
            next.put(instance, alive.get((int) (Math.abs((long) hash) % alive.size())));
          }
        }
        return next;
      }
    };
  }

  /**
   * What one strategy achieved over the horizon.
   *
   * @param availability the share of instance-minutes with the instance running
   * @param moves placement changes after the first minute's initial placement, stops and restarts
   *     included
   * @param forced those of the moves that left a device which had just died under the instance:
   *     each is an outage as long as failure detection takes, where a planned move has none
   * @param firstExhaustedMinute for each battery device, the minute its battery first ran empty, or
   *     {@link #NEVER}
   * @param minutesExhausted for each battery device, how many minutes it was dead with an empty
   *     battery
   */
  record Result(
      String strategy,
      double availability,
      int moves,
      int forced,
      Map<String, Integer> firstExhaustedMinute,
      Map<String, Integer> minutesExhausted) {

    /** The minute the first battery device ran empty, or {@link #NEVER}. */
    int firstExhaustion() {
      return firstExhaustedMinute.values().stream()
          .filter(m -> m != NEVER)
          .min(Integer::compare)
          .orElse(NEVER);
    }

    /** Minutes until the given device first ran empty, the horizon standing in for never. */
    int lifetime(String device) {
      int minute = firstExhaustedMinute.get(device);
      return minute == NEVER ? HORIZON_MINUTES : minute;
    }

    /** Minutes until the first battery device ran empty, the horizon standing in for never. */
    int firstLifetime() {
      int minute = firstExhaustion();
      return minute == NEVER ? HORIZON_MINUTES : minute;
    }
  }

  private final Mesh mesh;
  private final PrintStream trace;

  PowerSimulation(Mesh mesh, PrintStream trace) {
    this.mesh = mesh;
    this.trace = trace;
  }

  /** Runs one strategy over the horizon, from the same starting state every time. */
  Result run(Strategy strategy) {
    List<Profile> profiles = mesh.devices();
    Map<String, Double> level = new LinkedHashMap<>();
    Map<String, Boolean> exhausted = new LinkedHashMap<>();
    Map<String, Long> aliveSince = new LinkedHashMap<>();
    Map<String, Integer> firstExhausted = new TreeMap<>();
    Map<String, Integer> minutesExhausted = new TreeMap<>();
    for (Profile p : profiles) {
      level.put(p.name(), p.initialLevel());
      exhausted.put(p.name(), false);
      if (p.battery()) {
        firstExhausted.put(p.name(), NEVER);
        minutesExhausted.put(p.name(), 0);
      }
    }
    List<InstanceKey> instances = instancesOf(mesh);
    Map<InstanceKey, String> placement = new TreeMap<>();
    long instanceMinutesUp = 0;
    int moves = 0;
    int forced = 0;
    if (trace != null) {
      trace.println("# " + strategy.name());
      trace.println("hour  " + String.join("  ", profiles.stream().map(Profile::name).toList()));
    }

    for (int minute = 0; minute < HORIZON_MINUTES; minute++) {
      int minuteOfDay = (START_MINUTE_OF_DAY + minute) % MINUTES_PER_DAY;
      long now = minute * MILLIS_PER_MINUTE;

      // Who is alive, and what gossip would say about each device.
      List<Candidate> candidates = new ArrayList<>();
      Map<String, Boolean> alive = new LinkedHashMap<>();
      Map<String, Double> hosted = hostedLoad(placement);
      for (Profile p : profiles) {
        boolean up = !p.switchedOff(minuteOfDay) && !exhausted.get(p.name());
        alive.put(p.name(), up);
        if (!up) {
          aliveSince.remove(p.name());
        } else {
          aliveSince.putIfAbsent(p.name(), now);
        }
        candidates.add(
            new Candidate(
                p.name(),
                p.owner(),
                up,
                false,
                powerOf(p, level.get(p.name()), minuteOfDay),
                hosted.getOrDefault(p.name(), 0.0),
                p.freeDiskBytes(),
                aliveSince.getOrDefault(p.name(), now)));
      }

      // Place, and count what is running.
      Map<InstanceKey, String> next = strategy.place(mesh, candidates, placement, now);
      if (minute > 0) {
        for (InstanceKey instance : instances) {
          String before = placement.get(instance);
          if (!Objects.equals(before, next.get(instance))) {
            moves++;
            if (before != null && !alive.get(before)) {
              forced++;
            }
          }
        }
      }
      placement = next;
      for (InstanceKey instance : instances) {
        String device = placement.get(instance);
        if (device != null && alive.get(device)) {
          instanceMinutesUp++;
        }
      }

      // A minute of charging and draining.
      hosted = hostedLoad(placement);
      for (Profile p : profiles) {
        if (!p.battery()) {
          continue;
        }
        String name = p.name();
        boolean plugged = p.pluggedIn(minuteOfDay);
        double percent = level.get(name) * 100;
        if (exhausted.get(name)) {
          minutesExhausted.merge(name, 1, Integer::sum);
          if (plugged) {
            percent += p.chargePercentPerMinute();
            if (percent >= REVIVE_LEVEL * 100) {
              exhausted.put(name, false);
            }
          }
        } else {
          double drain =
              p.idlePercentPerMinute() + p.serviceFactor() * hosted.getOrDefault(name, 0.0);
          percent += (plugged ? p.chargePercentPerMinute() : 0) - drain;
          if (percent <= 0) {
            percent = 0;
            exhausted.put(name, true);
            if (firstExhausted.get(name) == NEVER) {
              firstExhausted.put(name, minute + 1);
            }
          }
        }
        level.put(name, Math.max(0, Math.min(100, percent)) / 100);
      }

      if (trace != null && (minute + 1) % 60 == 0) {
        StringBuilder line =
            new StringBuilder(String.format(Locale.ROOT, "%4d", (minute + 1) / 60));
        for (Profile p : profiles) {
          String shown =
              !p.battery()
                  ? (alive.get(p.name()) ? "on" : "off")
                  : String.format(Locale.ROOT, "%3.0f%%", level.get(p.name()) * 100);
          line.append(String.format(Locale.ROOT, "  %" + p.name().length() + "s", shown));
        }
        line.append("   ").append(hostedLoad(placement).keySet());
        trace.println(line);
      }
    }
    double availability = (double) instanceMinutesUp / ((long) instances.size() * HORIZON_MINUTES);
    return new Result(
        strategy.name(), availability, moves, forced, firstExhausted, minutesExhausted);
  }

  private Map<String, Double> hostedLoad(Map<InstanceKey, String> placement) {
    Map<String, Double> load = new TreeMap<>();
    placement.forEach(
        (instance, device) -> load.merge(device, specOf(mesh, instance).load(), Double::sum));
    return load;
  }

  private static PowerStatus powerOf(Profile p, double level, int minuteOfDay) {
    if (!p.battery()) {
      return PowerStatus.MAINS;
    }
    boolean plugged = p.pluggedIn(minuteOfDay);
    return new PowerStatus(plugged, level, plugged && level < 1.0);
  }

  private static List<InstanceKey> instancesOf(Mesh mesh) {
    return Placer.instances(
        new PlacementInput(
            mesh.services(), mesh.owners(), List.of(), Map.of(), Map.of(), Set.of(), 0, 0, 0));
  }

  private static ServiceSpec specOf(Mesh mesh, InstanceKey instance) {
    return mesh.services().stream()
        .filter(s -> s.service().equals(instance.service()))
        .findFirst()
        .orElseThrow();
  }

  /** Kith with default settings, hash placement, and Kith with takeover on, on one mesh. */
  record Outcome(Result kith, Result hash, Result takeover) {

    /** Kith's time to the first exhaustion over hash placement's. */
    double ratio() {
      return (double) kith.firstLifetime() / hash.firstLifetime();
    }

    double takeoverRatio() {
      return (double) takeover.firstLifetime() / hash.firstLifetime();
    }
  }

  /** Runs the three strategies on the mesh. */
  static Outcome compare(Mesh mesh) {
    PowerSimulation simulation = new PowerSimulation(mesh, null);
    return new Outcome(
        simulation.run(kith(Set.of())),
        simulation.run(hash(0)),
        simulation.run(kith(mesh.owners())));
  }

  /**
   * The battery devices that live shorter (first run empty earlier) under {@code a} than {@code b}.
   */
  static List<String> shorterLived(Result a, Result b) {
    return a.firstExhaustedMinute().keySet().stream()
        .filter(d -> a.lifetime(d) < b.lifetime(d))
        .toList();
  }

  /** The whole report: parameters, the comparison, how much hash luck matters, and sensitivity. */
  static String report(Mesh mesh) {
    Outcome outcome = compare(mesh);
    return summary(mesh, outcome) + '\n' + luck(mesh, outcome, 100) + '\n' + sensitivity(mesh);
  }

  /** The parameters, the table and the ratios. */
  static String summary(Mesh mesh, Outcome outcome) {
    return parameters(mesh) + '\n' + table(mesh, outcome) + '\n' + verdict(outcome);
  }

  static String parameters(Mesh mesh) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Power simulation: %d h from %02d:00 in 1-minute steps. Low battery: below %.0f%%, not"
                + " charging. An empty battery keeps its device dead until it has charged to"
                + " %.0f%%. Takeover, where on, waits for %d min of stable life.%n",
            HORIZON_MINUTES / 60,
            START_MINUTE_OF_DAY / 60,
            LOW_BATTERY_RATIO * 100,
            REVIVE_LEVEL * 100,
            TAKEOVER_STABLE_MILLIS / MILLIS_PER_MINUTE));
    out.append("Devices:\n");
    for (Profile p : mesh.devices()) {
      out.append(String.format(Locale.ROOT, "  %-13s %s%n", p.name(), p.describe()));
    }
    out.append(
        "Services (load = battery drain it adds on a phone, %/min; half that on the laptop):\n");
    for (ServiceSpec s : mesh.services()) {
      out.append(
          String.format(
              Locale.ROOT, "  %-9s %-22s %.2f%n", s.service(), s.placement().wireName(), s.load()));
    }
    out.append("Failover orders: ")
        .append(
            String.join(
                "; ",
                new TreeMap<>(mesh.failover())
                    .entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()))
        .append('\n');
    return out.toString();
  }

  static String table(Mesh mesh, Outcome outcome) {
    List<String> batteries = batteryDevices(mesh);
    List<List<String>> rows = new ArrayList<>();
    List<String> header =
        new ArrayList<>(
            List.of("strategy", "availability", "moves", "forced moves", "first battery empty"));
    batteries.forEach(b -> header.add(b + " empty at (min dead)"));
    rows.add(header);
    for (Result r : List.of(outcome.kith(), outcome.hash(), outcome.takeover())) {
      List<String> row =
          new ArrayList<>(
              List.of(
                  r.strategy(),
                  String.format(Locale.ROOT, "%.2f%%", r.availability() * 100),
                  Integer.toString(r.moves()),
                  Integer.toString(r.forced()),
                  clock(r.firstExhaustion())));
      for (String b : batteries) {
        row.add(clock(r.firstExhaustedMinute().get(b)) + " (" + r.minutesExhausted().get(b) + ")");
      }
      rows.add(row);
    }
    return markdown(rows);
  }

  static String verdict(Outcome outcome) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Time to the first empty battery, kith / hash: %d / %d min = %.2fx%n",
            outcome.kith().firstLifetime(),
            outcome.hash().firstLifetime(),
            outcome.ratio()));
    out.append(
        String.format(
            Locale.ROOT,
            "Time to the first empty battery, kith + takeover / hash: %d / %d min = %.2fx%n",
            outcome.takeover().firstLifetime(),
            outcome.hash().firstLifetime(),
            outcome.takeoverRatio()));
    out.append(
        String.format(
            Locale.ROOT,
            "(\"never\" counts as the %d-minute horizon.) Battery devices that run empty earlier"
                + " than under hash: kith %s; kith + takeover %s.%n",
            HORIZON_MINUTES,
            listOrNone(shorterLived(outcome.kith(), outcome.hash())),
            listOrNone(shorterLived(outcome.takeover(), outcome.hash()))));
    return out.toString();
  }

  /**
   * Hash placement's result depends on where the hash happens to put things, so this repeats it
   * with salted hashes and says how often Kith still does at least as well on every battery.
   */
  static String luck(Mesh mesh, Outcome outcome, int salts) {
    PowerSimulation simulation = new PowerSimulation(mesh, null);
    List<Integer> firsts = new ArrayList<>();
    int kithAsGood = 0;
    int takeoverAsGood = 0;
    int kithRatio = 0;
    int takeoverRatio = 0;
    for (int salt = 1; salt <= salts; salt++) {
      Result hash = simulation.run(hash(salt));
      firsts.add(hash.firstLifetime());
      kithAsGood += shorterLived(outcome.kith(), hash).isEmpty() ? 1 : 0;
      takeoverAsGood += shorterLived(outcome.takeover(), hash).isEmpty() ? 1 : 0;
      kithRatio += outcome.kith().firstLifetime() >= 1.5 * hash.firstLifetime() ? 1 : 0;
      takeoverRatio += outcome.takeover().firstLifetime() >= 1.5 * hash.firstLifetime() ? 1 : 0;
    }
    firsts.sort(Integer::compare);
    return String.format(
        Locale.ROOT,
        "Hash luck, over %d salted hashes: the first battery ran empty after %d min at the"
            + " earliest, %d median, %d at the latest. Every battery device lived at least as"
            + " long under kith in %d of them (ratio >= 1.5 in %d), and under kith + takeover in"
            + " %d (ratio >= 1.5 in %d).%n",
        salts,
        firsts.get(0),
        firsts.get(firsts.size() / 2),
        firsts.get(firsts.size() - 1),
        kithAsGood,
        kithRatio,
        takeoverAsGood,
        takeoverRatio);
  }

  /** The comparison again with the phones' idle drain and the services' loads changed. */
  static String sensitivity(Mesh mesh) {
    Map<String, Mesh> variants = new LinkedHashMap<>();
    variants.put("as above", mesh);
    variants.put("phones idle 0.05 %/min", mesh.withPhoneIdle(0.05));
    variants.put("phones idle 0.10 %/min", mesh.withPhoneIdle(0.10));
    variants.put("service loads x0.5", mesh.withServiceLoads(0.5));
    variants.put("service loads x1.5", mesh.withServiceLoads(1.5));
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "variant",
            "kith first empty",
            "hash first empty",
            "kith / hash",
            "kith + takeover first empty",
            "kith + takeover / hash",
            "runs empty earlier than under hash"));
    variants.forEach(
        (label, variant) -> {
          Outcome o = compare(variant);
          rows.add(
              List.of(
                  label,
                  clock(o.kith().firstExhaustion()),
                  clock(o.hash().firstExhaustion()),
                  String.format(Locale.ROOT, "%.2fx", o.ratio()),
                  clock(o.takeover().firstExhaustion()),
                  String.format(Locale.ROOT, "%.2fx", o.takeoverRatio()),
                  "kith: "
                      + listOrNone(shorterLived(o.kith(), o.hash()))
                      + "; + takeover: "
                      + listOrNone(shorterLived(o.takeover(), o.hash()))));
        });
    return "Sensitivity:\n" + markdown(rows);
  }

  private static List<String> batteryDevices(Mesh mesh) {
    return mesh.devices().stream().filter(Profile::battery).map(Profile::name).toList();
  }

  private static String listOrNone(List<String> names) {
    return names.isEmpty() ? "none" : String.join(", ", names);
  }

  /** A Markdown table with aligned columns; the first row is the header. */
  private static String markdown(List<List<String>> rows) {
    int columns = rows.get(0).size();
    int[] width = new int[columns];
    for (List<String> row : rows) {
      for (int c = 0; c < columns; c++) {
        width[c] = Math.max(width[c], row.get(c).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < rows.size(); r++) {
      out.append('|');
      for (int c = 0; c < columns; c++) {
        out.append(' ').append(pad(rows.get(r).get(c), width[c])).append(" |");
      }
      out.append('\n');
      if (r == 0) {
        out.append('|');
        for (int c = 0; c < columns; c++) {
          out.append("-".repeat(width[c] + 2)).append('|');
        }
        out.append('\n');
      }
    }
    return out.toString();
  }

  private static String pad(String text, int width) {
    return text + " ".repeat(width - text.length());
  }

  /** A minute of the run as "never" or day and wall-clock time, e.g. "d2 13:05". */
  static String clock(int minute) {
    if (minute == NEVER) {
      return "never";
    }
    int absolute = START_MINUTE_OF_DAY + minute;
    return String.format(
        Locale.ROOT,
        "d%d %02d:%02d",
        absolute / MINUTES_PER_DAY + 1,
        absolute % MINUTES_PER_DAY / 60,
        absolute % 60);
  }

  public static void main(String[] args) {
    Mesh mesh = defaultMesh();
    if (List.of(args).contains("--trace")) {
      PowerSimulation simulation = new PowerSimulation(mesh, System.out);
      simulation.run(kith(Set.of()));
      simulation.run(hash(0));
      simulation.run(kith(mesh.owners()));
      System.out.println();
    }
    System.out.print(report(mesh));
  }
}
