package dev.kith.mail.smtp;

import dev.kith.mail.MailConfig;
import dev.kith.mail.mailbox.Delivery;
import dev.kith.mail.mailbox.Submission;
import dev.kith.mail.mime.MessageBuilder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;

/**
 * One SMTP mail transaction, on a session thread of the edge. Mail from anyone may go only to the
 * mesh's own owners (inbound); an authenticated owner may send to anyone (submission). Every answer
 * that says the mail was taken comes after its delivery futures succeeded, so a 250 means the
 * message is durable in the vault; anything that goes wrong on the way (the mailbox is moving, the
 * vault is below quorum, nothing answers in time) is a 451 and the sender tries again, which the
 * dedupe key makes safe.
 *
 * <p>The message is read in chunks with its size capped, its lines capped at {@link
 * #MAX_DATA_LINE_BYTES} and its bytes counted against the edge's memory budget: a huge message or a
 * huge line is read and dropped, never held. A message with a NUL byte is read to its end and
 * refused ({@code 554 5.6.0}).
 */
final class SmtpTransaction implements MessageHandler {

  /**
   * The longest line a message may have. RFC 5321 allows 1000 octets; real senders exceed that, so
   * the edge is lenient up to this, which still keeps a many-megabyte line from being held.
   */
  static final int MAX_DATA_LINE_BYTES = 64 * 1024;

  /** How long the session thread waits for the vault and the mailbox before it answers 451. */
  static final long DELIVERY_TIMEOUT_SECONDS = 15;

  private static final Logger log = LoggerFactory.getLogger(SmtpTransaction.class);
  private static final int CHUNK = 64 * 1024;
  private static final int HEADER_SCAN_BYTES = 256 * 1024;
  private static final Pattern ADDRESS =
      Pattern.compile("[^\\s<>()\\[\\],;:\"@]{1,64}@[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  private final SmtpEdge edge;
  private final MessageContext session;
  private final String authenticated;
  private String envelopeFrom;
  private final List<String> recipients = new ArrayList<>();

  /** Local owner to the first of their addresses given in RCPT, for the Received header. */
  private final Map<String, String> owners = new LinkedHashMap<>();

  private int heldPermits;

  SmtpTransaction(SmtpEdge edge, MessageContext session) {
    this.edge = edge;
    this.session = session;
    this.authenticated =
        session.getAuthenticationHandler().map(h -> edge.ownerOf(h.getIdentity())).orElse(null);
  }

  @Override
  public void from(String from) throws RejectException {
    String address = from == null ? "" : from.trim();
    if (!address.isEmpty() && !ADDRESS.matcher(address).matches()) {
      throw new RejectException(501, "5.1.7 <" + printable(address) + ">: bad sender address");
    }
    if (authenticated != null && !authenticated.equals(Delivery.localOwner(mail(), address))) {
      throw new RejectException(
          553,
          "5.7.1 <"
              + printable(address)
              + ">: "
              + authenticated
              + " may send only as "
              + authenticated
              + "@"
              + mail().primaryDomain());
    }
    envelopeFrom = address;
  }

  @Override
  public void recipient(String recipient) throws RejectException {
    String address = recipient == null ? "" : recipient.trim();
    if (!ADDRESS.matcher(address).matches()) {
      throw new RejectException(501, "5.1.3 <" + printable(address) + ">: bad recipient address");
    }
    if (recipients.size() >= mail().maxRecipients()) {
      throw new RejectException(
          452, "4.5.3 Too many recipients: at most " + mail().maxRecipients() + " per message");
    }
    String owner = Delivery.localOwner(mail(), address);
    if (owner == null) {
      if (authenticated == null) {
        edge.count("rejected");
        throw new RejectException(550, "5.7.1 <" + address + ">: relaying denied");
      }
      recipients.add(address);
      return;
    }
    boolean known;
    try {
      known = await(Delivery.isOwner(edge.context(), owner));
    } catch (Exception e) {
      log.warn("{} cannot check SMTP recipient {}: {}", edge.device(), owner, describe(e));
      throw new RejectException(451, "4.3.0 cannot check the recipient now; try again");
    }
    if (!known) {
      edge.count("rejected");
      throw new RejectException(550, "5.1.1 <" + address + ">: no such user here");
    }
    recipients.add(address);
    owners.putIfAbsent(owner, address);
  }

  @Override
  public String data(InputStream data) throws RejectException, IOException {
    if (recipients.isEmpty()) {
      throw new RejectException(503, "5.5.1 Error: need RCPT command");
    }
    try {
      Message message = read(data);
      return authenticated != null ? submit(message) : deliver(message);
    } finally {
      release();
    }
  }

  @Override
  public void done() {
    release();
  }

  private String deliver(Message message) throws RejectException {
    String key = Delivery.dedupeKey(message.messageId(), message.bytes());
    String date = DATE.format(ZonedDateTime.now());
    List<Future<JsonObject>> deliveries = new ArrayList<>();
    for (Map.Entry<String, String> owner : owners.entrySet()) {
      byte[] stored = withReceived(message.bytes(), owner.getValue(), date);
      deliveries.add(
          Delivery.deliver(
              edge.context(),
              owner.getKey(),
              new Delivery.Incoming(stored, key, "INBOX", List.of())));
    }
    try {
      List<JsonObject> results = await(Future.all(deliveries)).list();
      boolean allDuplicates = results.stream().allMatch(r -> r.getBoolean("duplicate", false));
      edge.count(allDuplicates ? "duplicate" : "accepted");
      String id = results.isEmpty() ? session.getSessionId() : results.get(0).getString("id");
      return "2.0.0 Ok: queued as " + id;
    } catch (Exception e) {
      throw failed("deliver", owners.keySet().toString(), e);
    }
  }

  private String submit(Message message) throws RejectException {
    try {
      String messageId = message.messageId();
      byte[] bytes = message.bytes();
      if (messageId == null) {
        messageId = MessageBuilder.newMessageId(mail().primaryDomain());
        bytes = prepend("Message-ID: <" + messageId + ">\r\n", bytes);
      }
      JsonObject sent =
          await(
              Submission.submit(
                  edge.context(),
                  authenticated,
                  messageId,
                  envelopeFrom,
                  List.copyOf(recipients),
                  bytes));
      edge.count("accepted");
      return "2.0.0 Ok: queued as " + sent.getString("id");
    } catch (Exception e) {
      throw failed("submit for " + authenticated, recipients.toString(), e);
    }
  }

  private RejectException failed(String what, String whom, Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof IllegalArgumentException) {
      edge.count("rejected");
      return new RejectException(554, "5.6.0 " + printable(cause.getMessage()));
    }
    edge.count("deferred");
    log.warn(
        "{} cannot {} SMTP mail to {} (session {}): {}",
        edge.device(),
        what,
        whom,
        session.getSessionId(),
        describe(cause));
    return new RejectException(
        451, "4.3.0 mail service is moving or storage is below quorum; try again");
  }

  /** The message as the sender sent it, or a rejection when it breaks a limit. */
  private Message read(InputStream data) throws RejectException, IOException {
    long max = mail().maxMessageBytes();
    ByteArrayOutputStream kept = new ByteArrayOutputStream(CHUNK);
    byte[] buffer = new byte[CHUNK];
    long total = 0;
    int lineLength = 0;
    boolean tooBig = false;
    boolean lineTooLong = false;
    boolean noMemory = false;
    boolean nul = false;
    int n;
    while ((n = data.read(buffer)) != -1) {
      total += n;
      for (int i = 0; i < n; i++) {
        nul |= buffer[i] == 0;
        lineLength = buffer[i] == '\n' ? 0 : lineLength + 1;
        lineTooLong |= lineLength > MAX_DATA_LINE_BYTES;
      }
      tooBig = tooBig || total > max;
      if (tooBig || lineTooLong || nul || noMemory) {
        if (total > 2 * max + CHUNK) {
          // Reading on only feeds a sender that ignores the limit; the reply ends the session.
          edge.count("rejected");
          throw new DropConnectionException(552, "5.3.4 Message too big; closing");
        }
        continue;
      }
      // Three bytes of budget per byte read: the growing buffer (up to twice its content), then
      // the one array it becomes.
      if (!edge.reserve(3 * n)) {
        noMemory = true;
        continue;
      }
      heldPermits += 3 * n;
      kept.write(buffer, 0, n);
    }
    if (tooBig) {
      edge.count("rejected");
      throw new RejectException(552, "5.3.4 Message too big: the limit is " + max + " bytes");
    }
    if (lineTooLong) {
      edge.count("rejected");
      throw new RejectException(
          552, "5.3.4 Line too long: a line may have at most " + MAX_DATA_LINE_BYTES + " bytes");
    }
    if (nul) {
      // RFC 5322 forbids NUL in a message, and IMAP clients choke on it: refused, never stored.
      edge.count("rejected");
      throw new RejectException(554, "5.6.0 Message refused: it contains NUL bytes");
    }
    if (noMemory) {
      edge.count("deferred");
      log.warn("{} has no memory left for an SMTP message; deferring it", edge.device());
      throw new RejectException(452, "4.3.1 Insufficient system storage; try again later");
    }
    byte[] bytes = kept.toByteArray();
    return new Message(bytes, messageId(bytes));
  }

  private void release() {
    if (heldPermits > 0) {
      edge.release(heldPermits);
      heldPermits = 0;
    }
  }

  /**
   * The Message-ID of {@code bytes} without angle brackets, or {@code null}: read from the header
   * section (unfolded), without parsing the message.
   */
  static String messageId(byte[] bytes) {
    int end = Math.min(bytes.length, HEADER_SCAN_BYTES);
    String head = new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
    int blank = head.indexOf("\r\n\r\n");
    if (blank < 0) {
      blank = head.indexOf("\n\n");
    }
    if (blank >= 0) {
      head = head.substring(0, blank);
    }
    String unfolded = head.replaceAll("\r?\n[ \t]+", " ");
    for (String line : unfolded.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Message-ID")) {
        String value = line.substring(colon + 1).trim();
        int open = value.indexOf('<');
        int close = value.indexOf('>', open + 1);
        String id = open >= 0 && close > open ? value.substring(open + 1, close) : value;
        id = id.trim();
        return id.isEmpty() || id.length() > 998 ? null : id;
      }
    }
    return null;
  }

  private byte[] withReceived(byte[] message, String forAddress, String date) {
    String helo = session.getHelo().map(SmtpTransaction::token).orElse("unknown");
    InetSocketAddress remote = (InetSocketAddress) session.getRemoteAddress();
    String ip =
        remote == null || remote.getAddress() == null
            ? "unknown"
            : remote.getAddress().getHostAddress();
    String protocol =
        session instanceof org.subethamail.smtp.server.Session s && s.isTLSStarted()
            ? "ESMTPS"
            : "ESMTP";
    String header =
        "Received: from "
            + helo
            + " (["
            + ip
            + "])\r\n\tby "
            + token(edge.device())
            + " (Kith) with "
            + protocol
            + " id "
            + session.getSessionId()
            + "\r\n\tfor <"
            + forAddress
            + ">; "
            + date
            + "\r\n";
    return prepend(header, message);
  }

  private static byte[] prepend(String header, byte[] message) {
    byte[] head = header.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + message.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(message, 0, out, head.length, message.length);
    return out;
  }

  private MailConfig mail() {
    return edge.context().config(MailConfig.class);
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future
          .toCompletionStage()
          .toCompletableFuture()
          .get(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  private static String describe(Throwable e) {
    return e instanceof TimeoutException
        ? "no answer in " + DELIVERY_TIMEOUT_SECONDS + " s"
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** A HELO name or device name made safe for a header: a bounded run of harmless characters. */
  private static String token(String text) {
    String safe = text.replaceAll("[^A-Za-z0-9.\\-\\[\\]:_]", "");
    return safe.isEmpty() ? "unknown" : safe.substring(0, Math.min(safe.length(), 255));
  }

  private static String printable(String text) {
    if (text == null) {
      return "";
    }
    String safe = text.replaceAll("[^\\x20-\\x7e]", "?");
    return safe.length() > 200 ? safe.substring(0, 200) + "..." : safe;
  }

  private record Message(byte[] bytes, String messageId) {}
}
