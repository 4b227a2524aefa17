package dev.kith.mesh.vault;

import java.util.regex.Pattern;

/**
 * The rules for the names the vault accepts: owners, object ids and record keys. The store builds
 * file paths from owners and ids, so these checks are what keep a name from leaving its directory.
 */
public final class VaultNames {

  /** Owners as they appear in device names: lowercase letters, digits and dashes. */
  public static final Pattern OWNER = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /** A SHA-256 digest in lowercase hex. */
  public static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{64}");

  public static final int MAX_KEY_CHARS = 512;

  private static final int MAX_QUOTED_CHARS = 80;

  private VaultNames() {}

  public static String requireOwner(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new IllegalArgumentException(
          "owner must be 1 to 63 lowercase letters, digits or dashes, not starting with a dash: "
              + quote(owner));
    }
    return owner;
  }

  public static String requireObjectId(String id) {
    if (id == null || !OBJECT_ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "object id must be 64 lowercase hex digits (a SHA-256): " + quote(id));
    }
    return id;
  }

  /** A prefix of an object id: 0 to 64 lowercase hex digits. */
  public static String requireObjectIdPrefix(String prefix) {
    if (prefix == null || prefix.length() > 64 || !prefix.chars().allMatch(VaultNames::isHex)) {
      throw new IllegalArgumentException(
          "object id prefix must be up to 64 lowercase hex digits: " + quote(prefix));
    }
    return prefix;
  }

  /**
   * A record key: 1 to {@value #MAX_KEY_CHARS} characters, no NUL, and well-formed UTF-16 (an
   * unpaired surrogate would not survive the trip through UTF-8 into the database).
   */
  public static String requireKey(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_CHARS) {
      throw new IllegalArgumentException(
          "record key must be 1 to " + MAX_KEY_CHARS + " characters: " + quote(key));
    }
    requireKeyText(key, "record key");
    return key;
  }

  /** A key prefix or a paging cursor: like a key, but it may be empty. */
  static String requireKeyText(String text, String what) {
    if (text.length() > MAX_KEY_CHARS) {
      throw new IllegalArgumentException(
          what + " must be at most " + MAX_KEY_CHARS + " characters: " + quote(text));
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0') {
        throw new IllegalArgumentException(what + " must not contain NUL: " + quote(text));
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            what + " has an unpaired surrogate at index " + i + ": " + quote(text));
      }
    }
    return text;
  }

  private static boolean isHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  private static String quote(String s) {
    if (s == null) {
      return "null";
    }
    return s.length() <= MAX_QUOTED_CHARS
        ? "'" + s + "'"
        : "'" + s.substring(0, MAX_QUOTED_CHARS) + "...' (" + s.length() + " characters)";
  }
}
