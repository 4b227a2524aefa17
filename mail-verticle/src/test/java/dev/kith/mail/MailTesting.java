package dev.kith.mail;

import dev.kith.mesh.testing.Credentials;
import dev.kith.mesh.testing.DeviceProcess;
import dev.kith.mesh.testing.FreePorts;
import dev.kith.mesh.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.List;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

/** Helpers of the mail tests: devices with SMTP, owners' tokens, SMTP sends with Angus Mail. */
public final class MailTesting {

  /** The mail domain the test devices serve. */
  public static final String DOMAIN = "example.org";

  private MailTesting() {}

  /** Gives a device builder free SMTP and IMAP ports and the test domain. */
  public static void withMail(DeviceProcess.Builder device) {
    device.flag("smtp-port", String.valueOf(FreePorts.next()));
    device.flag("imap-port", String.valueOf(FreePorts.next()));
    device.flag("imaps-port", "0");
    device.flag("mail-domain", DOMAIN);
    device.flag("power", "mains");
  }

  /** The IMAP port a device was started with. */
  public static int imapPort(DeviceProcess device) {
    List<String> command = device.command();
    int at = command.indexOf("--imap-port");
    if (at < 0) {
      throw new AssertionError(device.name() + " was started without --imap-port");
    }
    return Integer.parseInt(command.get(at + 1));
  }

  /**
   * The password of {@code owner} (created first if needed): the one the test harness gives every
   * owner it creates.
   */
  public static String password(DeviceProcess device, String owner) {
    token(device, owner);
    try {
      String mesh =
          new JsonObject(
                  java.nio.file.Files.readString(
                      device.home().resolve("trust").resolve("mesh.json")))
              .getString("meshId", device.home().toString());
      return "harness-" + owner + "-" + mesh;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The SMTP port a device was started with. */
  public static int smtpPort(DeviceProcess device) {
    List<String> command = device.command();
    int at = command.indexOf("--smtp-port");
    if (at < 0) {
      throw new AssertionError(device.name() + " was started without --smtp-port");
    }
    return Integer.parseInt(command.get(at + 1));
  }

  /** An access token of {@code owner}, creating the owner first if needed. */
  public static String token(DeviceProcess device, String owner) {
    return Credentials.ownerToken(device, owner);
  }

  /** Calls the mail API of {@code device} as {@code owner}. */
  public static Http.Response call(
      DeviceProcess device, String owner, String method, String path, String body) {
    return Http.raw(
        method,
        device.httpUrl() + "/api/mail" + path,
        body,
        "Authorization",
        "Bearer " + token(device, owner),
        "Content-Type",
        "application/json");
  }

  /** {@code GET} on the mail API; requires 200 and gives the JSON object. */
  public static JsonObject getJson(DeviceProcess device, String owner, String path) {
    Http.Response response = call(device, owner, "GET", path, null);
    if (response.status() != 200) {
      throw new AssertionError("GET /api/mail" + path + " at " + device.name() + ": " + response);
    }
    return response.json();
  }

  /** The messages of a mailbox, newest first (the first page of up to 200). */
  public static JsonArray messages(DeviceProcess device, String owner, String box) {
    return getJson(device, owner, "/mailboxes/" + box + "/messages?limit=200")
        .getJsonArray("messages");
  }

  /**
   * Sends one message over SMTP with Angus Mail and gives the server's reply code: 250 when
   * accepted, else the code of the failing reply (451, 550, ...), or -1 when the connection failed.
   */
  public static int send(
      int port, String from, String to, String subject, String text, String messageId) {
    Properties props = new Properties();
    props.put("mail.smtp.host", "127.0.0.1");
    props.put("mail.smtp.port", String.valueOf(port));
    props.put("mail.smtp.connectiontimeout", "5000");
    props.put("mail.smtp.timeout", "30000");
    Session session = Session.getInstance(props);
    try {
      MimeMessage message =
          new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
              setHeader("Message-ID", "<" + messageId + ">");
            }
          };
      message.setFrom(new InternetAddress(from));
      message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to));
      message.setSubject(subject, "UTF-8");
      message.setText(text, "UTF-8");
      Transport.send(message);
      return 250;
    } catch (SMTPSendFailedException e) {
      return e.getReturnCode();
    } catch (jakarta.mail.SendFailedException e) {
      Exception next = e.getNextException();
      if (next instanceof org.eclipse.angus.mail.smtp.SMTPAddressFailedException a) {
        return a.getReturnCode();
      }
      return -1;
    } catch (MessagingException e) {
      return -1;
    }
  }

  /** The device running alice's mail, as {@code asked} lists the services; waits up to 60 s. */
  public static String mailDevice(DeviceProcess asked) {
    return dev.kith.mesh.testing.Eventually.eventually(
        java.time.Duration.ofSeconds(60),
        () -> {
          String device = mailDeviceNow(asked);
          if (device == null) {
            throw new AssertionError("alice's mail is not running yet");
          }
          return device;
        });
  }

  /** The device running alice's mail as {@code asked} says now, or null while none runs it. */
  public static String mailDeviceNow(DeviceProcess asked) {
    for (Object o : Http.getJsonArray(asked.httpUrl() + "/api/mesh/services")) {
      JsonObject s = (JsonObject) o;
      if ("mail".equals(s.getString("service"))
          && "alice".equals(s.getString("owner"))
          && "running".equals(s.getString("state"))) {
        return s.getString("device");
      }
    }
    return null;
  }

  /** Alice's INBOX through {@code reader}, every page, newest first. */
  public static List<JsonObject> inbox(DeviceProcess reader) {
    List<JsonObject> out = new java.util.ArrayList<>();
    String cursor = null;
    do {
      JsonObject page =
          getJson(
              reader,
              "alice",
              "/mailboxes/INBOX/messages?limit=200" + (cursor == null ? "" : "&cursor=" + cursor));
      page.getJsonArray("messages").forEach(m -> out.add((JsonObject) m));
      cursor = page.getString("next");
    } while (cursor != null);
    return out;
  }

  /** Waits until {@code owner}'s mail service answers through every device of {@code mesh}. */
  public static void awaitMail(dev.kith.mesh.testing.LocalMesh mesh, String owner) {
    dev.kith.mesh.testing.Eventually.eventually(
        java.time.Duration.ofSeconds(60),
        () -> {
          for (DeviceProcess d : mesh.devices()) {
            if (call(d, owner, "GET", "/mailboxes", null).status() != 200) {
              throw new AssertionError(owner + "'s mail does not answer through " + d.name());
            }
          }
        });
  }

  /** Mails alice through {@code through}'s SMTP edge; the reply code, as {@link #send} gives it. */
  public static int mailAlice(DeviceProcess through, String subject) {
    return send(
        smtpPort(through),
        "bob@elsewhere.test",
        "alice@" + DOMAIN,
        subject,
        "text of " + subject,
        java.util.UUID.randomUUID() + "@elsewhere.test");
  }
}
