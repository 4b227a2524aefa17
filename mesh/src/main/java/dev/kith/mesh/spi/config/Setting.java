package dev.kith.mesh.spi.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One setting: its key (the spelling of the file key and, with {@code --}, of the flag), its
 * default as the file would spell it ({@code null} for none), and the line {@code kith --help}
 * shows. The environment spells it {@code KITH_} and the key in upper case with {@code _} for
 * {@code -}.
 *
 * @param kind how the command line reads it
 */
public record Setting(String key, String defaultValue, String help, Kind kind) {

  private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  /** How a flag takes its value. */
  public enum Kind {
    /** {@code --key VALUE} or {@code --key=VALUE}. */
    VALUE,
    /** {@code --key} alone means true; {@code --key=false} turns it off. */
    SWITCH,
    /** A value that may be given more than once; the values join into one comma list. */
    REPEATABLE
  }

  public Setting {
    if (key == null || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("a setting key is lowercase with '-': " + key);
    }
    if (help == null || help.isBlank()) {
      throw new IllegalArgumentException("the setting " + key + " needs a help line");
    }
  }

  /** A setting that takes one value. */
  public static Setting of(String key, String defaultValue, String help) {
    return new Setting(key, defaultValue, help, Kind.VALUE);
  }

  /** A true/false setting whose flag alone means true. */
  public static Setting flag(String key, String defaultValue, String help) {
    return new Setting(key, defaultValue, help, Kind.SWITCH);
  }

  /** A setting whose flag may be repeated, each value added to the list. */
  public static Setting repeatable(String key, String defaultValue, String help) {
    return new Setting(key, defaultValue, help, Kind.REPEATABLE);
  }

  /** {@code --key}. */
  public String flagName() {
    return "--" + key;
  }

  /** {@code KITH_KEY}. */
  public String envVar() {
    return "KITH_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }
}
