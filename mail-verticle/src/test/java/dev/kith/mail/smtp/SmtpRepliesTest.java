package dev.kith.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SMTP replies get enhanced status codes")
class SmtpRepliesTest {

  @Test
  @DisplayName(
      "single-line replies without a code get one; greeting, 3xx and EHLO stay as they are")
  void addsCodes() throws IOException {
    String out =
        through(
            "220 example.org ESMTP Kith\r\n"
                + "250-example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
                + "250 Ok\r\n"
                + "500 Error: command not implemented\r\n"
                + "503 5.5.1 Error: need MAIL command\r\n"
                + "354 End data with <CR><LF>.<CR><LF>\r\n"
                + "501 Input line length is too long!\r\n"
                + "535 Authentication credentials invalid\r\n"
                + "421 Timeout waiting for data from client.\r\n");
    assertThat(out)
        .isEqualTo(
            "220 example.org ESMTP Kith\r\n"
                + "250-example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
                + "250 2.0.0 Ok\r\n"
                + "500 5.5.2 Error: command not implemented\r\n"
                + "503 5.5.1 Error: need MAIL command\r\n"
                + "354 End data with <CR><LF>.<CR><LF>\r\n"
                + "500 5.5.2 Line too long\r\n"
                + "535 5.7.8 Authentication credentials invalid\r\n"
                + "421 4.4.2 Timeout waiting for data from client.\r\n");
  }

  @Test
  @DisplayName("once TLS starts, bytes pass unchanged")
  void passesThroughAfterTls() throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    SmtpReplies replies = new SmtpReplies(sink);
    replies.passThrough();
    replies.write("250 Ok\r\n".getBytes(StandardCharsets.US_ASCII));
    replies.flush();
    assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo("250 Ok\r\n");
  }

  private static String through(String text) throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    SmtpReplies replies = new SmtpReplies(sink);
    replies.write(text.getBytes(StandardCharsets.US_ASCII));
    replies.flush();
    return sink.toString(StandardCharsets.US_ASCII);
  }
}
