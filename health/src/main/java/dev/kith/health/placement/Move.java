package dev.kith.health.placement;

import java.util.Objects;

/**
 * One change a plan asks for. A planned move (low battery, drain, takeover, power) is a handoff:
 * the controller starts the instance on {@code to} before it stops it on {@code from}.
 *
 * @param instance the instance
 * @param from the device it runs on now, or null if it is not placed
 * @param to the device it should run on, or null if no device may run it, so it stops running
 * @param reason why
 */
public record Move(InstanceKey instance, String from, String to, MoveReason reason) {

  public Move {
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(reason, "reason");
    if (Objects.equals(from, to)) {
      throw new IllegalArgumentException("placement: a move of " + instance + " goes nowhere");
    }
  }
}
