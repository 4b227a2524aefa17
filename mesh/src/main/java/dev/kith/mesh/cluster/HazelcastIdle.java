package dev.kith.mesh.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import java.lang.reflect.Field;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a Hazelcast timer that wakes an idle device ten times a second for nothing.
 *
 * <p>Every member checks, every 100 ms, the futures handed to Hazelcast's legacy {@code
 * ExecutionService.asCompletableFuture}: its scheduler thread wakes, passes the check to a pooled
 * thread, and that thread lingers a millisecond before it parks again. Only features a mesh does
 * not run use those futures (map loaders, Jet, management-center operations, JCache), so the list
 * is always empty; the timer only costs ten wake-ups a second (with the other idle changes, 30 %
 * fewer wake-ups on mains, though no CPU change that the idle benchmark can tell from noise:
 * docs/benchmarks.md, "What an idle device costs"). Hazelcast offers no setting for it, so the
 * timer is found in the scheduler's queue by the task it wraps and cancelled. If a later Hazelcast
 * moves it, nothing is found, the device logs that once and runs as before.
 */
public final class HazelcastIdle {

  private static final Logger log = LoggerFactory.getLogger(HazelcastIdle.class);

  /** How the check names itself inside the scheduler's queue entry that runs it. */
  static final String FUTURE_CHECK = "runnable=CompletableFutureTask{";

  private HazelcastIdle() {}

  /**
   * Cancels the 100 ms future check of {@code hazelcast}.
   *
   * @return how many such timers were cancelled: 1, or 0 if this Hazelcast has none where expected
   */
  public static int stopFutureCheck(HazelcastInstance hazelcast, String device) {
    int cancelled = 0;
    try {
      ScheduledThreadPoolExecutor scheduler = scheduler(hazelcast);
      for (Runnable queued : scheduler.getQueue().toArray(new Runnable[0])) {
        if (queued instanceof Future<?> timer && String.valueOf(queued).contains(FUTURE_CHECK)) {
          timer.cancel(false);
          scheduler.remove(queued);
          cancelled++;
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.info("{}: Hazelcast's 100 ms future check keeps running: {}", device, e.toString());
      return 0;
    }
    if (cancelled == 0) {
      log.info("{}: Hazelcast's 100 ms future check was not found; it keeps running", device);
    } else {
      log.debug("{}: stopped Hazelcast's 100 ms future check", device);
    }
    return cancelled;
  }

  /** How many 100 ms future checks {@code hazelcast} has scheduled now. */
  static long futureChecks(HazelcastInstance hazelcast) throws ReflectiveOperationException {
    return scheduler(hazelcast).getQueue().stream()
        .filter(r -> String.valueOf(r).contains(FUTURE_CHECK))
        .count();
  }

  private static ScheduledThreadPoolExecutor scheduler(HazelcastInstance hazelcast)
      throws ReflectiveOperationException {
    HazelcastInstanceImpl instance =
        hazelcast instanceof HazelcastInstanceProxy proxy
            ? proxy.getOriginal()
            : (HazelcastInstanceImpl) hazelcast;
    Object executionService = instance.node.getNodeEngine().getExecutionService();
    Field field = executionService.getClass().getDeclaredField("scheduledExecutorService");
    field.setAccessible(true);
    return (ScheduledThreadPoolExecutor) field.get(executionService);
  }
}
