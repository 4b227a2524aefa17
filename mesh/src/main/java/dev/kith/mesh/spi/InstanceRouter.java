package dev.kith.mesh.spi;

/**
 * Decides where a request for a service address goes right now. The placement controller knows
 * which device runs each placed instance; a router that consults it sends a request straight to
 * that device's copy of the address ({@link #onDevice}), so a request never reaches a stale
 * registration left behind by a dead device or by the far side of a healed partition.
 *
 * <p>Without a router (a device with no placement controller), a request goes to the plain address
 * and the event bus picks any registered consumer.
 */
@FunctionalInterface
public interface InstanceRouter {

  /** The router that sends every request to the plain address. */
  InstanceRouter PLAIN = address -> address;

  /**
   * The address to send a request for {@code address} to: the device-specific address of the
   * instance that should answer, or {@code address} itself when the router does not place it.
   *
   * @throws ServiceUnavailable when no instance can answer now (not placed anywhere, or moving)
   */
  String route(String address);

  /**
   * The copy of {@code address} that only the instance on {@code device} answers. Each device
   * registers it beside the plain address for every instance it runs.
   */
  static String onDevice(String address, String device) {
    return address + "@" + device;
  }
}
