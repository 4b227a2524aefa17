package dev.kith.mesh.vault;

import java.util.regex.Pattern;

/**
 * A fencing token: the placement epoch of the one instance that may write a scope of an owner's
 * records ({@code mail} for alice's mailbox, {@code outbound} for the mesh's mail queue). Every
 * replica remembers the highest epoch it has seen for each scope and refuses a fenced write with a
 * lower one ({@link Vault.Fenced}), so an instance that woke from a hang, or the far side of a
 * healed partition, can no longer change what its successor owns.
 *
 * @param scope what the instance owns, a short lowercase name
 * @param epoch the instance's placement epoch, at least 1
 */
public record Fence(String scope, long epoch) {

  private static final Pattern SCOPE = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  public Fence {
    if (scope == null || !SCOPE.matcher(scope).matches()) {
      throw new IllegalArgumentException("fence scope must match " + SCOPE + ": " + scope);
    }
    if (epoch < 1) {
      throw new IllegalArgumentException("fence epoch must be at least 1: " + epoch);
    }
  }

  @Override
  public String toString() {
    return scope + "@" + epoch;
  }
}
