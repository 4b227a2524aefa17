package dev.kith.mesh.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The outside view of a service while it moves: sends {@code GET url} every period, whether or not
 * earlier probes have answered, each with its own timeout, and keeps every outcome: when it was
 * sent, when it ended, the status (0 for a timeout or a connection failure), the {@code device}
 * that answered and the body or error. A probe still in flight is not in {@link #samples()} yet.
 * Times are {@link System#nanoTime()}.
 */
public final class Prober implements AutoCloseable {

  /** One probe's outcome. */
  public record Sample(long sentNanos, long doneNanos, int status, String device, String detail) {

    public boolean ok() {
      return status == 200;
    }

    @Override
    public String toString() {
      return (status == 0 ? "no answer" : String.valueOf(status))
          + " after "
          + (doneNanos - sentNanos) / 1_000_000
          + " ms: "
          + detail;
    }
  }

  private final String url;
  private final HttpClient client;
  private final ScheduledExecutorService timer;
  private final HttpRequest request;
  private final List<Sample> samples = new ArrayList<>();

  private Prober(String url, Duration period, Duration timeout) {
    this.url = url;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .build();
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
    // Credentials are fetched once: a probe run is far shorter than an access token's life.
    Credentials.authorization(URI.create(url)).ifPresent(v -> builder.header("Authorization", v));
    this.request = builder.build();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "prober");
              thread.setDaemon(true);
              return thread;
            });
    timer.scheduleAtFixedRate(this::probe, 0, period.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Starts probing {@code url} every {@code period}, each probe failing after {@code timeout}. */
  public static Prober start(String url, Duration period, Duration timeout) {
    return new Prober(url, period, timeout);
  }

  private void probe() {
    long sent = System.nanoTime();
    try {
      client
          .sendAsync(request, HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (response, failure) -> {
                long done = System.nanoTime();
                if (failure != null) {
                  record(new Sample(sent, done, 0, null, failure.toString()));
                } else {
                  record(
                      new Sample(
                          sent, done, response.statusCode(), device(response), response.body()));
                }
              });
    } catch (RuntimeException e) {
      // A probe that cannot even be sent is a failed probe; the timer must keep running.
      record(new Sample(sent, System.nanoTime(), 0, null, e.toString()));
    }
  }

  private static String device(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      return null;
    }
    try {
      return new JsonObject(response.body()).getString("device");
    } catch (RuntimeException e) {
      return null;
    }
  }

  private synchronized void record(Sample sample) {
    samples.add(sample);
  }

  /** Every finished probe so far, in the order they were sent. */
  public synchronized List<Sample> samples() {
    List<Sample> copy = new ArrayList<>(samples);
    copy.sort(Comparator.comparingLong(Sample::sentNanos));
    return copy;
  }

  /** The finished probes that failed (not 200, or no answer in time). */
  public List<Sample> failures() {
    return samples().stream().filter(s -> !s.ok()).toList();
  }

  /**
   * The probe, sent at or after {@code sinceNanos}, that first received a 200 from a device other
   * than {@code notDevice}: the earliest by the time its answer arrived.
   */
  public Optional<Sample> firstAnswerNotFrom(String notDevice, long sinceNanos) {
    return samples().stream()
        .filter(s -> s.sentNanos() - sinceNanos >= 0 && s.ok() && !notDevice.equals(s.device()))
        .min(Comparator.comparingLong(Sample::doneNanos));
  }

  /** Whether the last {@code count} finished probes all got a 200 from {@code device}. */
  public boolean lastAnsweredBy(String device, int count) {
    List<Sample> all = samples();
    if (all.size() < count) {
      return false;
    }
    return all.subList(all.size() - count, all.size()).stream()
        .allMatch(s -> s.ok() && device.equals(s.device()));
  }

  /** How many probes sent in {@code [fromNanos, toNanos]} failed (not 200, or no answer). */
  public int failedBetween(long fromNanos, long toNanos) {
    return (int) between(fromNanos, toNanos).stream().filter(s -> !s.ok()).count();
  }

  /** How many probes were sent in {@code [fromNanos, toNanos]} and have finished. */
  public int sentBetween(long fromNanos, long toNanos) {
    return between(fromNanos, toNanos).size();
  }

  private List<Sample> between(long fromNanos, long toNanos) {
    return samples().stream()
        .filter(s -> s.sentNanos() - fromNanos >= 0 && toNanos - s.sentNanos() >= 0)
        .toList();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  @Override
  public String toString() {
    List<Sample> all = samples();
    return "Prober "
        + url
        + ": "
        + all.size()
        + " probes, "
        + all.stream().filter(s -> !s.ok()).count()
        + " failed";
  }
}
