package dev.kith.chat.xml;

import java.util.Objects;

/**
 * A run of character data inside an element, unescaped. It holds only characters XML 1.0 allows, so
 * that user text put into a stanza can always be written out and read back.
 *
 * @throws IllegalArgumentException if {@code text} has a character XML does not allow
 */
public record XmlText(String text) implements XmlNode {
  public XmlText {
    XmlChars.checkText(Objects.requireNonNull(text, "text"), "text");
  }
}
