package dev.kith.mesh.spi.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The values of settings after every source has been applied (defaults, file, environment, flags),
 * with typed readers. Each reader checks its value and throws a {@link ConfigException} that names
 * the key, so a section's {@link ConfigSection#parse} reads like a list of its settings.
 */
public final class Settings {

  /** A host name or address, as {@code join}, {@code public-host} and relays take it. */
  public static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");

  /** A lowercase name label: an owner, or a part of a device name. */
  public static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private final Map<String, Object> values;

  /** Values by key; a key without a value (and without a default) is absent. */
  public Settings(Map<String, Object> values) {
    this.values = values;
  }

  /** Whether the setting has a value. */
  public boolean has(String key) {
    return values.get(key) != null;
  }

  /** The value as the source gave it (a string, a number, a YAML list or map), or null. */
  public Object raw(String key) {
    return values.get(key);
  }

  /** The value as one trimmed string. */
  public String string(String key) {
    Object o = values.get(key);
    if (o == null) {
      throw new ConfigException(key, "needs a value");
    }
    if (o instanceof Map<?, ?> || o instanceof List<?>) {
      throw new ConfigException(key, "must be a single value, not " + o);
    }
    return String.valueOf(o).trim();
  }

  /** The value as one trimmed string, or {@code null} when it has none. */
  public String optional(String key) {
    return has(key) ? string(key) : null;
  }

  /** A comma-separated (or YAML) list, each item trimmed, blanks dropped. */
  public List<String> list(String key) {
    return splitList(values.get(key));
  }

  /** A whole number in {@code [min, max]}. */
  public long longValue(String key, long min, long max) {
    String raw = string(key);
    long n;
    try {
      n = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "'" + raw + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw new ConfigException(key, n + " is out of range (" + min + "-" + max + ")");
    }
    return n;
  }

  /** A whole number in {@code [min, max]}. */
  public int integer(String key, int min, int max) {
    return (int) longValue(key, min, max);
  }

  /** A decimal number in {@code [min, max)}. */
  public double fraction(String key, double min, double max) {
    String raw = string(key);
    double d;
    try {
      d = Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "'" + raw + "' is not a number");
    }
    if (!(d >= min && d < max)) {
      throw new ConfigException(key, raw + " is not in [" + min + ", " + max + ")");
    }
    return d;
  }

  /** {@code true}, {@code yes}, {@code on}, {@code 1} or their opposites. */
  public boolean bool(String key) {
    String raw = string(key).toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigException(key, "'" + raw + "' is not true or false");
    };
  }

  /** A port number from {@code min} (0 where 0 means "none" or "any") to 65535. */
  public int port(String key, int min) {
    return port(key, string(key), min);
  }

  /** Checks {@code raw} as a port number of {@code key}. */
  public static int port(String key, String raw, int min) {
    int p;
    try {
      p = Integer.parseInt(raw.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "'" + raw + "' is not a port number");
    }
    if (p < min || p > 65535) {
      throw new ConfigException(key, p + " is not a port (" + min + "-65535)");
    }
    return p;
  }

  /** The IP address setting {@code key} names for a server to listen on. */
  public String listenAddress(String key) {
    String host = string(key);
    if (!HOST.matcher(host).matches() || !(host.contains(":") || host.matches("[0-9.]+"))) {
      throw new ConfigException(key, "'" + host + "' is not an IP address to listen on");
    }
    return host;
  }

  /** {@code HOST:PORT}, checked; null when the setting has no value. */
  public String hostAndPort(String key) {
    String value = optional(key);
    if (value != null) {
      checkHostAndPort(key, value);
    }
    return value;
  }

  /** Checks that {@code value} is {@code HOST:PORT}. */
  public static void checkHostAndPort(String key, String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || !HOST.matcher(value.substring(0, colon)).matches()) {
      throw new ConfigException(key, "'" + value + "' is not HOST:PORT");
    }
    port(key, value.substring(colon + 1), 1);
  }

  /** A file that must be readable; null when the setting has no value. */
  public Path readableFile(String key) {
    String value = optional(key);
    if (value == null) {
      return null;
    }
    Path file = Path.of(value);
    if (!Files.isReadable(file)) {
      throw new ConfigException(key, file + " cannot be read");
    }
    return file;
  }

  /** Fails unless both settings have a value or neither has: a certificate and its key. */
  public void together(String first, String second) {
    if (has(first) != has(second)) {
      throw new ConfigException(
          has(first) ? second : first, first + " and " + second + " go together");
    }
  }

  /** Splits a comma list, or takes a YAML list as it is. */
  public static List<String> splitList(Object raw) {
    List<String> out = new ArrayList<>();
    if (raw instanceof List<?> items) {
      items.forEach(i -> out.add(String.valueOf(i).trim()));
    } else if (raw != null) {
      for (String s : raw.toString().split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    }
    return out;
  }
}
