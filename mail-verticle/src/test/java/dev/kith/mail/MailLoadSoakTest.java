package dev.kith.mail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import dev.kith.mesh.testing.MeshApi;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * A busy mesh must not split itself (issue 21): three devices take SMTP load from sixteen clients
 * for ten minutes, as fast as the two cores allow, and no device may so much as suspect another, no
 * service may move, and every message that got a 250 must be in the INBOX. {@code
 * -Dkith.mailLoad.seconds=N} shortens the run for a quick local check.
 *
 * <p>A soak: it runs only in the {@code soak} profile ({@code mvn -Psoak}, {@code KITH_SOAK=true
 * bash .ci/run}).
 */
@Isolated("saturates the cores on purpose")
@ExtendWith(DeviceLogs.class)
@Tag("soak")
@Timeout(1500)
class MailLoadSoakTest {

  private static final Duration LOAD_PERIOD =
      Duration.ofSeconds(Long.getLong("kith.mailLoad.seconds", 600));
  private static final int CLIENTS = 16;

  @Test
  @DisplayName("Three devices under full SMTP load for ten minutes: no suspicion, no move, no loss")
  void fullLoadSplitsNothing() throws Exception {
    try (LocalMesh mesh = LocalMesh.options().devices(3).each(MailTesting::withMail).start()) {
      MailTesting.token(mesh.device(0), "alice");
      MailTesting.awaitMail(mesh, "alice");
      long inboxBefore = inboxTotal(mesh.device(0));
      Map<String, Double> before = counters(mesh);

      // Load: sixteen clients, round robin over the devices, until the period ends.
      AtomicInteger accepted = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      long end = System.nanoTime() + LOAD_PERIOD.toNanos();
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        done.add(
            clients.submit(
                () -> {
                  for (int i = 0; System.nanoTime() < end; i++) {
                    DeviceProcess through = mesh.device((client + i) % 3);
                    String id = "load-" + client + "-" + i + "@test.example.net";
                    int code =
                        MailTesting.send(
                            MailTesting.smtpPort(through),
                            "load@elsewhere.test",
                            "alice@" + MailTesting.DOMAIN,
                            "load " + id,
                            ("a line of a message under load, " + id + "\n").repeat(100),
                            id);
                    (code == 250 ? accepted : refused).incrementAndGet();
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(LOAD_PERIOD.toSeconds() + 120, TimeUnit.SECONDS);
      }
      clients.shutdown();
      Map<String, Double> after = counters(mesh);
      System.out.printf(
          "[mail-load] %d accepted (%.1f/s), %d refused; counters before %s, after %s%n",
          accepted.get(),
          accepted.get() / (double) LOAD_PERIOD.toSeconds(),
          refused.get(),
          before,
          after);

      // Verdict: nothing suspected, nothing moved, nothing refused, nothing lost.
      assertThat(after).as("suspicions and moves").isEqualTo(before);
      assertThat(refused.get()).as("messages refused under load").isZero();
      assertThat(accepted.get()).isPositive();
      Eventually.eventually(
          Duration.ofSeconds(60),
          () ->
              assertThat(inboxTotal(mesh.device(2)) - inboxBefore)
                  .as("INBOX growth against the 250s")
                  .isEqualTo(accepted.get()));
    }
  }

  /** Suspicions and failovers, summed over the devices. */
  private static Map<String, Double> counters(LocalMesh mesh) {
    Map<String, Double> sums = new TreeMap<>();
    for (String name : List.of("kith_suspicions_total", "kith_failovers_total")) {
      double sum = 0;
      for (DeviceProcess d : mesh.devices()) {
        try {
          sum += MeshApi.metricSum(d.httpUrl(), name);
        } catch (RuntimeException e) {
          throw new AssertionError(
              d.name() + " does not answer /metrics (hung or out of memory? see its log)", e);
        }
      }
      sums.put(name, sum);
    }
    return sums;
  }

  private static long inboxTotal(DeviceProcess reader) {
    for (Object o : MailTesting.getJson(reader, "alice", "/mailboxes").getJsonArray("mailboxes")) {
      JsonObject box = (JsonObject) o;
      if ("INBOX".equals(box.getString("name"))) {
        return box.getLong("total");
      }
    }
    throw new AssertionError("alice has no INBOX");
  }
}
