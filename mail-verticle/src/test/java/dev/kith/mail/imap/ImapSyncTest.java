package dev.kith.mail.imap;

import static dev.kith.mail.MailTesting.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.MailTesting;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.LocalMesh;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
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
 * Debian's mbsync against three real devices: a two-way sync of 1,000 messages in 5 mailboxes,
 * changes on both sides synced back, nothing copied twice; then a sync whose device is killed part
 * way, finished through another device under the same UIDVALIDITY.
 */
@Isolated("kills a device; mbsync runs against it")
@ExtendWith(DeviceLogs.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class ImapSyncTest {

  static final List<String> BOXES = List.of("INBOX", "Archive", "Work", "Lists", "Family");
  static final int PER_BOX = 200;

  private static LocalMesh mesh;
  private static String password;
  private static Mbsync mbsync;

  @BeforeAll
  static void start() throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    if (!Mbsync.installed()) {
      if (ci) {
        throw new AssertionError("mbsync is missing; .ci/run installs Debian's isync");
      }
      Assumptions.abort("mbsync is not installed (Debian's isync)");
    }
    mesh = LocalMesh.options().devices(3).each(MailTesting::withMail).start();
    password = MailTesting.password(mesh.device(0), "alice");
    mbsync = new Mbsync(Path.of("target", "mbsync-" + UUID.randomUUID()));
    MailTesting.awaitMail(mesh, "alice");
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static String message(String box, int i) {
    return "From: someone@elsewhere.test\r\nTo: alice@"
        + DOMAIN
        + "\r\nSubject: "
        + box
        + " "
        + i
        + "\r\nMessage-ID: <"
        + UUID.randomUUID()
        + "@elsewhere.test>\r\n"
        + "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\n"
        + ("Text of " + box + " " + i + ".\r\n").repeat(40);
  }

  /** The far side of a mailbox: Message-ID to its flags, through {@code device}'s IMAP. */
  private static Map<String, String> far(DeviceProcess device, String box) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (ImapClient imap = ImapClient.login(MailTesting.imapPort(device), "alice", password)) {
      assertThat(imap.command("EXAMINE " + box).tagged()).startsWith("OK");
      for (String line :
          imap.command("FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])").untagged()) {
        String flags =
            line.substring(line.indexOf("FLAGS (") + 7, line.indexOf(')', line.indexOf("FLAGS (")));
        String id = Mbsync.messageId(line.substring(line.indexOf('\n') + 1));
        StringBuilder maildirFlags = new StringBuilder();
        if (flags.contains("\\Flagged")) {
          maildirFlags.append('F');
        }
        if (flags.contains("\\Answered")) {
          maildirFlags.append('R');
        }
        if (flags.contains("\\Seen")) {
          maildirFlags.append('S');
        }
        assertThat(out.put(id, maildirFlags.toString())).as("%s twice in %s", id, box).isNull();
      }
    }
    return out;
  }

  @Test
  @Order(1)
  @DisplayName(
      "mbsync: 1,000 messages in 5 mailboxes up, changes on both sides back, both sides equal,"
          + " nothing copied twice")
  void twoWaySync() throws Exception {
    for (String box : BOXES) {
      Path cur = mbsync.folder(box).resolve("cur");
      for (int i = 0; i < PER_BOX; i++) {
        Files.writeString(
            cur.resolve(box + "-" + i + ".test:2," + (i % 3 == 0 ? "S" : "")), message(box, i));
      }
    }
    DeviceProcess d0 = mesh.device(0);
    int port = MailTesting.imapPort(d0);
    long started = System.nanoTime();
    Mbsync.Run first = mbsync.sync(port, "alice", password, "");
    System.out.printf("[imap-mbsync] first sync: %s%n", summary(first, started));
    assertThat(first.exit()).as(first.output()).isZero();
    assertThat(mbsync.localTotal()).isEqualTo(BOXES.size() * PER_BOX);
    for (String box : BOXES) {
      assertThat(far(d0, box)).hasSize(PER_BOX).isEqualTo(mbsync.local(box));
    }

    // Changes on the near side: flags, and deletes.
    Path work = mbsync.maildir().resolve("Work").resolve("cur");
    try (var files = Files.list(work)) {
      List<Path> some = files.sorted().limit(10).toList();
      for (int i = 0; i < 5; i++) {
        Files.delete(some.get(i));
      }
      for (int i = 5; i < 10; i++) {
        String name = some.get(i).getFileName().toString();
        Files.move(some.get(i), work.resolve(name.substring(0, name.indexOf(":2,")) + ":2,FS"));
      }
    }
    // Changes on the far side, through another device: flags, a move, new mail.
    try (ImapClient imap =
        ImapClient.login(MailTesting.imapPort(mesh.device(1)), "alice", password)) {
      imap.command("SELECT Archive");
      assertThat(imap.command("STORE 1:10 +FLAGS (\\Flagged)").tagged()).startsWith("OK");
      imap.command("SELECT Lists");
      assertThat(imap.command("MOVE 1:5 Family").tagged()).startsWith("OK");
    }
    for (int i = 0; i < 20; i++) {
      assertThat(
              MailTesting.send(
                  MailTesting.smtpPort(mesh.device(2)),
                  "x@elsewhere.test",
                  "alice@" + DOMAIN,
                  "new " + i,
                  "new mail " + i,
                  UUID.randomUUID() + "@elsewhere.test"))
          .isEqualTo(250);
    }
    int localBefore = mbsync.localTotal();
    started = System.nanoTime();
    Mbsync.Run second = mbsync.sync(port, "alice", password, "");
    System.out.printf("[imap-mbsync] second sync: %s%n", summary(second, started));
    assertThat(second.exit()).as(second.output()).isZero();
    // 5 deleted here before localBefore; 20 new there, and 5 moved (a delete and a new message).
    assertThat(mbsync.localTotal()).isEqualTo(localBefore + 20);
    assertThat(mbsync.local("Work")).hasSize(PER_BOX - 5);
    assertThat(mbsync.local("Family")).hasSize(PER_BOX + 5);
    assertThat(mbsync.local("INBOX")).hasSize(PER_BOX + 20);
    for (String box : BOXES) {
      assertThat(far(mesh.device(2), box)).as(box).isEqualTo(mbsync.local(box));
    }
    assertThat(far(mesh.device(2), "Work").values())
        .filteredOn(f -> f.equals("FS"))
        .hasSizeGreaterThanOrEqualTo(5);
    assertThat(far(mesh.device(2), "Archive").values())
        .filteredOn(f -> f.contains("F"))
        .hasSize(10);
    Mbsync.Run third = mbsync.sync(port, "alice", password, "");
    assertThat(third.exit()).isZero();
    assertThat(mbsync.localTotal()).isEqualTo(localBefore + 20);
  }

  @Test
  @Order(2)
  @DisplayName(
      "mbsync through the mailbox device, killed part way; a second run through another device"
          + " finishes: same UIDVALIDITY, nothing downloaded twice, nothing missing")
  void syncSurvivesKill9() throws Exception {
    DeviceProcess victim = mesh.device(MailTesting.mailDevice(mesh.device(0)));
    DeviceProcess survivor = mesh.others(victim).get(0);
    mbsync.sync(MailTesting.imapPort(victim), "alice", password, "");
    String validity = farValidity("INBOX");
    int before = mbsync.local("INBOX").size();
    int added = 600;
    try (ImapClient imap = ImapClient.login(MailTesting.imapPort(survivor), "alice", password)) {
      for (int i = 0; i < added; i++) {
        byte[] bytes = message("load", i).getBytes(StandardCharsets.UTF_8);
        String tag = imap.nextTag();
        imap.send(tag + " APPEND INBOX {" + bytes.length + "+}\r\n");
        imap.sendBytes(bytes);
        imap.send("\r\n");
        assertThat(imap.readReply(tag).tagged()).startsWith("OK [APPENDUID");
      }
    }
    Process run = mbsync.start(MailTesting.imapPort(victim), "alice", password, "PipelineDepth 1");
    Eventually.eventually(
        Duration.ofSeconds(60),
        () -> assertThat(mbsync.local("INBOX").size()).isGreaterThan(before + 30));
    victim.kill9();
    assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
    Mbsync.Run cut = mbsync.result(run);
    int got = mbsync.local("INBOX").size() - before;
    System.out.printf(
        "[imap-mbsync] killed %s after %d of %d messages; mbsync exit %d%n",
        victim.name(), got, added, cut.exit());
    assertThat(cut.exit()).as("the first run was cut short").isNotZero();
    assertThat(got).isLessThan(added);

    Mbsync.Run finished =
        Eventually.eventually(
            Duration.ofSeconds(60),
            () -> {
              Mbsync.Run r = mbsync.sync(MailTesting.imapPort(survivor), "alice", password, "");
              assertThat(r.exit()).as(r.output()).isZero();
              return r;
            });
    System.out.printf(
        "[imap-mbsync] finished through %s: exit %d%n", survivor.name(), finished.exit());
    assertThat(mbsync.local("INBOX")).hasSize(before + added);
    assertThat(farValidity("INBOX")).isEqualTo(validity);
    assertThat(mbsync.local("INBOX")).isEqualTo(far(survivor, "INBOX"));
  }

  /** The far UIDVALIDITY mbsync recorded in a mailbox's sync state. */
  private static String farValidity(String box) throws Exception {
    for (String line : Files.readAllLines(mbsync.maildir().resolve(box).resolve(".mbsyncstate"))) {
      if (line.startsWith("FarUidValidity ")) {
        return line;
      }
    }
    throw new AssertionError("no FarUidValidity in " + box + "'s .mbsyncstate");
  }

  private static String summary(Mbsync.Run run, long startedNanos) {
    return String.format("exit %d, %.1f s", run.exit(), (System.nanoTime() - startedNanos) / 1e9);
  }
}
