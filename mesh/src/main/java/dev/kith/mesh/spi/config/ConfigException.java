package dev.kith.mesh.spi.config;

/**
 * A configuration or usage error. Its message is one line that names the key and the value at
 * fault, and the device exits with code 2 when it sees one.
 */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
  }
}
