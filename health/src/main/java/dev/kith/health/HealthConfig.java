package dev.kith.health;

import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Settings of health gossip, failure detection and placement. {@link Section} declares them to the
 * device, which reads them from every source like its own.
 *
 * @param power where power readings come from: {@code auto} (Linux sysfs), {@code mains}, or a
 *     simulated battery such as {@code battery:0.80:discharging:0.5} (level, percent per minute)
 * @param gossipPeriodMillis how often a device on mains publishes its status
 * @param gossipPeriodOnBatteryMillis how often a device on battery publishes its status
 * @param suspectAfterMillis silence after which a device is suspect
 * @param deadAfterMillis silence after which a device is dead and its services move
 * @param lowBatteryRatio below this level, a discharging device hands its services off
 * @param takeoverOwners owners whose services move back when a preferred device returns
 */
public record HealthConfig(
    String power,
    int gossipPeriodMillis,
    int gossipPeriodOnBatteryMillis,
    int suspectAfterMillis,
    int deadAfterMillis,
    double lowBatteryRatio,
    Set<String> takeoverOwners) {

  public HealthConfig {
    takeoverOwners = Set.copyOf(takeoverOwners);
  }

  /** The health section of the device's configuration. */
  public static final class Section implements ConfigSection<HealthConfig> {

    static final String POWER = "power";
    static final String GOSSIP_PERIOD_MILLIS = "gossip-period-millis";
    static final String GOSSIP_PERIOD_ON_BATTERY_MILLIS = "gossip-period-on-battery-millis";
    static final String SUSPECT_AFTER_MILLIS = "suspect-after-millis";
    static final String DEAD_AFTER_MILLIS = "dead-after-millis";
    static final String LOW_BATTERY_RATIO = "low-battery-ratio";
    static final String TAKEOVER = "takeover";

    @Override
    public String name() {
      return "health";
    }

    @Override
    public Class<HealthConfig> type() {
      return HealthConfig.class;
    }

    @Override
    public List<Setting> settings() {
      return List.of(
          Setting.of(
              POWER,
              "auto",
              "auto (sysfs), mains, or battery:LEVEL:charging|discharging:PCT_PER_MIN"),
          Setting.of(GOSSIP_PERIOD_MILLIS, "1000", "status gossip period on mains"),
          Setting.of(GOSSIP_PERIOD_ON_BATTERY_MILLIS, "1500", "status gossip period on battery"),
          Setting.of(SUSPECT_AFTER_MILLIS, "2000", "silence before a device is suspect"),
          Setting.of(DEAD_AFTER_MILLIS, "3000", "silence before a device is dead"),
          Setting.of(LOW_BATTERY_RATIO, "0.20", "hand services off below this battery level"),
          Setting.of(TAKEOVER, "", "OWNER,... whose services move back to a preferred device"));
    }

    @Override
    public HealthConfig parse(Settings v) {
      int period = v.integer(GOSSIP_PERIOD_MILLIS, 100, 60_000);
      int batteryPeriod = v.integer(GOSSIP_PERIOD_ON_BATTERY_MILLIS, 100, 60_000);
      int suspect = v.integer(SUSPECT_AFTER_MILLIS, 200, 600_000);
      int dead = v.integer(DEAD_AFTER_MILLIS, 300, 600_000);
      int slowest = Math.max(period, batteryPeriod);
      if (suspect <= slowest) {
        throw new ConfigException(
            SUSPECT_AFTER_MILLIS,
            suspect + " must exceed the slowest gossip period (" + slowest + " ms)");
      }
      if (dead <= suspect) {
        throw new ConfigException(
            DEAD_AFTER_MILLIS, dead + " must exceed suspect-after-millis (" + suspect + ")");
      }
      String power = v.string(POWER);
      if (power.isEmpty() || power.length() > 100) {
        throw new ConfigException(POWER, "'" + power + "' is not a power source");
      }
      double lowBattery = v.fraction(LOW_BATTERY_RATIO, 0, 1);
      Set<String> takeover = new LinkedHashSet<>();
      for (String owner : v.list(TAKEOVER)) {
        if (!Settings.LABEL.matcher(owner).matches()) {
          throw new ConfigException(TAKEOVER, "'" + owner + "' is not an owner name");
        }
        takeover.add(owner);
      }
      return new HealthConfig(power, period, batteryPeriod, suspect, dead, lowBattery, takeover);
    }
  }
}
