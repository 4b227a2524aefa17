package dev.kith.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.MailTesting;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * IMAP across three real device processes: an IDLE session on one device hears of mail delivered
 * through another's SMTP, and a client whose device is killed resumes on another device with
 * QRESYNC, under the same UIDVALIDITY, with nothing vanished and nothing to download again.
 */
@Isolated("kills a device")
@ExtendWith(DeviceLogs.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class ImapMeshTest {

  /** The generous bound of the test; the measured time is in docs/benchmarks.md. */
  static final long IDLE_BOUND_MILLIS = 5_000;

  private static LocalMesh mesh;
  private static String password;

  @BeforeAll
  static void start() {
    mesh = LocalMesh.options().devices(3).each(MailTesting::withMail).start();
    password = MailTesting.password(mesh.device(0), "alice");
    MailTesting.awaitMail(mesh, "alice");
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("IDLE on device 1 hears of a message delivered through device 3's SMTP")
  void idleHearsOfMailFromAnotherDevice() throws IOException {
    DeviceProcess reader = mesh.device(0);
    try (ImapClient imap = ImapClient.login(MailTesting.imapPort(reader), "alice", password)) {
      ImapClient.Reply select = imap.command("SELECT INBOX");
      int exists = exists(select.untagged());
      imap.send("I1 IDLE\r\n");
      assertThat(imap.readLine()).isEqualTo("+ idling");
      long sent = System.nanoTime();
      assertThat(MailTesting.mailAlice(mesh.device(2), "idle")).isEqualTo(250);
      long acknowledged = System.nanoTime();
      String line = imap.readLine();
      long heard = System.nanoTime();
      assertThat(line).isEqualTo("* " + (exists + 1) + " EXISTS");
      long afterAck = (heard - acknowledged) / 1_000_000;
      System.out.printf(
          "[imap-idle] EXISTS on %s %d ms after %s's 250 (%d ms after the send began)%n",
          reader.name(), afterAck, mesh.device(2).name(), (heard - sent) / 1_000_000);
      assertThat(afterAck).isLessThan(IDLE_BOUND_MILLIS);
      imap.send("DONE\r\n");
      assertThat(imap.readReply("I1").tagged()).isEqualTo("OK IDLE terminated");
    }
  }

  @Test
  @Order(2)
  @DisplayName(
      "a client of the killed mailbox device resumes on another with QRESYNC: same UIDVALIDITY,"
          + " nothing vanished, only the changes since")
  void resumesOnAnotherDeviceAfterKill9() throws IOException {
    for (int i = 0; i < 10; i++) {
      assertThat(MailTesting.mailAlice(mesh.device(i % 3), "before " + i)).isEqualTo(250);
    }
    DeviceProcess victim = mesh.device(MailTesting.mailDevice(mesh.device(0)));
    long validity;
    long modseq;
    List<String> uids;
    try (ImapClient imap = ImapClient.login(MailTesting.imapPort(victim), "alice", password)) {
      imap.command("ENABLE QRESYNC");
      ImapClient.Reply select = imap.command("SELECT INBOX");
      validity = ImapClient.code(select.untagged(), "UIDVALIDITY");
      modseq = ImapClient.code(select.untagged(), "HIGHESTMODSEQ");
      uids = imap.command("UID SEARCH ALL").untagged();
      assertThat(exists(select.untagged())).isGreaterThanOrEqualTo(10);
    }
    victim.kill9();
    System.out.printf("[imap-failover] killed %s, which ran alice's mail%n", victim.name());
    DeviceProcess survivor = mesh.others(victim).get(0);
    int port = MailTesting.imapPort(survivor);

    // The client comes back and finds everything as it left it.
    ImapClient.Reply resumed =
        Eventually.eventually(
            Duration.ofSeconds(60),
            () -> {
              try (ImapClient imap = ImapClient.login(port, "alice", password)) {
                imap.command("ENABLE QRESYNC");
                ImapClient.Reply r =
                    imap.command("SELECT INBOX (QRESYNC (" + validity + " " + modseq + "))");
                assertThat(r.tagged()).as(r.all()).startsWith("OK");
                assertThat(imap.command("UID SEARCH ALL").untagged()).isEqualTo(uids);
                return r;
              }
            });
    assertThat(ImapClient.code(resumed.untagged(), "UIDVALIDITY")).isEqualTo(validity);
    assertThat(ImapClient.code(resumed.untagged(), "HIGHESTMODSEQ")).isGreaterThanOrEqualTo(modseq);
    assertThat(resumed.untagged()).noneMatch(l -> l.startsWith("* VANISHED"));
    assertThat(resumed.untagged()).noneMatch(l -> l.contains(" FETCH "));

    // Changes after the failover reach the resumed client, and only they.
    assertThat(MailTesting.mailAlice(survivor, "after")).isEqualTo(250);
    try (ImapClient imap = ImapClient.login(port, "alice", password)) {
      imap.command("ENABLE QRESYNC");
      imap.command("SELECT INBOX");
      imap.command("UID STORE " + first(uids) + " +FLAGS (\\Flagged)");
    }
    try (ImapClient imap = ImapClient.login(port, "alice", password)) {
      imap.command("ENABLE QRESYNC");
      ImapClient.Reply r = imap.command("SELECT INBOX (QRESYNC (" + validity + " " + modseq + "))");
      List<String> fetches = new ArrayList<>();
      r.untagged().stream().filter(l -> l.contains(" FETCH ")).forEach(fetches::add);
      assertThat(fetches).hasSize(2);
      assertThat(fetches)
          .anySatisfy(
              l -> assertThat(l).contains("UID " + first(uids) + " ").contains("\\Flagged"));
      assertThat(exists(r.untagged())).isEqualTo(uids.get(0).split(" ").length - 2 + 1);
    }
  }

  private static String first(List<String> searchLines) {
    return searchLines.get(0).split(" ")[2];
  }

  private static int exists(List<String> lines) {
    for (String l : lines) {
      if (l.endsWith(" EXISTS")) {
        return Integer.parseInt(l.split(" ")[1]);
      }
    }
    throw new AssertionError("no EXISTS in " + lines);
  }
}
