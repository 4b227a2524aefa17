package dev.kith.mesh.vault;

import java.util.function.LongSupplier;

/**
 * A hybrid logical clock: timestamps that follow the wall clock but never go backwards and always
 * exceed every timestamp this device has sent or received.
 *
 * <p>A timestamp is one {@code long}: the high 48 bits hold wall-clock milliseconds, the low 16
 * bits a counter that orders events within one millisecond. Packed this way, comparing two
 * timestamps as plain longs compares them as HLCs. When the counter would pass {@value
 * #MAX_COUNTER}, the timestamp moves to the next millisecond instead; the clock then runs slightly
 * ahead of the wall clock until the wall clock catches up. The millisecond part stays below
 * 2<sup>47</sup> so that every timestamp is non-negative.
 */
public final class Hlc {

  /** The largest counter value; one more moves the timestamp to the next millisecond. */
  public static final int MAX_COUNTER = 0xFFFF;

  /** The largest millisecond value a timestamp can hold (year 6429). */
  public static final long MAX_MILLIS = (1L << 47) - 1;

  private static final int COUNTER_BITS = 16;

  private final LongSupplier clockMillis;
  private long last;

  public Hlc(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
  }

  public Hlc() {
    this(System::currentTimeMillis);
  }

  /** A timestamp for a local event or a message this device sends. */
  public synchronized long now() {
    return advance(last);
  }

  /**
   * A timestamp for receiving {@code remote}: greater than {@code remote}, than every timestamp
   * this clock has issued, and not behind the wall clock.
   */
  public synchronized long observe(long remote) {
    if (remote < 0) {
      throw new IllegalArgumentException("an HLC timestamp is never negative: " + remote);
    }
    return advance(Math.max(last, remote));
  }

  /** The wall clock if it has moved past {@code floor}'s millisecond, else one tick past floor. */
  private long advance(long floor) {
    long wall = Math.max(0, clockMillis.getAsLong());
    if (wall > millis(floor)) {
      last = of(wall, 0);
    } else {
      // The counter sits in the low bits, so +1 carries into the next millisecond on overflow.
      if (millis(floor) == MAX_MILLIS && counter(floor) == MAX_COUNTER) {
        throw new IllegalStateException("the clock has reached its last timestamp");
      }
      last = floor + 1;
    }
    return last;
  }

  public static long of(long millis, int counter) {
    if (millis < 0 || millis > MAX_MILLIS) {
      throw new IllegalArgumentException("millis must be in [0, 2^47): " + millis);
    }
    if (counter < 0 || counter > MAX_COUNTER) {
      throw new IllegalArgumentException("counter must be in [0, " + MAX_COUNTER + "]: " + counter);
    }
    return (millis << COUNTER_BITS) | counter;
  }

  public static long millis(long hlc) {
    return hlc >>> COUNTER_BITS;
  }

  public static int counter(long hlc) {
    return (int) (hlc & MAX_COUNTER);
  }

  /** Readable form for logs: {@code millis.counter}. */
  public static String format(long hlc) {
    return millis(hlc) + "." + counter(hlc);
  }
}
