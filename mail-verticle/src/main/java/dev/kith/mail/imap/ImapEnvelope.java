package dev.kith.mail.imap;

import java.util.ArrayList;
import java.util.List;

/**
 * ENVELOPE (RFC 3501 §7.4.2) of a header: date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to, message-id. Address lists are parsed as Dovecot's message-address parser does,
 * because mail clients cache envelopes and compare them across servers, and because the broken
 * addresses real mail carries need an answer: a missing local part or domain becomes {@code
 * MISSING_MAILBOX} / {@code MISSING_DOMAIN}, a bad route {@code INVALID_ROUTE}, a bad angle address
 * {@code SYNTAX_ERROR}, a group is {@code (NIL NIL "name" NIL)} ... {@code (NIL NIL NIL NIL)}, and
 * a trailing comment names an address that has no display name.
 *
 * <p>As in Dovecot, the last Date, Subject, In-Reply-To and Message-ID field wins, repeated address
 * fields are joined, sender and reply-to default to from, and encoded words (RFC 2047) stay
 * encoded.
 */
final class ImapEnvelope {

  private static final int DATE = 0;
  private static final int SUBJECT = 1;
  private static final int IN_REPLY_TO = 2;
  private static final int MESSAGE_ID = 3;
  private static final int FROM = 0;
  private static final int SENDER = 1;
  private static final int REPLY_TO = 2;
  private static final int TO = 3;
  private static final int CC = 4;
  private static final int BCC = 5;

  private static final String[] TEXT_FIELDS = {"Date", "Subject", "In-Reply-To", "Message-ID"};
  private static final String[] ADDRESS_FIELDS = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};

  /** One address as ENVELOPE shows it; any part may be null (NIL). */
  private static final class Address {
    String name;
    String route;
    String mailbox;
    String domain;
    boolean invalid;
  }

  private final ImapRfc822 p;
  private final StringBuilder str = new StringBuilder();
  private final List<Address> out;
  private Address addr = new Address();

  private ImapEnvelope(String value, List<Address> out) {
    this.p = new ImapRfc822(value, new StringBuilder());
    this.out = out;
  }

  private ImapEnvelope() {
    this.p = null;
    this.out = null;
  }

  /** Writes the envelope of {@code h}, without the surrounding parentheses. */
  static void write(StringBuilder sb, ImapHeader h) {
    String[] text = new String[TEXT_FIELDS.length];
    List<List<Address>> lists = new ArrayList<>(ADDRESS_FIELDS.length);
    for (int k = 0; k < ADDRESS_FIELDS.length; k++) {
      lists.add(new ArrayList<>(1));
    }
    for (int i = 0; i < h.count(); i++) {
      int t = indexOf(h, i, TEXT_FIELDS);
      if (t >= 0) {
        text[t] = h.value(i);
        continue;
      }
      int a = indexOf(h, i, ADDRESS_FIELDS);
      if (a >= 0) {
        parseList(h.value(i), lists.get(a));
      }
    }
    ImapStrings.appendNstringNoLf(sb, text[DATE]);
    sb.append(' ');
    if (text[SUBJECT] == null) {
      sb.append("NIL");
    } else {
      ImapStrings.appendForHumans(sb, text[SUBJECT]);
    }
    List<Address> from = lists.get(FROM);
    writeList(sb.append(' '), from);
    writeList(sb.append(' '), lists.get(SENDER).isEmpty() ? from : lists.get(SENDER));
    writeList(sb.append(' '), lists.get(REPLY_TO).isEmpty() ? from : lists.get(REPLY_TO));
    writeList(sb.append(' '), lists.get(TO));
    writeList(sb.append(' '), lists.get(CC));
    writeList(sb.append(' '), lists.get(BCC));
    sb.append(' ');
    ImapStrings.appendNstringNoLf(sb, text[IN_REPLY_TO]);
    sb.append(' ');
    ImapStrings.appendNstringNoLf(sb, text[MESSAGE_ID]);
  }

  private static int indexOf(ImapHeader h, int field, String[] names) {
    for (int k = 0; k < names.length; k++) {
      if (h.nameIs(field, names[k])) {
        return k;
      }
    }
    return -1;
  }

  private static void writeList(StringBuilder sb, List<Address> list) {
    if (list.isEmpty()) {
      sb.append("NIL");
      return;
    }
    sb.append('(');
    for (Address a : list) {
      sb.append('(');
      if (a.name == null) {
        sb.append("NIL");
      } else {
        ImapStrings.appendForHumans(sb, a.name);
      }
      sb.append(' ');
      ImapStrings.appendNstring(sb, a.route);
      sb.append(' ');
      ImapStrings.appendNstring(sb, a.mailbox);
      sb.append(' ');
      ImapStrings.appendNstring(sb, a.domain);
      sb.append(')');
    }
    sb.append(')');
  }

  /** Parses an address-list (RFC 5322 §3.4) into {@code out}. */
  private static void parseList(String value, List<Address> out) {
    ImapEnvelope e = new ImapEnvelope(value, out);
    if (e.p.skipLwsp() > 0) {
      e.addressList();
    }
  }

  private void addressList() {
    for (; ; ) {
      if (address() == 0) {
        return;
      }
      if (p.atEnd() || p.peek() != ',') {
        return;
      }
      p.pos++;
      int ret = p.skipLwsp();
      if (ret <= 0) {
        if (ret < 0) {
          addFixed();
        }
        return;
      }
    }
  }

  private int address() {
    int start = p.pos;
    int ret = group();
    if (ret < 0) {
      p.pos = start;
      ret = mailbox();
    }
    return ret;
  }

  private void add() {
    out.add(addr);
    addr = new Address();
  }

  private void addFixed() {
    if (addr.mailbox == null) {
      addr.mailbox = "MISSING_MAILBOX";
      addr.invalid = true;
    }
    if (addr.domain == null || addr.domain.isEmpty()) {
      addr.domain = "MISSING_DOMAIN";
      addr.invalid = true;
    }
    add();
  }

  /** group = display-name ":" [mailbox-list / CFWS] ";" [CFWS] */
  private int group() {
    str.setLength(0);
    if (p.parsePhrase(str) <= 0 || p.peek() != ':') {
      return -1;
    }
    p.pos++;
    int ret = p.skipLwsp();
    if (ret <= 0) {
      addr.invalid = true;
    }
    addr.mailbox = str.toString();
    add();
    if (ret > 0 && p.peek() != ';') {
      for (; ; ) {
        mailbox();
        if (p.atEnd() || p.peek() != ',') {
          break;
        }
        p.pos++;
        if (p.skipLwsp() <= 0) {
          ret = -1;
          break;
        }
      }
    }
    if (ret >= 0) {
      if (p.atEnd() || p.peek() != ';') {
        ret = -1;
      } else {
        p.pos++;
        ret = p.skipLwsp();
      }
    }
    if (ret < 0) {
      addr.invalid = true;
    }
    add();
    return ret == 0 ? 0 : 1;
  }

  /** mailbox = name-addr / addr-spec */
  private int mailbox() {
    int start = p.pos;
    int ret = nameAddr();
    if (ret < 0) {
      p.pos = start;
      ret = addrSpec();
      if (addr.invalid && addr.name == null && addr.mailbox != null && addr.domain == null) {
        addr.name = addr.mailbox;
        addr.mailbox = null;
      }
    }
    if (ret < 0) {
      addr.invalid = true;
    }
    addFixed();
    return ret;
  }

  private int nameAddr() {
    str.setLength(0);
    if (p.parsePhrase(str) <= 0 || p.peek() != '<') {
      return -1;
    }
    addr.name = str.length() == 0 ? null : str.toString();
    if (angleAddr() < 0) {
      addr.domain = "SYNTAX_ERROR";
      addr.invalid = true;
    }
    return p.more();
  }

  /** "<" [ "@" route ":" ] local-part "@" domain ">" */
  private int angleAddr() {
    p.pos++;
    if (p.skipLwsp() <= 0) {
      return -1;
    }
    if (p.peek() == '@') {
      if (domainList() > 0 && p.peek() == ':') {
        p.pos++;
      } else {
        addr.route = "INVALID_ROUTE";
        if (p.atEnd()) {
          return -1;
        }
      }
      if (p.skipLwsp() <= 0) {
        return -1;
      }
    }
    if (p.peek() != '>') {
      if (localPart() <= 0) {
        return -1;
      }
      if (p.peek() == '@' && domain() <= 0) {
        return -1;
      }
    }
    if (p.peek() != '>') {
      return -1;
    }
    p.pos++;
    return p.skipLwsp();
  }

  /** obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain) */
  private int domainList() {
    str.setLength(0);
    for (; ; ) {
      if (p.atEnd()) {
        return 0;
      }
      if (p.peek() != '@') {
        break;
      }
      if (str.length() > 0) {
        str.append(',');
      }
      str.append('@');
      int ret = p.parseDomain(str);
      if (ret <= 0) {
        return ret;
      }
      while (p.skipLwsp() > 0 && p.peek() == ',') {
        p.pos++;
      }
    }
    addr.route = str.toString();
    return 1;
  }

  private int addrSpec() {
    p.lastComment.setLength(0);
    boolean quoted = p.peek() == '"';
    int ret = localPart();
    if (ret <= 0) {
      addr.invalid = true;
    }
    int domainRet = -2;
    if (ret != 0 && p.peek() == '@') {
      domainRet = domain();
      if (domainRet <= 0) {
        ret = domainRet;
      }
    }
    if (p.lastComment.length() > 0) {
      addr.name = p.lastComment.toString();
    } else if (domainRet == -2) {
      // A local part without @domain: a lone word is a mailbox, more words are a display name.
      str.append(' ');
      int before = str.length();
      p.parsePhrase(str);
      if (str.length() != before) {
        addr.mailbox = null;
        addr.name = str.toString();
      } else if (!quoted) {
        addr.domain = "";
      }
      addr.invalid = true;
      ret = -1;
    }
    return ret;
  }

  private int localPart() {
    str.setLength(0);
    int ret = p.peek() == '"' ? p.parseQuotedString(str) : dotAtomLoose();
    if (ret < 0) {
      return -1;
    }
    addr.mailbox = str.toString();
    return ret;
  }

  /** A dot-atom that allows leading, trailing and repeated dots, as real mail has them. */
  private int dotAtomLoose() {
    int ret = -1;
    do {
      while (p.peek() == '.') {
        str.append('.');
        p.pos++;
        if (p.atEnd()) {
          return 0;
        }
        ret = 1;
      }
      if (p.peek() == '@') {
        break;
      }
      ret = p.parseAtom(str);
    } while (ret > 0 && p.peek() == '.');
    return ret;
  }

  private int domain() {
    str.setLength(0);
    int ret = p.parseDomain(str);
    if (ret < 0) {
      return -1;
    }
    addr.domain = str.toString();
    return ret;
  }
}
