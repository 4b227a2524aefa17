package dev.kith.mesh;

import dev.kith.mesh.auth.Passwords;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads passwords for the client commands: from the terminal without echo when there is one, else
 * one line of standard input each, so that scripts and tests can pipe them in ({@code printf
 * 'old\nnew\n' | kith passwd}). A password never comes from the command line, where other users of
 * the machine could see it.
 */
final class PasswordPrompt {

  private final Console console;
  private final Reader in;

  private PasswordPrompt(Console console, InputStream in) {
    this.console = console;
    this.in = new InputStreamReader(in, StandardCharsets.UTF_8);
  }

  /** Reads from the terminal if there is one, else from standard input. */
  static PasswordPrompt standard() {
    return new PasswordPrompt(System.console(), System.in);
  }

  /** A password; {@code null} when none is given (an empty line or the end of the input). */
  String read(String prompt) throws IOException {
    if (console != null) {
      char[] typed = console.readPassword("%s", prompt);
      return typed == null || typed.length == 0 ? null : new String(typed);
    }
    return line();
  }

  /**
   * A new password, typed twice on a terminal; {@code null} when none is given.
   *
   * @throws IOException when the two differ
   */
  String readNew(String prompt) throws IOException {
    if (console == null) {
      return line();
    }
    char[] typed = console.readPassword("%s", prompt);
    if (typed == null || typed.length == 0) {
      return null;
    }
    char[] again = console.readPassword("again: ");
    if (again == null || !Arrays.equals(typed, again)) {
      throw new IOException("the two passwords differ");
    }
    return new String(typed);
  }

  /** One line, read a character at a time so that nothing past it is consumed or kept. */
  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
      if (line.length() > Passwords.MAX_CHARS) {
        throw new IOException("the password is longer than " + Passwords.MAX_CHARS + " characters");
      }
      line.append((char) c);
    }
    if (line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
      line.setLength(line.length() - 1);
    }
    return line.length() == 0 ? null : line.toString();
  }
}
