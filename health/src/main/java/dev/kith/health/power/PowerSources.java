package dev.kith.health.power;

import java.util.Locale;

/**
 * Chooses a device's power source from its configuration ({@code power} in the device config, or
 * {@code KITH_POWER}). Nothing, an empty value or {@code auto} reads the hardware through {@link
 * LinuxPowerSupply}; {@code mains} or a {@code battery:...} spec simulates it through {@link
 * SimulatedPower}, which is what containers and demos want.
 */
public final class PowerSources {

  private PowerSources() {}

  /**
   * The source a spec names.
   *
   * @throws IllegalArgumentException with a one-line message naming what is wrong in the spec
   */
  public static PowerSource fromConfig(String spec) {
    if (spec == null || spec.isBlank() || spec.trim().toLowerCase(Locale.ROOT).equals("auto")) {
      return new LinuxPowerSupply(LinuxPowerSupply.SYSFS);
    }
    return SimulatedPower.parse(spec);
  }
}
