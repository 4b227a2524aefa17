package dev.kith.mail.imap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The arguments of LIST and LSUB: RFC 3501's {@code reference pattern}, and RFC 5258's extended
 * form {@code [(selection options)] reference (patterns) [RETURN (options)]} with the selection
 * options SUBSCRIBED, SPECIAL-USE and RECURSIVEMATCH and the return options SUBSCRIBED, CHILDREN,
 * SPECIAL-USE and STATUS (RFC 5819).
 */
record ImapListArgs(
    List<Pattern> patterns,
    List<Pattern> caseless,
    boolean delimiterOnly,
    boolean specialUseOnly,
    boolean subscribedAttribute,
    List<String> status) {

  static ImapListArgs parse(ImapCommand c, boolean lsub) {
    int at = 0;
    boolean specialUseOnly = false;
    boolean subscribed = false;
    if (!lsub && c.arg(0) instanceof ImapArg.Group selection) {
      for (ImapArg a : selection.items()) {
        String option = String.valueOf(ImapArg.text(a)).toUpperCase(Locale.ROOT);
        switch (option) {
          case "SPECIAL-USE" -> specialUseOnly = true;
          case "SUBSCRIBED" -> subscribed = true;
          case "RECURSIVEMATCH", "REMOTE" -> {}
          default -> throw ImapFailure.bad("Unknown LIST selection option " + option);
        }
      }
      at++;
    }
    String reference = ImapArg.text(c.arg(at));
    ImapArg patternArg = c.arg(at + 1);
    if (reference == null || patternArg == null) {
      throw ImapFailure.bad(c.name() + " takes a reference and a mailbox pattern");
    }
    List<String> patterns = new ArrayList<>();
    if (patternArg instanceof ImapArg.Group g) {
      g.items().forEach(p -> patterns.add(String.valueOf(ImapArg.text(p))));
    } else {
      patterns.add(ImapArg.text(patternArg));
    }
    List<String> status = null;
    int next = at + 2;
    if (next < c.size()) {
      if (lsub
          || !"RETURN".equalsIgnoreCase(ImapArg.text(c.arg(next)))
          || !(c.arg(next + 1) instanceof ImapArg.Group options)
          || c.size() != next + 2) {
        throw ImapFailure.bad("Unexpected arguments after the mailbox pattern");
      }
      List<ImapArg> items = options.items();
      for (int i = 0; i < items.size(); i++) {
        String option = String.valueOf(ImapArg.text(items.get(i))).toUpperCase(Locale.ROOT);
        switch (option) {
          case "SUBSCRIBED" -> subscribed = true;
          case "CHILDREN", "SPECIAL-USE" -> {}
          case "STATUS" -> {
            if (!(i + 1 < items.size() && items.get(i + 1) instanceof ImapArg.Group s)) {
              throw ImapFailure.bad("RETURN STATUS takes a list of items");
            }
            status = new ArrayList<>();
            for (ImapArg item : s.items()) {
              status.add(String.valueOf(ImapArg.text(item)).toUpperCase(Locale.ROOT));
            }
            i++;
          }
          default -> throw ImapFailure.bad("Unknown LIST return option " + option);
        }
      }
    }
    boolean delimiterOnly = patterns.size() == 1 && patterns.get(0).isEmpty();
    List<Pattern> compiled = new ArrayList<>();
    List<Pattern> caseless = new ArrayList<>();
    for (String p : patterns) {
      compiled.add(compile(reference + p, 0));
      caseless.add(compile(reference + p, Pattern.CASE_INSENSITIVE));
    }
    return new ImapListArgs(compiled, caseless, delimiterOnly, specialUseOnly, subscribed, status);
  }

  /** {@code *} and {@code %} match anything (the names are flat); INBOX in any case. */
  private static Pattern compile(String pattern, int flags) {
    StringBuilder regex = new StringBuilder();
    for (char ch : pattern.toCharArray()) {
      if (ch == '*' || ch == '%') {
        regex.append(".*");
      } else {
        regex.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.compile(regex.toString(), flags);
  }

  boolean matches(String name) {
    for (Pattern p : name.equals("INBOX") ? caseless : patterns) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }
}
