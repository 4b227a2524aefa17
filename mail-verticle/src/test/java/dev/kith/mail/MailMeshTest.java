package dev.kith.mail;

import static dev.kith.mail.MailTesting.DOMAIN;
import static dev.kith.mail.MailTesting.call;
import static dev.kith.mail.MailTesting.getJson;
import static dev.kith.mail.MailTesting.messages;
import static dev.kith.mail.MailTesting.send;
import static dev.kith.mail.MailTesting.smtpPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DeviceLogs;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.Eventually;
import dev.kith.mesh.testing.Http;
import dev.kith.mesh.testing.LocalMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Mail end to end on three real device processes: a message sent over SMTP through any device is
 * listed and readable through every device, a repeated Message-ID is filed once, and the mailbox
 * API (flags, moves, Trash, expunge, search, threads, sending between owners) works from any
 * device.
 */
@Isolated("times reads through every device")
@ExtendWith(DeviceLogs.class)
@Timeout(300)
class MailMeshTest {

  private static LocalMesh mesh;

  @BeforeAll
  static void start() {
    mesh = LocalMesh.options().devices(3).each(MailTesting::withMail).start();
    // The owners exist before any mail is sent to them.
    MailTesting.token(mesh.device(0), "alice");
    MailTesting.token(mesh.device(0), "bob");
    MailTesting.token(mesh.device(0), "carol");
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static String newId() {
    return UUID.randomUUID() + "@test.example.net";
  }

  /**
   * Waits until alice's and bob's mail services answer through every device. Bob has an account but
   * no device: his mailbox is placed once the controller has seen his account.
   */
  private static void awaitMail() {
    Eventually.eventually(
        Duration.ofSeconds(60),
        () -> {
          for (DeviceProcess d : mesh.devices()) {
            for (String owner : List.of("alice", "bob")) {
              assertThat(call(d, owner, "GET", "/mailboxes", null).status())
                  .as("%s's mailboxes through %s", owner, d.name())
                  .isEqualTo(200);
            }
          }
        });
  }

  private static JsonObject find(JsonArray list, String messageId) {
    for (Object o : list) {
      JsonObject m = (JsonObject) o;
      if (messageId.equals(m.getString("messageId"))) {
        return m;
      }
    }
    return null;
  }

  @Test
  @DisplayName(
      "Mailboxes are renamed and deleted with IMAP's meaning: UIDs kept under a new UIDVALIDITY,"
          + " INBOX's messages moved out, standard mailboxes kept, through any device")
  void mailboxesAreRenamedAndDeleted() {
    awaitMail();
    // carol has an account and no device, and nothing else in this class touches her mail.
    DeviceProcess d0 = mesh.device(0);
    DeviceProcess d1 = mesh.device(1);
    Eventually.eventually(
        Duration.ofSeconds(60),
        () -> assertThat(call(d0, "carol", "GET", "/mailboxes", null).status()).isEqualTo(200));
    String first = newId();
    String second = newId();
    assertThat(send(smtpPort(d0), "x@elsewhere.test", "carol@" + DOMAIN, "one", "1", first))
        .isEqualTo(250);
    assertThat(send(smtpPort(d0), "x@elsewhere.test", "carol@" + DOMAIN, "two", "2", second))
        .isEqualTo(250);
    Eventually.eventually(
        Duration.ofSeconds(20),
        () -> assertThat(messages(d0, "carol", "INBOX").size()).isEqualTo(2));

    // INBOX renamed: its messages move to a new mailbox, and INBOX stays, empty.
    Http.Response renamed =
        call(d0, "carol", "PATCH", "/mailboxes/INBOX", "{\"name\":\"Projects\"}");
    assertThat(renamed.status()).as("%s", renamed).isEqualTo(200);
    assertThat(renamed.json().getInteger("moved")).isEqualTo(2);
    assertThat(messages(d1, "carol", "INBOX")).isEmpty();
    JsonArray projects = messages(d1, "carol", "Projects");
    assertThat(projects.size()).isEqualTo(2);
    long projectsValidity = renamed.json().getLong("uidValidity");

    // Another mailbox renamed: the same messages with the same UIDs, under a new UIDVALIDITY.
    Http.Response again = call(d1, "carol", "PATCH", "/mailboxes/Projects", "{\"name\":\"Work\"}");
    assertThat(again.status()).as("%s", again).isEqualTo(200);
    assertThat(again.json().getLong("uidValidity")).isGreaterThan(projectsValidity);
    JsonArray work = messages(d0, "carol", "Work");
    assertThat(uids(work)).isEqualTo(uids(projects));
    assertThat(call(d0, "carol", "GET", "/mailboxes/Projects/messages", null).status())
        .isEqualTo(404);

    // Refusals: a name in use, a standard mailbox, an unknown one, a bad name.
    assertThat(call(d0, "carol", "PATCH", "/mailboxes/Work", "{\"name\":\"Trash\"}").status())
        .isEqualTo(409);
    assertThat(call(d0, "carol", "PATCH", "/mailboxes/Sent", "{\"name\":\"Sent2\"}").status())
        .isEqualTo(400);
    assertThat(call(d0, "carol", "DELETE", "/mailboxes/INBOX", null).status()).isEqualTo(400);
    assertThat(call(d0, "carol", "DELETE", "/mailboxes/Trash", null).status()).isEqualTo(400);
    assertThat(call(d0, "carol", "DELETE", "/mailboxes/Nope", null).status()).isEqualTo(404);
    assertThat(call(d0, "carol", "PATCH", "/mailboxes/Work", "{\"name\":\"a/b\"}").status())
        .isEqualTo(400);

    // Deleted with its messages; made again, it is a new mailbox with a later UIDVALIDITY.
    Http.Response deleted = call(d1, "carol", "DELETE", "/mailboxes/Work", null);
    assertThat(deleted.status()).as("%s", deleted).isEqualTo(200);
    assertThat(deleted.json().getInteger("expunged")).isEqualTo(2);
    assertThat(call(d0, "carol", "GET", "/mailboxes/Work/messages", null).status()).isEqualTo(404);
    Http.Response made = call(d0, "carol", "POST", "/mailboxes", "{\"name\":\"Work\"}");
    assertThat(made.status()).as("%s", made).isEqualTo(201);
    assertThat(made.json().getLong("uidValidity"))
        .isGreaterThan(again.json().getLong("uidValidity"));
    assertThat(messages(d1, "carol", "Work")).isEmpty();
  }

  private static List<Long> uids(JsonArray list) {
    List<Long> uids = new ArrayList<>();
    list.forEach(m -> uids.add(((JsonObject) m).getLong("uid")));
    uids.sort(null);
    return uids;
  }

  @Test
  void aRecordLeftBelowTheUidsInUseGetsTheNextUid() {
    awaitMail();
    DeviceProcess d = mesh.device(0);
    String a = newId();
    String b = newId();
    assertThat(send(smtpPort(d), "x@elsewhere.test", "alice@" + DOMAIN, "a", "a", a))
        .isEqualTo(250);
    assertThat(send(smtpPort(d), "x@elsewhere.test", "alice@" + DOMAIN, "b", "b", b))
        .isEqualTo(250);
    JsonObject second =
        Eventually.eventually(
            Duration.ofSeconds(20),
            () -> {
              JsonObject m = find(messages(d, "alice", "INBOX"), b);
              assertThat(m).isNotNull();
              return m;
            });

    // A record that an instance of an earlier epoch wrote (here: unfenced, epoch 0) after this
    // instance loaded, holding a UID already given: as a hung instance's refused write that
    // reached one replica would be.
    String orphanId = UUID.randomUUID().toString().replace("-", "");
    String orphanMessageId = newId();
    JsonObject orphan =
        second
            .copy()
            .put("id", orphanId)
            .put("messageId", orphanMessageId)
            .put("subject", "orphan");
    Http.Response put =
        Http.raw(
            "PUT",
            d.httpUrl() + "/api/vault/alice/records/mail%2Fmsg%2F" + orphanId,
            orphan.encode(),
            "Authorization",
            "Bearer " + MailTesting.token(d, "alice"),
            "Content-Type",
            "application/json");
    assertThat(put.status()).as("%s", put).isEqualTo(200);

    // It is kept, under the next UID of the INBOX, and no UID is held twice.
    Eventually.eventually(
        Duration.ofSeconds(20),
        () -> {
          JsonArray inbox = messages(d, "alice", "INBOX");
          JsonObject found = find(inbox, orphanMessageId);
          assertThat(found).as("the orphan in the INBOX").isNotNull();
          assertThat(found.getLong("uid")).isGreaterThan(second.getLong("uid"));
          List<Long> uids = new ArrayList<>();
          inbox.forEach(m -> uids.add(((JsonObject) m).getLong("uid")));
          assertThat(uids).doesNotHaveDuplicates();
          assertThat(find(inbox, b).getLong("uid")).isEqualTo(second.getLong("uid"));
        });
  }

  @Test
  void aMessageSentThroughAnyDeviceIsReadableThroughEveryOtherWithinTwoSeconds() {
    awaitMail();
    List<Long> listedMillis = new ArrayList<>();
    for (DeviceProcess through : mesh.devices()) {
      String id = newId();
      String subject = "Grüße from " + through.name();
      int code =
          Eventually.eventually(
              Duration.ofSeconds(30),
              () -> {
                int c =
                    send(
                        smtpPort(through),
                        "carol@elsewhere.test",
                        "alice@" + DOMAIN,
                        subject,
                        "Hallo Alice, schöne Grüße.",
                        id);
                assertThat(c).as("SMTP reply through %s", through.name()).isEqualTo(250);
                return c;
              });
      assertThat(code).isEqualTo(250);
      long accepted = System.nanoTime();
      for (DeviceProcess reader : mesh.others(through)) {
        Eventually.eventually(
            Duration.ofSeconds(2),
            () -> assertThat(find(messages(reader, "alice", "INBOX"), id)).isNotNull());
        listedMillis.add((System.nanoTime() - accepted) / 1_000_000);
        JsonObject listed = find(messages(reader, "alice", "INBOX"), id);
        JsonObject read = getJson(reader, "alice", "/messages/" + listed.getString("id"));
        assertThat(read.getString("subject")).isEqualTo(subject);
        assertThat(read.getString("text")).contains("schöne Grüße");
        Http.Response raw =
            call(reader, "alice", "GET", "/messages/" + listed.getString("id") + "/raw", null);
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.body()).startsWith("Received:").contains("Message-ID: <" + id + ">");
      }
    }
    System.out.printf("[mail] listed on every other device after %s ms%n", listedMillis);
  }

  /**
   * The script check with swaks (Debian's package): deploy/mail-check.sh sends through one device
   * and reads through another. Without swaks the test is skipped, except in CI, where it must run.
   */
  @Test
  void swaksThroughOneDeviceAndCurlThroughAnotherWithTheScript() throws Exception {
    boolean haveSwaks = java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/swaks"));
    if (!haveSwaks && "true".equals(System.getenv("KITH_REQUIRE_DOCKER"))) {
      throw new AssertionError("swaks is missing, and CI (KITH_REQUIRE_DOCKER=true) needs it");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(haveSwaks, "swaks is not installed");
    awaitMail();
    java.nio.file.Path script =
        java.nio.file.Path.of("..", "deploy", "mail-check.sh").toAbsolutePath().normalize();
    DeviceProcess through = mesh.device(2);
    DeviceProcess reader = mesh.device(0);
    ProcessBuilder command =
        new ProcessBuilder(
                "bash",
                script.toString(),
                "127.0.0.1:" + smtpPort(through),
                reader.httpUrl(),
                "alice@" + DOMAIN)
            .redirectErrorStream(true);
    // The token goes in the environment, as the script's usage says.
    command.environment().put("KITH_ACCESS_TOKEN", MailTesting.token(reader, "alice"));
    Process process = command.start();
    process.getOutputStream().close();
    String output;
    try (var in = process.getInputStream()) {
      output = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    assertThat(process.waitFor()).as(output).isZero();
    assertThat(output).contains("ok: alice@" + DOMAIN);
    System.out.print("[mail] " + output);
  }

  @Test
  void theSameMessageIdSentTwiceThroughTwoDevicesIsFiledOnce() {
    awaitMail();
    String id = newId();
    for (DeviceProcess through : List.of(mesh.device(0), mesh.device(1))) {
      Eventually.eventually(
          Duration.ofSeconds(30),
          () ->
              assertThat(
                      send(
                          smtpPort(through),
                          "carol@elsewhere.test",
                          "alice@" + DOMAIN,
                          "twice",
                          "same message",
                          id))
                  .isEqualTo(250));
    }
    long copies =
        messages(mesh.device(2), "alice", "INBOX").stream()
            .filter(m -> id.equals(((JsonObject) m).getString("messageId")))
            .count();
    assertThat(copies).isEqualTo(1);
  }

  @Test
  void flagsMovesTrashExpungeSearchAndThreads() {
    awaitMail();
    DeviceProcess a = mesh.device(0);
    DeviceProcess b = mesh.device(1);
    String root = newId();
    String reply = newId();
    Eventually.eventually(
        Duration.ofSeconds(30),
        () ->
            assertThat(
                    send(
                        smtpPort(a),
                        "dave@elsewhere.test",
                        "alice@" + DOMAIN,
                        "Quarterly zebra report",
                        "the numbers are in",
                        root))
                .isEqualTo(250));
    String replyText = "Re: numbers";
    Eventually.eventually(
        Duration.ofSeconds(30),
        () -> assertThat(sendReply(a, reply, root, replyText)).isEqualTo(250));
    String rootId = find(messages(b, "alice", "INBOX"), root).getString("id");
    String replyId = find(messages(b, "alice", "INBOX"), reply).getString("id");

    // Flags, through another device than the one that reads them back.
    Http.Response flagged =
        call(
            a,
            "alice",
            "PATCH",
            "/messages/" + rootId,
            "{\"flags\":{\"seen\":true,\"flagged\":true}}");
    assertThat(flagged.status()).isEqualTo(200);
    assertThat(getJson(b, "alice", "/messages/" + rootId).getJsonArray("flags"))
        .containsExactlyInAnyOrder("flagged", "seen");
    assertThat(
            call(a, "alice", "PATCH", "/messages/" + rootId, "{\"flags\":{\"sparkly\":true}}")
                .status())
        .isEqualTo(400);

    // Threads: the reply joins its root's thread.
    JsonObject thread = getJson(b, "alice", "/threads/" + root);
    assertThat(thread.getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("id")))
        .containsExactly(rootId, replyId);

    // Search by subject word, by from, and a miss.
    assertThat(
            getJson(a, "alice", "/search?q=zebra").getJsonArray("messages").stream()
                .map(m -> ((JsonObject) m).getString("id")))
        .containsExactly(rootId);
    assertThat(getJson(a, "alice", "/search?q=from:dave").getInteger("total")).isEqualTo(2);
    assertThat(getJson(a, "alice", "/search?q=nosuchwordanywhere").getInteger("total")).isZero();
    // Words in the text, which the records leave out: read from the messages themselves.
    assertThat(ids(getJson(a, "alice", "/search?q=text:numbers"))).containsExactly(rootId);
    assertThat(ids(getJson(a, "alice", "/search?q=numbers"))).containsExactly(replyId, rootId);
    assertThat(ids(getJson(b, "alice", "/search?q=from:dave%20above"))).containsExactly(replyId);

    // A new mailbox, a move into it with a new UID there, and the UID kept monotonic.
    assertThat(call(a, "alice", "POST", "/mailboxes", "{\"name\":\"Projects\"}").status())
        .isEqualTo(201);
    assertThat(call(b, "alice", "POST", "/mailboxes", "{\"name\":\"Projects\"}").status())
        .isEqualTo(409);
    assertThat(call(b, "alice", "POST", "/mailboxes", "{\"name\":\"../etc\"}").status())
        .isEqualTo(400);
    Http.Response moved =
        call(b, "alice", "PATCH", "/messages/" + rootId, "{\"mailbox\":\"Projects\"}");
    assertThat(moved.status()).isEqualTo(200);
    assertThat(moved.json().getString("box")).isEqualTo("Projects");
    assertThat(moved.json().getLong("uid")).isEqualTo(1L);
    assertThat(find(messages(a, "alice", "Projects"), root)).isNotNull();
    assertThat(find(messages(a, "alice", "INBOX"), root)).isNull();

    // Delete moves to Trash; delete in Trash (or expunge) removes it for good.
    assertThat(call(a, "alice", "DELETE", "/messages/" + replyId, null).json().getString("box"))
        .isEqualTo("Trash");
    assertThat(find(messages(b, "alice", "Trash"), reply)).isNotNull();
    assertThat(
            call(b, "alice", "POST", "/mailboxes/Trash/expunge", "").json().getInteger("expunged"))
        .isEqualTo(1);
    assertThat(call(a, "alice", "GET", "/messages/" + replyId, null).status()).isEqualTo(404);

    JsonObject boxes = getJson(b, "alice", "/mailboxes");
    assertThat(
            boxes.getJsonArray("mailboxes").stream().map(m -> ((JsonObject) m).getString("name")))
        .contains("INBOX", "Sent", "Drafts", "Trash", "Archive", "Projects");
  }

  private static List<String> ids(JsonObject found) {
    return found.getJsonArray("messages").stream()
        .map(m -> ((JsonObject) m).getString("id"))
        .toList();
  }

  private static int sendReply(DeviceProcess through, String id, String inReplyTo, String subject) {
    return RawSmtp.send(
        smtpPort(through),
        "dave@elsewhere.test",
        "alice@" + DOMAIN,
        "From: Dave <dave@elsewhere.test>\r\n"
            + "To: alice@"
            + DOMAIN
            + "\r\nSubject: "
            + subject
            + "\r\nMessage-ID: <"
            + id
            + ">\r\nIn-Reply-To: <"
            + inReplyTo
            + ">\r\nReferences: <"
            + inReplyTo
            + ">\r\n\r\nsee above\r\n");
  }

  @Test
  void mailBetweenOwnersStaysInTheMeshAndLandsInSent() {
    awaitMail();
    Http.Response sent =
        call(
            mesh.device(2),
            "alice",
            "POST",
            "/send",
            "{\"to\":[\"bob@" + DOMAIN + "\"],\"subject\":\"lunch?\",\"text\":\"at noon\"}");
    assertThat(sent.status()).as("%s", sent).isEqualTo(202);
    String messageId = sent.json().getString("messageId");
    assertThat(sent.json().getJsonArray("queued")).isEmpty();
    assertThat(find(messages(mesh.device(0), "bob", "INBOX"), messageId)).isNotNull();
    JsonObject inSent = find(messages(mesh.device(1), "alice", "Sent"), messageId);
    assertThat(inSent).isNotNull();
    assertThat(inSent.getJsonArray("flags")).contains("seen");
    // Bob cannot see alice's mail, and the operator has no mailbox.
    assertThat(
            call(mesh.device(0), "bob", "GET", "/messages/" + inSent.getString("id"), null)
                .status())
        .isEqualTo(404);
    assertThat(Http.raw("GET", mesh.device(0).httpUrl() + "/api/mail/mailboxes", null).status())
        .isEqualTo(401);
  }

  @Test
  void badRequestsGetClearErrors() {
    awaitMail();
    DeviceProcess d = mesh.device(1);
    assertThat(call(d, "alice", "GET", "/messages/not-an-id", null).status()).isEqualTo(400);
    assertThat(call(d, "alice", "GET", "/messages/" + "0".repeat(32), null).status())
        .isEqualTo(404);
    assertThat(call(d, "alice", "GET", "/mailboxes/Nope/messages", null).status()).isEqualTo(404);
    assertThat(call(d, "alice", "GET", "/mailboxes/INBOX/messages?limit=0", null).status())
        .isEqualTo(400);
    assertThat(call(d, "alice", "GET", "/mailboxes/INBOX/messages?cursor=x", null).status())
        .isEqualTo(400);
    assertThat(call(d, "alice", "GET", "/search?q=", null).status()).isEqualTo(400);
    Http.Response notJson = call(d, "alice", "POST", "/send", "{not json");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.json().getString("message")).isNotBlank();
    assertThat(
            call(d, "alice", "POST", "/send", "{\"to\":[],\"subject\":\"x\",\"text\":\"y\"}")
                .status())
        .isEqualTo(400);
    assertThat(
            call(
                    d,
                    "alice",
                    "POST",
                    "/send",
                    "{\"to\":[\"nobody-here@" + DOMAIN + "\"],\"subject\":\"x\",\"text\":\"y\"}")
                .status())
        .isEqualTo(400);
    assertThat(call(d, "alice", "PATCH", "/messages/" + "0".repeat(32), "{}").status())
        .isEqualTo(400);
  }
}
