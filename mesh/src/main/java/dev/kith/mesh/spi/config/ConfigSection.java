package dev.kith.mesh.spi.config;

import java.util.List;

/**
 * A module's own settings: their keys, defaults and {@code --help} lines, and how they are checked
 * and read into the module's typed configuration. A module lists its section in {@code
 * META-INF/services/dev.kith.mesh.spi.config.ConfigSection}; the device finds it with {@link
 * java.util.ServiceLoader}, reads its keys from every source (defaults, the file, {@code KITH_...}
 * variables, flags) like its own, and hands the parsed value to the module's services ({@code
 * ServiceContext#config(Class)}). The mesh knows no section by name.
 *
 * @param <T> the module's configuration type, a record that validates itself
 */
public interface ConfigSection<T> {

  /**
   * A short name for the section's heading in {@code kith --help}: {@code mail}, {@code health}.
   */
  String name();

  /** The type {@link #parse} returns, by which services look the section up. */
  Class<T> type();

  /** Every setting of the section, in the order {@code --help} lists them. */
  List<Setting> settings();

  /**
   * Reads and checks the section's values.
   *
   * @throws ConfigException naming the key, for a value that is out of range or does not fit
   */
  T parse(Settings values);
}
