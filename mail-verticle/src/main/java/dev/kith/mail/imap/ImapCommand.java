package dev.kith.mail.imap;

import java.util.List;

/**
 * One complete IMAP command: its tag, its name in upper case ({@code "FETCH"}, and for the UID
 * forms the two words, {@code "UID FETCH"}), and its arguments in order, literals included.
 */
record ImapCommand(String tag, String name, List<ImapArg> args) {

  ImapCommand {
    args = List.copyOf(args);
  }

  /** The number of arguments. */
  int size() {
    return args.size();
  }

  /** The argument at {@code index}, or null past the end. */
  ImapArg arg(int index) {
    return index < args.size() ? args.get(index) : null;
  }
}
