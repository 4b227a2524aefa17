package dev.kith.mesh.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asks one URL again and again, a fixed period apart, on its own thread, and keeps every answer:
 * the outside view of a service while it moves. A probe fails when the answer is not 200 or does
 * not come within the probe timeout.
 */
public final class Prober implements AutoCloseable {

  /** One probe: when it was sent, its status (0 when none came) and its body or error. */
  public record Probe(long sentAtNanos, long tookMillis, int status, String body, String error) {
    public boolean ok() {
      return status == 200;
    }

    @Override
    public String toString() {
      return (ok() ? "200" : status == 0 ? "no answer" : String.valueOf(status))
          + " after "
          + tookMillis
          + " ms: "
          + (error != null ? error : body);
    }
  }

  private final String url;
  private final Duration period;
  private final Duration timeout;
  private final HttpClient client;
  private final List<Probe> probes = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  private Prober(String url, Duration period, Duration timeout) {
    this.url = url;
    this.period = period;
    this.timeout = timeout;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .build();
    this.thread = new Thread(this::run, "prober " + url);
    thread.setDaemon(true);
  }

  /** Starts probing {@code url} every {@code period}, each probe allowed {@code timeout}. */
  public static Prober start(String url, Duration period, Duration timeout) {
    Prober prober = new Prober(url, period, timeout);
    prober.thread.start();
    return prober;
  }

  private void run() {
    long next = System.nanoTime();
    while (running.get()) {
      long sent = System.nanoTime();
      Probe probe;
      try {
        HttpResponse<String> response =
            client.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        probe = new Probe(sent, millisSince(sent), response.statusCode(), response.body(), null);
      } catch (IOException e) {
        probe = new Probe(sent, millisSince(sent), 0, null, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      synchronized (probes) {
        probes.add(probe);
      }
      next += period.toNanos();
      long wait = next - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      } else {
        next = System.nanoTime();
      }
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** Every probe so far, oldest first. */
  public List<Probe> probes() {
    synchronized (probes) {
      return List.copyOf(probes);
    }
  }

  /** The probes that failed so far. */
  public List<Probe> failures() {
    return probes().stream().filter(p -> !p.ok()).toList();
  }

  /** The probes sent at or after {@code nanos} (a {@link System#nanoTime} reading). */
  public List<Probe> since(long nanos) {
    return probes().stream().filter(p -> p.sentAtNanos() - nanos >= 0).toList();
  }

  /** Stops probing and waits for the probe in flight. */
  @Override
  public void close() {
    running.set(false);
    try {
      thread.join(timeout.toMillis() + period.toMillis() + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    List<Probe> all = probes();
    return "Prober "
        + url
        + ": "
        + all.size()
        + " probes, "
        + all.stream().filter(p -> !p.ok()).count()
        + " failed";
  }
}
