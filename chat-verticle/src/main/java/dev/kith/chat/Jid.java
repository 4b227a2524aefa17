package dev.kith.chat;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;

/**
 * An XMPP address (RFC 7622): {@code local@domain/resource}. Local parts and domains are compared
 * case-folded and NFKC-normalized (a simplification of the PRECIS profiles that keeps ASCII
 * addresses exact); each part is at most 1023 bytes of UTF-8, and the local part may not hold the
 * characters RFC 7622 forbids there.
 *
 * @param local the local part, or null for a domain's address
 * @param domain the domain
 * @param resource the resource, or null for a bare address
 */
public record Jid(String local, String domain, String resource) {

  private static final int MAX_PART_BYTES = 1023;
  private static final String FORBIDDEN_IN_LOCAL = "\"&'/:<>@";

  public Jid {
    Objects.requireNonNull(domain, "domain");
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException when it is not a valid address (the stanza error is {@code
   *     jid-malformed})
   */
  public static Jid parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty address");
    }
    String resource = null;
    String rest = text;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      resource = rest.substring(slash + 1);
      rest = rest.substring(0, slash);
      resource = part(Normalizer.normalize(resource, Normalizer.Form.NFKC), "resource");
    }
    String local = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      local = part(fold(rest.substring(0, at)), "local part");
      rest = rest.substring(at + 1);
      for (char c : local.toCharArray()) {
        if (FORBIDDEN_IN_LOCAL.indexOf(c) >= 0 || Character.isWhitespace(c)) {
          throw new IllegalArgumentException("'" + c + "' is not allowed in a local part");
        }
      }
    }
    String domain = rest.endsWith(".") ? rest.substring(0, rest.length() - 1) : rest;
    domain = part(fold(domain), "domain");
    if (domain.indexOf('@') >= 0 || domain.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("not a domain: " + domain);
    }
    return new Jid(local, domain, resource);
  }

  /** {@link #parse}, or null when {@code text} is null or not an address. */
  public static Jid parseOrNull(String text) {
    try {
      return text == null ? null : parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** {@code owner@domain}. */
  public static Jid bare(String owner, String domain) {
    return new Jid(owner, domain, null);
  }

  /** This address without its resource. */
  public Jid bare() {
    return resource == null ? this : new Jid(local, domain, null);
  }

  /** This address's bare part with {@code resource}. */
  public Jid withResource(String resource) {
    return new Jid(local, domain, resource);
  }

  public boolean isBare() {
    return resource == null;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    if (local != null) {
      out.append(local).append('@');
    }
    out.append(domain);
    if (resource != null) {
      out.append('/').append(resource);
    }
    return out.toString();
  }

  private static String fold(String part) {
    return Normalizer.normalize(part, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
  }

  private static String part(String value, String what) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("empty " + what);
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > MAX_PART_BYTES) {
      throw new IllegalArgumentException(what + " longer than " + MAX_PART_BYTES + " bytes");
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw new IllegalArgumentException("control character in " + what);
      }
    }
    return value;
  }
}
