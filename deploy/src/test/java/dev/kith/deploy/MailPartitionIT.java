package dev.kith.deploy;

import static dev.kith.mesh.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.ContainerMesh;
import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.Docker;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.MeshApi;
import dev.kith.mesh.testing.Partition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Mail across a partition (issue 13): five containers split 2|3 while SMTP clients send to alice
 * through devices on both sides, and while the outbound queue holds mail that both sides' senders
 * could send. After the heal, every message that got 250 on either side is in alice's INBOX exactly
 * once with a UID of its own, and the relay received each queued message exactly once.
 *
 * <p>The relay is a Kith device of a mesh of its own ({@code r1.bob}, domain {@code
 * elsewhere.test}) on the same network, reachable from both sides; the partition cuts only the
 * mesh's own devices from each other.
 */
@ExtendWith(DeviceLogs.class)
@Timeout(600)
class MailPartitionIT {

  private static final int SMTP_PORT = 2525;
  private static final int QUEUED = 12;
  private static final int INBOUND = 30;
  private static final Duration RETRY_DEADLINE = Duration.ofSeconds(240);

  @BeforeEach
  void requireDockerAndPacketFilters() {
    Docker.assumeDockerOrFail();
    Partition.assumeSupportedOrFail();
  }

  @Test
  @DisplayName(
      "Mail sent to both sides of a 2|3 partition is kept once each, and the queue sends each entry"
          + " once")
  void bothSidesTakeMailAndTheQueueSendsOnce() throws Exception {
    try (ContainerMesh mesh =
            ContainerMesh.options()
                .devices(5)
                .env("KITH_SMTP_PORT", String.valueOf(SMTP_PORT))
                .env("KITH_MAIL_DOMAIN", "example.org")
                .env("KITH_MAIL_RELAY", "r1:" + SMTP_PORT)
                .env("KITH_MAIL_RELAY_TLS", "none")
                .env("KITH_MAIL_RETRY_MILLIS", "1000")
                .env("KITH_POWER", "mains")
                .env("KITH_VAULT_ANTI_ENTROPY_MILLIS", "3000")
                .each(c -> c.withExposedPorts(ContainerMesh.HTTP_PORT, SMTP_PORT))
                .start();
        ContainerMesh relay =
            ContainerMesh.options()
                .devices(1)
                .owner("bob")
                .hostPrefix("r")
                .network(mesh.network())
                .env("KITH_SMTP_PORT", String.valueOf(SMTP_PORT))
                .env("KITH_MAIL_DOMAIN", "elsewhere.test")
                .each(c -> c.withExposedPorts(ContainerMesh.HTTP_PORT, SMTP_PORT))
                .start()) {
      eventually(Duration.ofSeconds(90), () -> VaultChurnIT.assertAllAlive(mesh));
      String alice = token(mesh, 0, "alice");
      token(relay, 0, "bob");

      // Queue: with the relay cut off, alice sends mail to bob at the relay's domain; every entry
      // waits in the outbound queue, which both sides will see once they split.
      relay.disconnect(0);
      for (int i = 0; i < QUEUED; i++) {
        String subject = "queued " + i;
        eventually(
            Duration.ofSeconds(60),
            () -> {
              Http.Response r = sendApi(mesh, 0, alice, "bob@elsewhere.test", subject);
              assertThat(r.status()).as("%s", r).isEqualTo(202);
            });
      }
      System.out.printf("[mail-partition] %d messages queued for the relay%n", QUEUED);

      // Fault: two of alice's three vault replicas, not the device running her mailbox, are cut
      // off from the other three devices. Both sides can then take her mail: the big side's
      // instance keeps running, and the small side holds the majority that a new instance's
      // claim needs.
      List<Integer> small = smallSide(mesh);
      System.out.printf(
          "[mail-partition] alice's replicas %s, her mail on %s; the small side is %s%n",
          VaultChurnIT.replicas(mesh.httpUrl(0)),
          mailDevice(mesh),
          small.stream().map(mesh::name).toList());
      Set<String> accepted = ConcurrentHashMap.newKeySet();
      Set<String> acceptedOnSmallSide = ConcurrentHashMap.newKeySet();
      try (Partition partition = Partition.split(mesh, small)) {
        eventually(
            Duration.ofSeconds(60),
            () -> {
              for (int i = 0; i < mesh.size(); i++) {
                Map<String, String> states = MeshApi.deviceStates(mesh.httpUrl(i));
                for (int j = 0; j < mesh.size(); j++) {
                  assertThat(MeshApi.ALIVE.equals(states.get(mesh.name(j))))
                      .as("%s's view of %s", mesh.name(i), mesh.name(j))
                      .isEqualTo(partition.sameSide(i, j));
                }
              }
            });
        System.out.println("[mail-partition] the split is seen by every device");

        // The relay comes back: both sides' senders can reach it now.
        relay.reconnect(0);

        // Load: SMTP clients send to alice through every device, each message retried on its own
        // side on 451 or a dropped connection until it gets 250.
        // One client per message: those on a side that cannot run alice's mailbox wait there.
        ExecutorService clients = Executors.newFixedThreadPool(INBOUND);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < INBOUND; i++) {
          int device = i % mesh.size();
          String id = "partition-" + i + "@test.example.net";
          done.add(
              clients.submit(
                  () -> {
                    sendUntilAccepted(mesh, device, id);
                    accepted.add(id);
                    if (partition.sameSide(device, small.get(0))) {
                      acceptedOnSmallSide.add(id);
                    }
                    return null;
                  }));
        }

        // The side with a majority of the queue's replicas sends the queue during the split.
        eventually(Duration.ofSeconds(120), () -> assertThat(relayed(relay)).isEqualTo(QUEUED));
        // Both sides take alice's mail during the split: the big side's instance keeps running on
        // its one replica, and the small side, with two replicas, starts one of its own.
        eventually(Duration.ofSeconds(120), () -> assertThat(accepted).hasSize(INBOUND));
        System.out.printf(
            "[mail-partition] the relay has the %d queued messages; %d of %d inbound accepted"
                + " during the split (%d of them on the small side)%n",
            QUEUED, accepted.size(), INBOUND, acceptedOnSmallSide.size());
        partition.heal();
        long healedAt = System.nanoTime();

        for (Future<?> f : done) {
          f.get(RETRY_DEADLINE.toSeconds() + 60, TimeUnit.SECONDS);
        }
        clients.shutdown();

        // Verdict: every accepted message once in the INBOX, UIDs unique, read through a device
        // of each side; and the relay got each queued message once, also after the heal.
        for (int reader : List.of(small.get(0), partition.sideB().iterator().next())) {
          eventually(
              Duration.ofSeconds(90),
              () -> {
                Map<String, Integer> copies = new HashMap<>();
                Map<Long, String> byUid = new HashMap<>();
                for (JsonObject m : inbox(mesh, reader, token(mesh, reader, "alice"))) {
                  copies.merge(m.getString("messageId"), 1, Integer::sum);
                  assertThat(byUid.put(m.getLong("uid"), m.getString("messageId")))
                      .as("UID %s held twice", m.getLong("uid"))
                      .isNull();
                }
                assertThat(copies.keySet()).containsAll(accepted);
                assertThat(copies.values()).allMatch(n -> n == 1);
              });
        }
        System.out.printf(
            "[mail-partition] all %d in the INBOX once, %.1f s after the heal%n",
            accepted.size(), (System.nanoTime() - healedAt) / 1e9);
        assertThat(relayed(relay)).as("messages the relay received").isEqualTo(QUEUED);
      }
    }
  }

  /** Two of alice's replicas, leaving the device that runs her mailbox on the other side. */
  private static List<Integer> smallSide(ContainerMesh mesh) {
    String mail = mailDevice(mesh);
    List<Integer> out = new ArrayList<>();
    for (String replica : VaultChurnIT.replicas(mesh.httpUrl(0))) {
      if (!replica.equals(mail) && out.size() < 2) {
        out.add(mesh.indexOf(replica));
      }
    }
    assertThat(out).as("two replicas besides the mail device").hasSize(2);
    return out;
  }

  private static String mailDevice(ContainerMesh mesh) {
    return eventually(
        Duration.ofSeconds(60),
        () -> {
          for (Object o : Http.getJsonArray(mesh.httpUrl(0) + "/api/mesh/services")) {
            JsonObject s = (JsonObject) o;
            if ("mail".equals(s.getString("service"))
                && "alice".equals(s.getString("owner"))
                && "running".equals(s.getString("state"))) {
              return s.getString("device");
            }
          }
          throw new AssertionError("alice's mail is not running yet");
        });
  }

  private static String token(ContainerMesh mesh, int index, String owner) {
    String operator =
        Credentials.operatorToken(mesh.home(index))
            .orElseThrow(() -> new AssertionError(mesh.name(index) + " has no operator token"));
    return eventually(
        Duration.ofSeconds(60),
        () ->
            Credentials.ownerToken(mesh.httpUrl(index), mesh.home(index), operator, owner)
                .orElseThrow(() -> new AssertionError("cannot log in as " + owner)));
  }

  private static Http.Response sendApi(
      ContainerMesh mesh, int index, String token, String to, String subject) {
    JsonObject body =
        new JsonObject()
            .put("to", new JsonArray().add(to))
            .put("subject", subject)
            .put("text", "across the partition: " + subject);
    return Http.raw(
        "POST",
        mesh.httpUrl(index) + "/api/mail/send",
        body.encode(),
        "Authorization",
        "Bearer " + token,
        "Content-Type",
        "application/json");
  }

  /** How many messages the relay's SMTP edge accepted. */
  private static long relayed(ContainerMesh relay) {
    return Math.round(
        Http.get(relay.httpUrl(0) + "/metrics")
            .body()
            .lines()
            .filter(l -> l.startsWith("kith_mail_received_total{") && l.contains("accepted"))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
            .sum());
  }

  private static List<JsonObject> inbox(ContainerMesh mesh, int index, String token) {
    List<JsonObject> out = new ArrayList<>();
    String cursor = null;
    do {
      Http.Response r =
          Http.raw(
              "GET",
              mesh.httpUrl(index)
                  + "/api/mail/mailboxes/INBOX/messages?limit=200"
                  + (cursor == null ? "" : "&cursor=" + cursor),
              null,
              "Authorization",
              "Bearer " + token);
      assertThat(r.status()).as("%s", r).isEqualTo(200);
      r.json().getJsonArray("messages").forEach(m -> out.add((JsonObject) m));
      cursor = r.json().getString("next");
    } while (cursor != null);
    return out;
  }

  private static void sendUntilAccepted(ContainerMesh mesh, int device, String id)
      throws InterruptedException {
    long deadline = System.nanoTime() + RETRY_DEADLINE.toNanos();
    while (true) {
      int code = smtp(mesh.container(device).getHost(), mesh.mappedPort(device, SMTP_PORT), id);
      if (code == 250) {
        return;
      }
      assertThat(code).as("reply to %s", id).isIn(451, 421, -1);
      if (System.nanoTime() > deadline) {
        throw new AssertionError(id + " still refused after " + RETRY_DEADLINE);
      }
      TimeUnit.MILLISECONDS.sleep(500); // a client's retry delay, not a wait-and-assert
    }
  }

  /** One SMTP transaction; the reply code to the final dot, or of the first refusal, or -1. */
  private static int smtp(String host, int port, String messageId) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 5000);
      socket.setSoTimeout(30_000);
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = socket.getOutputStream();
      String[] commands = {
        null,
        "EHLO client.test",
        "MAIL FROM:<load@elsewhere.test>",
        "RCPT TO:<alice@example.org>",
        "DATA",
        "Message-ID: <"
            + messageId
            + ">\r\nFrom: load@elsewhere.test\r\nTo: alice@example.org\r\nSubject: "
            + messageId
            + "\r\n\r\nbody of "
            + messageId
            + "\r\n."
      };
      int[] expected = {220, 250, 250, 250, 354, 250};
      for (int i = 0; i < commands.length; i++) {
        if (commands[i] != null) {
          out.write((commands[i] + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        int code = reply(in);
        if (code != expected[i]) {
          return code;
        }
      }
      out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      return 250;
    } catch (IOException e) {
      return -1;
    }
  }

  private static int reply(BufferedReader in) throws IOException {
    while (true) {
      String line = in.readLine();
      if (line == null || line.length() < 3) {
        return -1;
      }
      if (line.length() == 3 || line.charAt(3) != '-') {
        return Integer.parseInt(line.substring(0, 3));
      }
    }
  }
}
