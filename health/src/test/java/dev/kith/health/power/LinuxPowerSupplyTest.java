package dev.kith.health.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The Linux power supply reader")
class LinuxPowerSupplyTest {

  @TempDir Path sysfs;

  /** Writes one power supply entry the way the kernel shows it: one value per file. */
  private Path entry(String name, String... fileValuePairs) throws IOException {
    Path dir = Files.createDirectories(sysfs.resolve(name));
    for (int i = 0; i < fileValuePairs.length; i += 2) {
      Files.writeString(dir.resolve(fileValuePairs[i]), fileValuePairs[i + 1] + "\n");
    }
    return dir;
  }

  private Path adapter(boolean online) throws IOException {
    return entry("AC", "type", "Mains", "online", online ? "1" : "0");
  }

  private PowerStatus read() {
    return new LinuxPowerSupply(sysfs).read();
  }

  @Test
  @DisplayName("reports mains at full level for a device with no battery, without a problem")
  void noBattery() throws IOException {
    adapter(true);
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(supply.lastProblem()).isEmpty();
  }

  @Test
  @DisplayName("reports mains for an empty power supply directory, as in a container")
  void emptyDirectory() {
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(supply.lastProblem()).isEmpty();
  }

  @Test
  @DisplayName("reports a battery at 42% and discharging when unplugged")
  void discharging() throws IOException {
    adapter(false);
    entry("BAT0", "type", "Battery", "capacity", "42", "status", "Discharging");

    assertThat(read()).isEqualTo(PowerStatus.battery(0.42, false));
  }

  @Test
  @DisplayName("reports mains and charging for a plugged-in laptop whose battery is charging")
  void charging() throws IOException {
    adapter(true);
    entry("BAT0", "type", "Battery", "capacity", "63", "status", "Charging");

    assertThat(read()).isEqualTo(new PowerStatus(true, 0.63, true));
  }

  @Test
  @DisplayName("reports mains and not charging for a plugged-in laptop whose battery is full")
  void fullOnMains() throws IOException {
    adapter(true);
    entry("BAT0", "type", "Battery", "capacity", "100", "status", "Full");

    assertThat(read()).isEqualTo(new PowerStatus(true, 1.0, false));
  }

  @Test
  @DisplayName("takes a full or not-charging battery as plugged in when no adapter entry exists")
  void inferredMains() throws IOException {
    entry("BAT0", "type", "Battery", "capacity", "80", "status", "Not charging");

    assertThat(read()).isEqualTo(new PowerStatus(true, 0.80, false));

    entry("BAT0", "status", "Discharging");

    assertThat(read()).isEqualTo(PowerStatus.battery(0.80, false));
  }

  @Test
  @DisplayName("counts a USB supply that is online as mains, as phones and boards report it")
  void usbSupply() throws IOException {
    entry("usb", "type", "USB", "online", "1");
    entry("ucsi-source-psy-USBC000:001", "type", "USB", "online", "0");
    entry("battery", "type", "Battery", "capacity", "55", "status", "Charging");

    assertThat(read()).isEqualTo(new PowerStatus(true, 0.55, true));
  }

  @Test
  @DisplayName("computes the level from energy_now and energy_full when there is no capacity")
  void energyOnly() throws IOException {
    adapter(false);
    entry(
        "BAT0",
        "type",
        "Battery",
        "energy_now",
        "15000000",
        "energy_full",
        "60000000",
        "status",
        "Discharging");

    assertThat(read().batteryLevel()).isCloseTo(0.25, within(1e-9));
  }

  @Test
  @DisplayName("computes the level from charge_now and charge_full when there is nothing else")
  void chargeOnly() throws IOException {
    adapter(false);
    entry(
        "BAT0",
        "type",
        "Battery",
        "charge_now",
        "3000000",
        "charge_full",
        "4000000",
        "status",
        "Discharging");

    assertThat(read().batteryLevel()).isCloseTo(0.75, within(1e-9));
  }

  @Test
  @DisplayName("clamps a worn battery reporting more than full to level 1")
  void overFull() throws IOException {
    adapter(true);
    entry(
        "BAT0",
        "type",
        "Battery",
        "energy_now",
        "52000000",
        "energy_full",
        "50000000",
        "status",
        "Full");

    assertThat(read().batteryLevel()).isEqualTo(1.0);
  }

  @Test
  @DisplayName("weights two batteries by energy, so a small empty one barely lowers a big full one")
  void twoBatteriesByEnergy() throws IOException {
    adapter(false);
    entry(
        "BAT0",
        "type",
        "Battery",
        "capacity",
        "100",
        "energy_now",
        "72000000",
        "energy_full",
        "72000000",
        "status",
        "Discharging");
    entry(
        "BAT1",
        "type",
        "Battery",
        "capacity",
        "0",
        "energy_now",
        "0",
        "energy_full",
        "24000000",
        "status",
        "Discharging");

    assertThat(read().batteryLevel()).isCloseTo(0.75, within(1e-9));
  }

  @Test
  @DisplayName("averages two batteries when one does not report energy, and charges if either does")
  void twoBatteriesAveraged() throws IOException {
    adapter(true);
    entry("BAT0", "type", "Battery", "capacity", "90", "status", "Full");
    entry(
        "BAT1",
        "type",
        "Battery",
        "capacity",
        "40",
        "energy_now",
        "4000000",
        "energy_full",
        "10000000",
        "status",
        "Charging");

    PowerStatus status = read();

    assertThat(status.onMains()).isTrue();
    assertThat(status.charging()).isTrue();
    assertThat(status.batteryLevel()).isCloseTo(0.65, within(1e-9));
  }

  @Test
  @DisplayName("ignores the battery of an attached device such as a wireless mouse")
  void deviceScopeIgnored() throws IOException {
    adapter(true);
    entry(
        "hidpp_battery_0",
        "type",
        "Battery",
        "scope",
        "Device",
        "capacity",
        "5",
        "status",
        "Discharging");

    assertThat(read()).isEqualTo(PowerStatus.MAINS);
  }

  @Test
  @DisplayName("ignores an empty battery bay but reads the battery that is present")
  void absentBatteryIgnored() throws IOException {
    adapter(false);
    entry("BAT0", "type", "Battery", "present", "1", "capacity", "70", "status", "Discharging");
    entry("BAT1", "type", "Battery", "present", "0", "status", "Unknown");
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.battery(0.70, false));
    assertThat(supply.lastProblem()).isEmpty();
  }

  @Test
  @DisplayName("assumes mains and says which file is wrong when the only battery holds garbage")
  void garbageCapacity() throws IOException {
    adapter(false);
    entry("BAT0", "type", "Battery", "capacity", "forty-two", "status", "Discharging");
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(supply.lastProblem())
        .hasValueSatisfying(
            problem ->
                assertThat(problem)
                    .contains("BAT0")
                    .contains("capacity")
                    .contains("forty-two")
                    .contains("assuming mains")
                    .doesNotContain("\n"));
  }

  @Test
  @DisplayName("assumes mains and reports the file when a battery attribute cannot be read")
  void unreadableCapacity() throws IOException {
    adapter(false);
    Path battery = entry("BAT0", "type", "Battery", "status", "Discharging");
    // Reading a directory fails even as root, where file permissions would not.
    Files.createDirectory(battery.resolve("capacity"));
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(supply.lastProblem())
        .hasValueSatisfying(
            problem -> assertThat(problem).contains("capacity").doesNotContain("\n"));
  }

  @Test
  @DisplayName("skips an entry whose type cannot be read and reads the others")
  void unreadableType() throws IOException {
    adapter(false);
    Files.createDirectories(sysfs.resolve("BAT9").resolve("type"));
    entry("BAT0", "type", "Battery", "capacity", "30", "status", "Discharging");
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.battery(0.30, false));
    assertThat(supply.lastProblem()).hasValueSatisfying(p -> assertThat(p).contains("BAT9"));
  }

  @Test
  @DisplayName("falls back to energy when capacity holds garbage, and still reports the garbage")
  void garbageCapacityWithEnergy() throws IOException {
    adapter(false);
    entry(
        "BAT0",
        "type",
        "Battery",
        "capacity",
        "\u0000\u00ff",
        "energy_now",
        "30000000",
        "energy_full",
        "60000000",
        "status",
        "Discharging");
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);

    assertThat(supply.read()).isEqualTo(PowerStatus.battery(0.5, false));
    assertThat(supply.lastProblem()).hasValueSatisfying(p -> assertThat(p).contains("capacity"));
  }

  @Test
  @DisplayName("reads an unknown status as not charging")
  void unknownStatus() throws IOException {
    adapter(false);
    entry("BAT0", "type", "Battery", "capacity", "12", "status", "Unknown");

    assertThat(read()).isEqualTo(PowerStatus.battery(0.12, false));
  }

  @Test
  @DisplayName("assumes mains and says so when the directory does not exist")
  void missingDirectory() {
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs.resolve("nowhere"));

    assertThat(supply.read()).isEqualTo(PowerStatus.MAINS);
    assertThat(supply.lastProblem()).hasValueSatisfying(p -> assertThat(p).contains("nowhere"));
  }

  @Test
  @DisplayName("forgets the last problem once a reading succeeds")
  void problemClears() throws IOException {
    adapter(false);
    Path battery = entry("BAT0", "type", "Battery", "capacity", "junk", "status", "Discharging");
    LinuxPowerSupply supply = new LinuxPowerSupply(sysfs);
    supply.read();
    assertThat(supply.lastProblem()).isPresent();

    Files.writeString(battery.resolve("capacity"), "50\n");

    assertThat(supply.read()).isEqualTo(PowerStatus.battery(0.5, false));
    assertThat(supply.lastProblem()).isEmpty();
  }

  @Test
  @DisplayName("follows the symbolic links the kernel uses for each entry")
  void followsSymlinks() throws IOException {
    Path real = Files.createDirectories(sysfs.resolve("devices/LNXSYSTM/BAT0"));
    Files.writeString(real.resolve("type"), "Battery\n");
    Files.writeString(real.resolve("capacity"), "81\n");
    Files.writeString(real.resolve("status"), "Discharging\n");
    Path classDir = Files.createDirectories(sysfs.resolve("class"));
    Files.createSymbolicLink(classDir.resolve("BAT0"), real);

    assertThat(new LinuxPowerSupply(classDir).read()).isEqualTo(PowerStatus.battery(0.81, false));
  }

  @Test
  @DisplayName("never throws on this machine's own power supply directory")
  void realSysfs() {
    LinuxPowerSupply supply = new LinuxPowerSupply();

    PowerStatus status = supply.read();

    assertThat(status.batteryLevel()).isBetween(0.0, 1.0);
  }
}
