package dev.kith.mesh.config;

import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The modules' configuration sections on the class path, and every setting a device knows: its own
 * first, then each section's, in a stable order.
 */
public final class ConfigSections {

  private ConfigSections() {}

  /** Every section declared through {@link ServiceLoader}, ordered by name. */
  public static List<ConfigSection<?>> installed() {
    List<ConfigSection<?>> found = new ArrayList<>();
    ServiceLoader.load(ConfigSection.class).forEach(found::add);
    found.sort(Comparator.comparing(ConfigSection::name));
    return List.copyOf(found);
  }

  /**
   * Every setting by key: the device's own ({@code core}), then the sections'.
   *
   * @throws IllegalStateException when two declare one key
   */
  public static Map<String, Setting> settings(List<Setting> core, List<ConfigSection<?>> sections) {
    Map<String, Setting> all = new LinkedHashMap<>();
    for (Setting setting : core) {
      all.put(setting.key(), setting);
    }
    for (ConfigSection<?> section : sections) {
      for (Setting setting : section.settings()) {
        if (all.putIfAbsent(setting.key(), setting) != null) {
          throw new IllegalStateException(
              "the setting "
                  + setting.key()
                  + " of section "
                  + section.name()
                  + " is declared twice");
        }
      }
    }
    return all;
  }
}
