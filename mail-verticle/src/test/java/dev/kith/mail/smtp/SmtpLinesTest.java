package dev.kith.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("What an SMTP session reads (SmtpLines)")
class SmtpLinesTest {

  private final ByteArrayOutputStream wire = new ByteArrayOutputStream();
  private final SmtpReplies replies = new SmtpReplies(wire);

  @Test
  @DisplayName("hands on one command line per read, and turns a bare-LF line into its marker")
  void oneLineAtATime() throws IOException {
    SmtpLines lines = lines("NOOP\r\nRSET\nQUIT\r\n");
    assertThat(next(lines)).isEqualTo("NOOP\r\n");
    assertThat(next(lines)).isEqualTo(SmtpLines.BARE_LF_VERB + "\r\n");
    assertThat(next(lines)).isEqualTo("QUIT\r\n");
    assertThat(lines.read(new byte[10], 0, 10)).isEqualTo(-1);
  }

  @Test
  @DisplayName("after DATA and 354, passes the message unchanged to <CRLF>.<CRLF> only")
  void dataEndsOnlyAtCrLfDotCrLf() throws IOException {
    String message = "Subject: x\r\n\r\nhello\n.\nMAIL FROM:<smuggled@x>\r\nend\r\n.\r\n";
    SmtpLines lines = lines("DATA\r\n" + message + "NOOP\n");
    assertThat(next(lines)).isEqualTo("DATA\r\n");
    reply("354 End data with <CR><LF>.<CR><LF>");
    assertThat(next(lines)).isEqualTo(message);
    reply("250 2.0.0 Ok");
    assertThat(next(lines)).isEqualTo(SmtpLines.BARE_LF_VERB + "\r\n");
  }

  @Test
  @DisplayName("an empty message ends at the first .<CRLF>; a refused DATA leaves command mode on")
  void emptyMessageAndRefusedData() throws IOException {
    SmtpLines lines = lines("DATA\r\n.\r\nDATA\r\nNOOP\n");
    assertThat(next(lines)).isEqualTo("DATA\r\n");
    reply("354 go ahead");
    assertThat(next(lines)).isEqualTo(".\r\n");
    reply("250 Ok");
    assertThat(next(lines)).isEqualTo("DATA\r\n");
    reply("503 5.5.1 Error: need MAIL command");
    assertThat(next(lines)).isEqualTo(SmtpLines.BARE_LF_VERB + "\r\n");
  }

  @Test
  @DisplayName("drops what a client pipelined after STARTTLS, then passes TLS bytes through")
  void dropsCommandsInjectedBeforeTls() throws IOException {
    SmtpLines lines =
        new SmtpLines(
            new SequenceInputStream(
                bytes("STARTTLS\r\nMAIL FROM:<injected@x>\r\n"), bytes("\u0016\u0003\u0001")),
            replies);
    assertThat(next(lines)).isEqualTo("STARTTLS\r\n");
    lines.passThrough();
    assertThat(next(lines)).isEqualTo("\u0016\u0003\u0001");
  }

  private SmtpLines lines(String input) {
    return new SmtpLines(bytes(input), replies);
  }

  private static ByteArrayInputStream bytes(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private void reply(String line) throws IOException {
    replies.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    replies.flush();
  }

  private static String next(SmtpLines lines) throws IOException {
    byte[] buffer = new byte[8192];
    int n = lines.read(buffer, 0, buffer.length);
    return n < 0 ? null : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
  }
}
