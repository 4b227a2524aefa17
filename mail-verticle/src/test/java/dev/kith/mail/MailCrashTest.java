package dev.kith.mail;

import static dev.kith.mail.MailTesting.DOMAIN;
import static dev.kith.mail.MailTesting.smtpPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The crash acceptance test of mail: 1,000 messages go to alice through the devices that do not run
 * her mail service while {@code kill -9} hits the one that does. Every message that got 250 is in
 * her INBOX exactly once, and every message that got 451 (or a dropped connection) is sent again by
 * the client until it gets 250, and then is there too.
 */
@Isolated("kills a device under load")
@ExtendWith(DeviceLogs.class)
@Timeout(600)
class MailCrashTest {

  private static final int MESSAGES = 1_000;
  private static final int KILL_AFTER = 250;
  private static final Duration RETRY_DEADLINE = Duration.ofSeconds(120);

  @Test
  void everyAcknowledgedMessageIsInTheInboxExactlyOnceAfterAKill9() throws Exception {
    try (LocalMesh mesh = LocalMesh.options().devices(3).each(MailTesting::withMail).start()) {
      MailTesting.token(mesh.device(0), "alice");
      String host = MailTesting.mailDevice(mesh.device(0));
      DeviceProcess victim = mesh.device(host);
      List<DeviceProcess> senders = mesh.others(victim);
      System.out.printf(
          "[mail-crash] alice's mail runs on %s; sending through %s%n", host, senders);

      Map<String, Integer> firstReply = new ConcurrentHashMap<>();
      Map<String, Integer> attempts = new ConcurrentHashMap<>();
      AtomicInteger accepted = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<?>> done = new ArrayList<>();
      long killedAt = 0;
      for (int i = 0; i < MESSAGES; i++) {
        String id = "crash-" + i + "@test.example.net";
        DeviceProcess through = senders.get(i % senders.size());
        done.add(
            clients.submit(
                () -> {
                  long deadline = System.nanoTime() + RETRY_DEADLINE.toNanos();
                  while (true) {
                    int code =
                        MailTesting.send(
                            smtpPort(through),
                            "load@elsewhere.test",
                            "alice@" + DOMAIN,
                            "crash " + id,
                            "body of " + id,
                            id);
                    attempts.merge(id, 1, Integer::sum);
                    firstReply.putIfAbsent(id, code);
                    if (code == 250) {
                      accepted.incrementAndGet();
                      return null;
                    }
                    // 451 and dropped connections are retried, as a real client does; nothing
                    // else is expected here.
                    assertThat(code).as("reply to %s", id).isIn(451, -1, 421);
                    if (System.nanoTime() > deadline) {
                      throw new AssertionError(id + " still refused after " + RETRY_DEADLINE);
                    }
                    TimeUnit.MILLISECONDS.sleep(
                        200); // a client's retry delay, not a wait-and-assert
                  }
                }));
        if (i == KILL_AFTER) {
          Eventually.eventually(
              Duration.ofSeconds(60),
              () -> assertThat(accepted.get()).isGreaterThan(KILL_AFTER / 2));
          victim.kill9();
          killedAt = System.nanoTime();
          System.out.printf("[mail-crash] killed %s after %d acknowledged%n", host, accepted.get());
        }
      }
      for (Future<?> f : done) {
        f.get(RETRY_DEADLINE.toSeconds() + 60, TimeUnit.SECONDS);
      }
      clients.shutdown();
      long deferred = firstReply.values().stream().filter(c -> c != 250).count();
      long retried = attempts.values().stream().filter(n -> n > 1).count();
      System.out.printf(
          "[mail-crash] %d accepted; %d first refused (451 or dropped), %d sent more than once;"
              + " %.1f s from the kill to the end%n",
          accepted.get(), deferred, retried, (System.nanoTime() - killedAt) / 1e9);

      // Every message is in alice's INBOX exactly once, read through each survivor.
      for (DeviceProcess reader : senders) {
        Map<String, Integer> copies =
            Eventually.eventually(Duration.ofSeconds(60), () -> inbox(reader));
        assertThat(copies).hasSize(MESSAGES);
        assertThat(copies.values()).allMatch(n -> n == 1);
      }
    }
  }

  /** Alice's INBOX as {Message-ID: copies}, read page by page. */
  private static Map<String, Integer> inbox(DeviceProcess reader) {
    Map<String, Integer> copies = new HashMap<>();
    MailTesting.inbox(reader).forEach(m -> copies.merge(m.getString("messageId"), 1, Integer::sum));
    assertThat(copies.size()).as("distinct messages in the INBOX").isEqualTo(MESSAGES);
    return copies;
  }
}
