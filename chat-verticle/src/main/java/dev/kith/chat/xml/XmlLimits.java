package dev.kith.chat.xml;

/**
 * How much XML one peer may make the server hold. A peer that breaks a limit gets a {@code
 * policy-violation} stream error.
 *
 * @param maxStanzaBytes the bytes of one first-level element, from its {@code <} to the end of its
 *     end tag (for {@link XmlElement#parse}, of the whole text)
 * @param maxDepth how deeply elements may nest, a stanza itself being depth 1
 * @param maxAttributes attributes plus namespace declarations on one element
 * @param maxBytesBetweenStanzas the bytes before the stream header ends, and the whitespace between
 *     two stanzas. Whitespace keepalives count until the next stanza: a connection that sends one a
 *     minute and nothing else reaches 65536 after 45 days.
 */
public record XmlLimits(
    int maxStanzaBytes, int maxDepth, int maxAttributes, int maxBytesBetweenStanzas) {

  /** 256 KiB stanzas (Prosody's default), 32 levels, 64 attributes, 64 KiB between stanzas. */
  public static final XmlLimits DEFAULTS = new XmlLimits(262_144, 32, 64, 65_536);

  public XmlLimits {
    positive("maxStanzaBytes", maxStanzaBytes);
    positive("maxDepth", maxDepth);
    positive("maxAttributes", maxAttributes);
    positive("maxBytesBetweenStanzas", maxBytesBetweenStanzas);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
