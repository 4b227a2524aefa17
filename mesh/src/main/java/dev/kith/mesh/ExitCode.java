package dev.kith.mesh;

/**
 * The exit codes of the {@code kith} command: 0 after a clean stop or a command that did its work,
 * 2 for a usage or configuration error, a refused join token or a device name already in use, 3
 * when the device learned that it was removed from its mesh, 1 for any other failure.
 */
final class ExitCode {

  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

  /** The device learned that it was removed from its mesh, and stopped. */
  static final int REMOVED = 3;

  private ExitCode() {}
}
