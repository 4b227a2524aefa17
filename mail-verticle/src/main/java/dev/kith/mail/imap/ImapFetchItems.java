package dev.kith.mail.imap;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The items of one FETCH, parsed once and rendered for every message. An item that needs the
 * message's bytes says so, so a FETCH of flags alone never reads the vault.
 */
final class ImapFetchItems {

  /** One fetch item: how it answers for a message. */
  interface Item {
    void render(Buffer out, JsonObject record, ImapMessage message);

    default boolean needsBytes() {
      return false;
    }

    default boolean setsSeen() {
      return false;
    }

    String name();
  }

  private final List<Item> items;
  private final boolean byUid;

  private ImapFetchItems(List<Item> items, boolean byUid) {
    this.items = items;
    this.byUid = byUid;
  }

  static ImapFetchItems parse(ImapArg arg, boolean byUid) {
    List<ImapArg> named = arg instanceof ImapArg.Group g ? g.items() : List.of(arg);
    if (named.isEmpty()) {
      throw ImapFailure.bad("FETCH needs at least one item");
    }
    List<Item> items = new ArrayList<>();
    for (ImapArg a : named) {
      if (!(a instanceof ImapArg.Atom atom)) {
        throw ImapFailure.bad("Not a FETCH item: " + a.describe());
      }
      switch (atom.upper()) {
        case "ALL" -> items.addAll(macro("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"));
        case "FAST" -> items.addAll(macro("FLAGS", "INTERNALDATE", "RFC822.SIZE"));
        case "FULL" ->
            items.addAll(macro("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"));
        default -> items.add(item(atom.text()));
      }
    }
    return new ImapFetchItems(items, byUid);
  }

  private static List<Item> macro(String... names) {
    List<Item> out = new ArrayList<>();
    for (String n : names) {
      out.add(item(n));
    }
    return out;
  }

  boolean needsBytes() {
    return items.stream().anyMatch(Item::needsBytes);
  }

  boolean setsSeen() {
    return items.stream().anyMatch(Item::setsSeen);
  }

  /**
   * The items to answer: those asked for, with UID for UID FETCH, FLAGS when the fetch itself set
   * \Seen, and MODSEQ beside FLAGS once CONDSTORE is in use (RFC 7162 §3.1.1).
   */
  List<Item> list(boolean flagsChanged, boolean condstore) {
    List<Item> out = new ArrayList<>();
    if (byUid && !has("UID")) {
      out.add(item("UID"));
    }
    out.addAll(items);
    if (flagsChanged && !has("FLAGS")) {
      out.add(item("FLAGS"));
    }
    if (condstore && !has("MODSEQ") && (has("FLAGS") || flagsChanged)) {
      out.add(item("MODSEQ"));
    }
    return out;
  }

  private boolean has(String name) {
    return items.stream().anyMatch(i -> i.name().equals(name));
  }

  private static Item item(String text) {
    String upper = text.toUpperCase(Locale.ROOT);
    return switch (upper) {
      case "UID" -> simple("UID", (out, r) -> out.appendString("UID " + r.getLong("uid")));
      case "FLAGS" ->
          simple(
              "FLAGS",
              (out, r) -> out.appendString("FLAGS " + ImapFetch.flagList(r.getJsonArray("flags"))));
      case "INTERNALDATE" ->
          simple(
              "INTERNALDATE",
              (out, r) ->
                  out.appendString(
                      "INTERNALDATE " + ImapFetch.internalDate(r.getLong("received", 0L))));
      case "RFC822.SIZE" ->
          simple(
              "RFC822.SIZE", (out, r) -> out.appendString("RFC822.SIZE " + r.getLong("size", 0L)));
      case "MODSEQ" ->
          simple(
              "MODSEQ", (out, r) -> out.appendString("MODSEQ (" + r.getLong("modseq", 1L) + ")"));
      case "ENVELOPE" -> parsed("ENVELOPE", m -> m.envelope());
      case "BODYSTRUCTURE" -> parsed("BODYSTRUCTURE", m -> m.bodyStructure(true));
      case "BODY" -> parsed("BODY", m -> m.bodyStructure(false));
      case "RFC822" -> new Section("RFC822", "RFC822", "", -1, -1, true, false);
      case "RFC822.HEADER" ->
          new Section("RFC822.HEADER", "RFC822.HEADER", "HEADER", -1, -1, false, false);
      case "RFC822.TEXT" -> new Section("RFC822.TEXT", "RFC822.TEXT", "TEXT", -1, -1, true, false);
      default -> section(text, upper);
    };
  }

  private interface Simple {
    void render(Buffer out, JsonObject record);
  }

  private static Item simple(String name, Simple how) {
    return new Item() {
      @Override
      public void render(Buffer out, JsonObject record, ImapMessage message) {
        how.render(out, record);
      }

      @Override
      public String name() {
        return name;
      }
    };
  }

  private static Item parsed(String name, java.util.function.Function<ImapMessage, String> how) {
    return new Item() {
      @Override
      public void render(Buffer out, JsonObject record, ImapMessage message) {
        out.appendString(name + " ").appendString(how.apply(message));
      }

      @Override
      public boolean needsBytes() {
        return true;
      }

      @Override
      public String name() {
        return name;
      }
    };
  }

  /** {@code BODY[...]}, {@code BODY.PEEK[...]}, {@code BINARY[...]}, with a partial or not. */
  private static Item section(String text, String upper) {
    int open = upper.indexOf('[');
    int close = upper.lastIndexOf(']');
    if (open < 0 || close < open) {
      throw ImapFailure.bad("Unknown FETCH item " + text);
    }
    String kind = upper.substring(0, open);
    String spec = text.substring(open + 1, close);
    long offset = -1;
    long length = -1;
    String rest = text.substring(close + 1);
    if (!rest.isEmpty()) {
      if (!rest.startsWith("<") || !rest.endsWith(">")) {
        throw ImapFailure.bad("Bad partial in " + text);
      }
      String[] parts = rest.substring(1, rest.length() - 1).split("\\.", -1);
      try {
        offset = Long.parseLong(parts[0]);
        length = parts.length > 1 ? Long.parseLong(parts[1]) : Long.MAX_VALUE;
      } catch (NumberFormatException e) {
        throw ImapFailure.bad("Bad partial in " + text);
      }
      if (parts.length > 2 || offset < 0 || length < 0) {
        throw ImapFailure.bad("Bad partial in " + text);
      }
    }
    return switch (kind) {
      case "BODY" -> new Section("BODY", "BODY[" + spec + "]", spec, offset, length, true, false);
      case "BODY.PEEK" ->
          new Section("BODY", "BODY[" + spec + "]", spec, offset, length, false, false);
      case "BINARY" ->
          new Section("BINARY", "BINARY[" + spec + "]", spec, offset, length, true, true);
      case "BINARY.PEEK" ->
          new Section("BINARY", "BINARY[" + spec + "]", spec, offset, length, false, true);
      case "BINARY.SIZE" -> new BinarySize("BINARY.SIZE[" + spec + "]", spec);
      default -> throw ImapFailure.bad("Unknown FETCH item " + text);
    };
  }

  /** A body section: its bytes as a literal, and its name as the answer echoes it. */
  private record Section(
      String name,
      String label,
      String spec,
      long offset,
      long length,
      boolean seen,
      boolean binary)
      implements Item {

    @Override
    public void render(Buffer out, JsonObject record, ImapMessage message) {
      byte[] bytes;
      try {
        bytes = binary ? message.binary(spec) : message.section(spec);
      } catch (IllegalArgumentException e) {
        throw ImapFailure.bad("Bad section " + spec + ": " + e.getMessage());
      }
      if (bytes == null) {
        throw ImapFailure.no(
            "[UNKNOWN-CTE] Part " + spec + " has an encoding this server cannot decode");
      }
      out.appendString(label);
      if (offset >= 0) {
        out.appendString("<" + offset + ">");
        bytes = ImapMessage.partial(bytes, offset, length);
      }
      boolean nul = false;
      for (int i = 0; i < bytes.length && !nul; i++) {
        nul = bytes[i] == 0;
      }
      if (nul && !binary) {
        // A literal may not hold NUL (RFC 3501 §4.3): sent as 0x80, as Dovecot does.
        bytes = bytes.clone();
        for (int i = 0; i < bytes.length; i++) {
          if (bytes[i] == 0) {
            bytes[i] = (byte) 0x80;
          }
        }
        nul = false;
      }
      out.appendString(" " + (nul ? "~" : "") + "{" + bytes.length + "}\r\n").appendBytes(bytes);
    }

    @Override
    public boolean needsBytes() {
      return true;
    }

    @Override
    public boolean setsSeen() {
      return seen;
    }
  }

  private record BinarySize(String name, String spec) implements Item {
    @Override
    public void render(Buffer out, JsonObject record, ImapMessage message) {
      byte[] decoded = message.binary(spec);
      if (decoded == null) {
        throw ImapFailure.no(
            "[UNKNOWN-CTE] Part " + spec + " has an encoding this server cannot decode");
      }
      out.appendString(name + " " + decoded.length);
    }

    @Override
    public boolean needsBytes() {
      return true;
    }
  }
}
