package dev.kith.dns.protocol;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Response rate limiting for UDP, a simplified RRL. UDP sources can be spoofed, so without a limit
 * anyone could make this server send replies at a victim; TCP needs a handshake and is not limited.
 *
 * <p>Each client network (an IPv4 /24 or an IPv6 /56, since one attacker or one home usually holds
 * a whole prefix) has a token bucket of {@code responsesPerSecond} tokens that refills at that
 * rate. A limited response is dropped, except every second one, which "slips": it is sent as an
 * empty TC=1 reply, so a real client behind the prefix retries over TCP and still gets its answer,
 * while a victim gets nothing bigger than the spoofed query.
 *
 * <p>Memory is bounded: at most {@code maxTrackedNetworks} buckets, evicting the least recently
 * used. An evicted network starts again with a full bucket, so a flood of spoofed prefixes can make
 * the limit looser but never blocks anyone. Thread-safe; one lock around a map update.
 */
public final class RateLimiter {

  /** What to do with one UDP response. */
  public enum Decision {
    /** Send the answer. */
    ALLOW,
    /** Send an empty TC=1 reply instead of the answer. */
    SLIP,
    /** Send nothing. */
    DROP
  }

  /** A limiter that allows everything. */
  public static final RateLimiter UNLIMITED = new RateLimiter(0, 1);

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** Marks IPv6 keys, above the 56 bits of a /56 prefix, so they never equal an IPv4 /24 key. */
  private static final long IPV6_KEY = 1L << 56;

  private final int responsesPerSecond;
  private final long nanosPerResponse;
  private final long burstNanos;
  private final Map<Long, Bucket> buckets;

  /**
   * @param responsesPerSecond the sustained rate per network, and the burst; 0 means unlimited
   * @param maxTrackedNetworks how many networks to remember at most
   */
  public RateLimiter(int responsesPerSecond, int maxTrackedNetworks) {
    if (responsesPerSecond < 0) {
      throw new IllegalArgumentException("responsesPerSecond must be >= 0: " + responsesPerSecond);
    }
    if (maxTrackedNetworks < 1) {
      throw new IllegalArgumentException("maxTrackedNetworks must be >= 1: " + maxTrackedNetworks);
    }
    this.responsesPerSecond = responsesPerSecond;
    this.nanosPerResponse = responsesPerSecond == 0 ? 0 : NANOS_PER_SECOND / responsesPerSecond;
    this.burstNanos = nanosPerResponse * responsesPerSecond;
    this.buckets =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Long, Bucket> eldest) {
            return size() > maxTrackedNetworks;
          }
        };
  }

  /**
   * Takes a token from {@code client}'s network.
   *
   * @param nowNanos the current time from a monotonic clock ({@link System#nanoTime()})
   */
  public Decision check(InetAddress client, long nowNanos) {
    if (responsesPerSecond == 0) {
      return Decision.ALLOW;
    }
    long network = networkOf(client);
    synchronized (buckets) {
      Bucket bucket = buckets.computeIfAbsent(network, n -> new Bucket(nowNanos));
      return bucket.take(nowNanos);
    }
  }

  /** How many networks have a bucket now. */
  int trackedNetworks() {
    synchronized (buckets) {
      return buckets.size();
    }
  }

  /** The key of {@code address}'s /24 (IPv4) or /56 (IPv6). */
  static long networkOf(InetAddress address) {
    byte[] bytes = address.getAddress();
    int prefixBytes = address instanceof Inet4Address ? 3 : 7;
    long key = 0;
    for (int i = 0; i < prefixBytes; i++) {
      key = (key << 8) | (bytes[i] & 0xff);
    }
    return address instanceof Inet4Address ? key : key | IPV6_KEY;
  }

  /**
   * A token bucket kept as the instant it will be full again (the "theoretical arrival time" of
   * GCRA): each allowed response moves that instant one interval later, and a response is allowed
   * while it leaves at least one token, that is while the instant is less than a full burst ahead.
   */
  private final class Bucket {
    private long fullAtNanos;
    private long limited;

    Bucket(long nowNanos) {
      this.fullAtNanos = nowNanos;
    }

    Decision take(long nowNanos) {
      long fullAt = Math.max(fullAtNanos, nowNanos);
      if (fullAt + nanosPerResponse - nowNanos <= burstNanos) {
        fullAtNanos = fullAt + nanosPerResponse;
        return Decision.ALLOW;
      }
      limited++;
      return limited % 2 == 0 ? Decision.SLIP : Decision.DROP;
    }
  }
}
