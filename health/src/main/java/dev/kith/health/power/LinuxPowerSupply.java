package dev.kith.health.power;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads power from the Linux kernel's power supply class, normally {@code /sys/class/power_supply}.
 * Each entry there is a directory with a {@code type} file. A {@code Battery} gives a level ({@code
 * capacity} in percent, else {@code energy_now/energy_full}, else {@code charge_now/charge_full})
 * and a {@code status}; a {@code Mains}, {@code USB} or {@code Wireless} supply says whether it is
 * {@code online}. Batteries of attached devices ({@code scope} = {@code Device}, such as a wireless
 * mouse) and empty battery bays ({@code present} = 0) do not power this device and are skipped.
 * Several batteries combine weighted by energy when every one reports it, else by the average
 * level. A device with no battery is on mains. When no supply entry says whether it is online, a
 * battery that is charging, full or not charging is taken as plugged in. Anything unreadable is
 * skipped and reported through {@link #lastProblem()}; if no battery can be read at all the device
 * counts as on mains, because taking services away from a healthy device on a bad reading costs
 * more than leaving them on a draining one a little longer. Battery files are served by the
 * firmware and can take milliseconds to read, so call {@link #read()} on a worker.
 */
public final class LinuxPowerSupply implements PowerSource {

  /** Where the kernel publishes power supplies. */
  public static final Path SYSFS = Path.of("/sys/class/power_supply");

  private final Path directory;
  private volatile String lastProblem;

  public LinuxPowerSupply() {
    this(SYSFS);
  }

  public LinuxPowerSupply(Path directory) {
    this.directory = directory;
  }

  public Path directory() {
    return directory;
  }

  @Override
  public PowerStatus read() {
    List<String> problems = new ArrayList<>();
    PowerStatus status;
    try {
      status = readTree(problems);
    } catch (IOException | RuntimeException e) {
      problems.add("cannot read " + directory + ": " + oneLine(e));
      status = PowerStatus.MAINS;
    }
    lastProblem = problems.isEmpty() ? null : String.join("; ", problems);
    return status;
  }

  @Override
  public Optional<String> lastProblem() {
    return Optional.ofNullable(lastProblem);
  }

  private PowerStatus readTree(List<String> problems) throws IOException {
    if (!Files.isDirectory(directory)) {
      problems.add("no directory " + directory + "; assuming mains");
      return PowerStatus.MAINS;
    }
    List<Path> entries;
    try (Stream<Path> list = Files.list(directory)) {
      entries = list.filter(Files::isDirectory).sorted().toList();
    }
    List<Battery> batteries = new ArrayList<>();
    int unreadableBatteries = 0;
    boolean supplySeen = false;
    boolean supplyOnline = false;
    for (Path entry : entries) {
      Attributes files = new Attributes(entry, problems);
      String type = files.text("type");
      if (type == null) {
        continue;
      }
      if (type.equals("Battery")) {
        if ("Device".equalsIgnoreCase(files.text("scope")) || "0".equals(files.text("present"))) {
          continue;
        }
        Battery battery = readBattery(files);
        if (battery == null) {
          unreadableBatteries++;
        } else {
          batteries.add(battery);
        }
      } else if (isExternalSupply(type)) {
        Long online = files.number("online");
        if (online != null) {
          supplySeen = true;
          supplyOnline |= online == 1;
        }
      }
    }
    if (batteries.isEmpty()) {
      if (unreadableBatteries > 0) {
        problems.add("no battery could be read; assuming mains");
      }
      return PowerStatus.MAINS;
    }
    boolean charging = batteries.stream().anyMatch(b -> b.status().equals("Charging"));
    boolean onMains =
        supplySeen ? supplyOnline : batteries.stream().anyMatch(Battery::impliesExternalPower);
    return new PowerStatus(onMains, combinedLevel(batteries), charging);
  }

  private static Battery readBattery(Attributes files) {
    Long energyNow = files.number("energy_now");
    Long energyFull = files.number("energy_full");
    double level;
    Long capacity = files.number("capacity");
    if (capacity != null) {
      level = capacity / 100.0;
    } else if (energyNow != null && energyFull != null && energyFull > 0) {
      level = (double) energyNow / energyFull;
    } else {
      Long chargeNow = files.number("charge_now");
      Long chargeFull = files.number("charge_full");
      if (chargeNow == null || chargeFull == null || chargeFull <= 0) {
        files.problem("has no readable capacity, energy_now/energy_full or charge_now/charge_full");
        return null;
      }
      level = (double) chargeNow / chargeFull;
    }
    String status = files.text("status");
    boolean energyKnown =
        energyNow != null && energyNow >= 0 && energyFull != null && energyFull > 0;
    return new Battery(
        clamp(level),
        energyKnown ? energyNow : -1,
        energyKnown ? energyFull : -1,
        status == null ? "Unknown" : status);
  }

  private static double combinedLevel(List<Battery> batteries) {
    // Energy weights a small second battery by its size; an average would let a nearly empty
    // 24 Wh battery pull a full 72 Wh one down to half.
    if (batteries.stream().allMatch(b -> b.energyFull() > 0)) {
      double now = batteries.stream().mapToDouble(Battery::energyNow).sum();
      double full = batteries.stream().mapToDouble(Battery::energyFull).sum();
      return clamp(now / full);
    }
    return clamp(batteries.stream().mapToDouble(Battery::level).average().orElse(1.0));
  }

  private static boolean isExternalSupply(String type) {
    return type.equals("Mains") || type.startsWith("USB") || type.equals("Wireless");
  }

  private static double clamp(double level) {
    // Worn batteries report energy_now above energy_full and capacity above 100.
    return Math.max(0.0, Math.min(1.0, level));
  }

  private static String oneLine(Exception e) {
    String message = e.getMessage() == null ? "" : ": " + e.getMessage();
    return (e.getClass().getSimpleName() + message).replaceAll("\\s+", " ");
  }

  private record Battery(double level, long energyNow, long energyFull, String status) {
    boolean impliesExternalPower() {
      return status.equals("Charging") || status.equals("Full") || status.equals("Not charging");
    }
  }

  /** The attribute files of one entry, noting every one that exists but cannot be used. */
  private static final class Attributes {
    private final Path entry;
    private final List<String> problems;

    Attributes(Path entry, List<String> problems) {
      this.entry = entry;
      this.problems = problems;
    }

    /** The trimmed content, or null when the file is absent or unreadable. */
    String text(String name) {
      Path file = entry.resolve(name);
      try {
        // ISO-8859-1 maps every byte, so a garbage file cannot fail decoding.
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).trim();
      } catch (NoSuchFileException e) {
        return null;
      } catch (IOException | RuntimeException e) {
        problems.add("cannot read " + file + ": " + oneLine(e));
        return null;
      }
    }

    /** The whole number in the file, or null when it is absent, unreadable or not a number. */
    Long number(String name) {
      String text = text(name);
      if (text == null) {
        return null;
      }
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        String shown = text.length() > 20 ? text.substring(0, 20) + "..." : text;
        problems.add(
            entry.resolve(name)
                + ": '"
                + shown.replaceAll("\\p{Cntrl}", "?")
                + "' is not a number");
        return null;
      }
    }

    void problem(String what) {
      problems.add(entry + " " + what);
    }
  }
}
