package dev.kith.mail.imap;

import static dev.kith.mail.MailTesting.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mail.MailTesting;
import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.LocalMesh;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.event.MailEvent;
import jakarta.mail.event.MessageChangedEvent;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.angus.mail.imap.AppendUID;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.MessageVanishedEvent;
import org.eclipse.angus.mail.imap.ResyncData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real client libraries against one device: Angus Mail's IMAP provider (UIDPLUS, CONDSTORE, QRESYNC
 * and IDLE through its own API) and Debian's python3-imaplib2 (IDLE).
 */
@ExtendWith(DeviceLogs.class)
@Timeout(180)
class ImapClientsTest {

  private static LocalMesh mesh;
  private static DeviceProcess device;
  private static String password;

  @BeforeAll
  static void start() {
    mesh = LocalMesh.options().devices(1).each(MailTesting::withMail).start();
    device = mesh.device(0);
    password = MailTesting.password(device, "alice");
    MailTesting.awaitMail(mesh, "alice");
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static Store store() throws Exception {
    Properties props = new Properties();
    props.put("mail.imap.host", "127.0.0.1");
    props.put("mail.imap.port", String.valueOf(MailTesting.imapPort(device)));
    props.put("mail.imap.connectiontimeout", "5000");
    props.put("mail.imap.timeout", "30000");
    Store store = Session.getInstance(props).getStore("imap");
    store.connect("alice", password);
    return store;
  }

  private static MimeMessage message(Session session, String subject) throws Exception {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("bob@elsewhere.test"));
    m.setRecipients(Message.RecipientType.TO, "alice@" + DOMAIN);
    m.setSubject(subject);
    m.setText("text of " + subject);
    m.saveChanges();
    return m;
  }

  @Test
  @DisplayName(
      "Angus Mail: APPENDUID (UIDPLUS), HIGHESTMODSEQ (CONDSTORE), and a QRESYNC reopen that"
          + " reports exactly the flag change and the expunge made meanwhile")
  void angusMailUidplusCondstoreQresync() throws Exception {
    Store store = store();
    try {
      IMAPFolder box = (IMAPFolder) store.getFolder("Angus");
      box.create(Folder.HOLDS_MESSAGES);
      box.open(Folder.READ_WRITE);
      Session session = Session.getInstance(new Properties());
      AppendUID[] uids =
          box.appendUIDMessages(
              new Message[] {
                message(session, "one"), message(session, "two"), message(session, "three")
              });
      long validity = box.getUIDValidity();
      assertThat(uids).allSatisfy(u -> assertThat(u.uidvalidity).isEqualTo(validity));
      assertThat(uids[1].uid).isEqualTo(uids[0].uid + 1);
      box.close(false);
      long modseq = box.getHighestModSeq(); // closed: asked with STATUS
      assertThat(modseq).isGreaterThan(1);

      // Meanwhile, through another connection: a flag set, a message expunged.
      Store other = store();
      IMAPFolder meanwhile = (IMAPFolder) other.getFolder("Angus");
      meanwhile.open(Folder.READ_WRITE);
      meanwhile.getMessageByUID(uids[0].uid).setFlag(Flags.Flag.FLAGGED, true);
      meanwhile.getMessageByUID(uids[2].uid).setFlag(Flags.Flag.DELETED, true);
      meanwhile.close(true);
      other.close();

      List<MailEvent> events = box.open(Folder.READ_WRITE, new ResyncData(validity, modseq));
      assertThat(events)
          .anySatisfy(
              e -> {
                assertThat(e).isInstanceOf(MessageVanishedEvent.class);
                assertThat(((MessageVanishedEvent) e).getUIDs()).containsExactly(uids[2].uid);
              })
          .anySatisfy(
              e -> {
                assertThat(e).isInstanceOf(MessageChangedEvent.class);
                Message m = ((MessageChangedEvent) e).getMessage();
                assertThat(box.getUID(m)).isEqualTo(uids[0].uid);
                assertThat(m.isSet(Flags.Flag.FLAGGED)).isTrue();
              });
      box.close(false);
      assertThat(box.getHighestModSeq()).isGreaterThan(modseq);
    } finally {
      store.close();
    }
  }

  @Test
  @DisplayName("Angus Mail's IDLE hears of a message delivered over SMTP")
  void angusMailIdle() throws Exception {
    Store store = store();
    try {
      IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      CountDownLatch added = new CountDownLatch(1);
      inbox.addMessageCountListener(
          new MessageCountAdapter() {
            @Override
            public void messagesAdded(MessageCountEvent e) {
              added.countDown();
            }
          });
      Thread idler =
          new Thread(
              () -> {
                try {
                  inbox.idle(true);
                } catch (Exception e) {
                  // the assertion below says what matters
                }
              });
      idler.start();
      // IDLE begins when the idler's command is out; a message sent before it is seen too, as
      // EXISTS at the start of IDLE.
      assertThat(MailTesting.mailAlice(device, "angus idle")).isEqualTo(250);
      assertThat(added.await(10, TimeUnit.SECONDS)).as("EXISTS during IDLE").isTrue();
      idler.join(10_000);
    } finally {
      store.close();
    }
  }

  @Test
  @DisplayName("python3-imaplib2's IDLE hears of a message delivered over SMTP")
  void imaplib2Idle() throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import imaplib2").start();
    if (check.waitFor() != 0) {
      if (ci) {
        throw new AssertionError("python3-imaplib2 is missing; .ci/run installs it");
      }
      Assumptions.abort("python3-imaplib2 is not installed");
    }
    Process idle =
        new ProcessBuilder(
                "/usr/bin/python3",
                "src/test/resources/imap/idle.py",
                "127.0.0.1",
                String.valueOf(MailTesting.imapPort(device)),
                "alice",
                password)
            .redirectErrorStream(true)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(idle.getInputStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      assertThat(first).startsWith("idling ");
      int before = Integer.parseInt(first.substring("idling ".length()));
      assertThat(MailTesting.mailAlice(device, "imaplib2 idle")).isEqualTo(250);
      assertThat(out.readLine()).isEqualTo("EXISTS " + (before + 1));
      assertThat(idle.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      idle.destroyForcibly();
    }
  }
}
