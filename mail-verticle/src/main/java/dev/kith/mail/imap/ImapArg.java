package dev.kith.mail.imap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One argument of an IMAP command as {@link ImapParser} read it: an atom, a string (quoted or a
 * literal) or a parenthesized list. The parser does not know what a command's arguments mean; each
 * command reads them by position.
 */
sealed interface ImapArg permits ImapArg.Atom, ImapArg.Str, ImapArg.Group {

  /** What a command's reply says the argument is, for errors. */
  String describe();

  /**
   * An atom as sent: {@code NIL}, a number, a sequence set ({@code 1:*,7}), a flag ({@code \Seen}),
   * or a fetch item with its section and partial ({@code BODY.PEEK[HEADER.FIELDS (FROM
   * TO)]<0.2048>}: an atom holding {@code [} runs to its matching {@code ]}, spaces and parentheses
   * included, and takes a {@code <...>} right after it).
   */
  record Atom(String text) implements ImapArg {
    public String upper() {
      return text.toUpperCase(Locale.ROOT);
    }

    @Override
    public String describe() {
      return text;
    }
  }

  /**
   * A quoted string or a literal: its bytes. Equal to another with the same bytes (a record
   * compares arrays by identity), so that whole commands compare by content.
   */
  record Str(byte[] bytes) implements ImapArg {
    public String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Str s && Arrays.equals(bytes, s.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Str[" + describe() + "]";
    }

    @Override
    public String describe() {
      return '"' + text() + '"';
    }
  }

  /** A parenthesized list. */
  record Group(List<ImapArg> items) implements ImapArg {
    public Group {
      items = List.copyOf(items);
    }

    @Override
    public String describe() {
      return "(" + String.join(" ", items.stream().map(ImapArg::describe).toList()) + ")";
    }
  }

  /**
   * The text of an atom or a string (an astring in RFC 3501's grammar), or null for a list. NIL
   * stays the text {@code NIL}; where NIL means nothing, the command checks for it.
   */
  static String text(ImapArg arg) {
    if (arg instanceof Atom a) {
      return a.text();
    }
    if (arg instanceof Str s) {
      return s.text();
    }
    return null;
  }
}
