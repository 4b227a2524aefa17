package dev.kith.mail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal SMTP client for tests that need exact bytes on the wire. */
public final class RawSmtp {

  private RawSmtp() {}

  /**
   * Sends {@code message} (headers and body, CRLF line ends, not dot-stuffed) and gives the reply
   * code to the end of DATA, or the first failing reply's code, or -1 when the connection failed.
   */
  public static int send(int port, String from, String to, String message) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(30_000);
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = socket.getOutputStream();
      int code = reply(in);
      if (code != 220) {
        return code;
      }
      for (String command :
          new String[] {
            "EHLO test.local", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA"
          }) {
        out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        code = reply(in);
        if (code >= 400) {
          return code;
        }
      }
      String stuffed = message.replace("\r\n.", "\r\n..");
      out.write(
          (stuffed + (stuffed.endsWith("\r\n") ? "" : "\r\n") + ".\r\n")
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      code = reply(in);
      out.write("QUIT\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      return code;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Reads one (possibly multi-line) reply and gives its code. */
  public static int reply(BufferedReader in) throws IOException {
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
