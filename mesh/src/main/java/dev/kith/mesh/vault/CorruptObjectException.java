package dev.kith.mesh.vault;

import java.io.IOException;

/**
 * An object's bytes on disk no longer hash to its id. The store has already moved the file aside
 * and forgotten the object, so a copy from another device can be stored again.
 */
public class CorruptObjectException extends IOException {

  private final String owner;
  private final String id;

  public CorruptObjectException(String owner, String id, String message) {
    super(message);
    this.owner = owner;
    this.id = id;
  }

  public String owner() {
    return owner;
  }

  public String id() {
    return id;
  }
}
