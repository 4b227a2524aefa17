package dev.kith.chat.xml;

/**
 * The characters and names XML 1.0 allows. Every string an {@link XmlElement} holds passes through
 * here, so that an element built from user text always serializes to XML that parses back to it.
 */
final class XmlChars {

  private XmlChars() {}

  /** Throws unless every character of {@code text} is a Char of XML 1.0 (§2.2). */
  static String checkText(String text, String what) {
    int length = text.length();
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0xD800 || c == '\n' || c == '\t' || c == '\r') {
        continue;
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < length
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (c < 0xE000 || c > 0xFFFD) {
        throw new IllegalArgumentException(
            String.format("%s has U+%04X, which XML does not allow", what, (int) c));
      }
    }
    return text;
  }

  /** Throws unless {@code name} is a name without a prefix (an NCName of XML Namespaces). */
  static String checkName(String name, String what) {
    if (!isNcName(name)) {
      throw new IllegalArgumentException(what + " '" + name + "' is not an XML name");
    }
    return name;
  }

  /**
   * Throws unless {@code name} can be an attribute of an {@link XmlElement}: a name without a
   * prefix, or {@code xml:} and one (as {@code xml:lang}). Namespace declarations are not
   * attributes here: the element's namespace says them.
   */
  static String checkAttributeName(String name) {
    String local = name.startsWith("xml:") ? name.substring(4) : name;
    if (!isNcName(local) || name.equals("xmlns")) {
      throw new IllegalArgumentException("attribute name '" + name + "' is not allowed");
    }
    return name;
  }

  private static boolean isNcName(String name) {
    if (name == null || name.isEmpty() || !isNameStart(name.codePointAt(0))) {
      return false;
    }
    for (int i = Character.charCount(name.codePointAt(0)); i < name.length(); ) {
      int c = name.codePointAt(i);
      if (!isNameStart(c) && !isNamePart(c)) {
        return false;
      }
      i += Character.charCount(c);
    }
    return true;
  }

  /** NameStartChar of XML 1.0 fifth edition, without the colon. */
  private static boolean isNameStart(int c) {
    return c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || c == '_'
        || c >= 0xC0 && c <= 0xD6
        || c >= 0xD8 && c <= 0xF6
        || c >= 0xF8 && c <= 0x2FF
        || c >= 0x370 && c <= 0x37D
        || c >= 0x37F && c <= 0x1FFF
        || c >= 0x200C && c <= 0x200D
        || c >= 0x2070 && c <= 0x218F
        || c >= 0x2C00 && c <= 0x2FEF
        || c >= 0x3001 && c <= 0xD7FF
        || c >= 0xF900 && c <= 0xFDCF
        || c >= 0xFDF0 && c <= 0xFFFD
        || c >= 0x10000 && c <= 0xEFFFF;
  }

  private static boolean isNamePart(int c) {
    return c >= '0' && c <= '9'
        || c == '-'
        || c == '.'
        || c == 0xB7
        || c >= 0x300 && c <= 0x36F
        || c >= 0x203F && c <= 0x2040;
  }
}
