package dev.kith.web;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The paths of a site's files and the names of sites and domains: what a publish may name, and how
 * a request's path finds a file. A file's path is relative to the site's root, with {@code /}
 * between names ({@code css/site.css}); nothing may leave the root.
 */
final class SitePaths {

  /** A site's name: lowercase letters, digits and dashes, as in a URL. */
  static final Pattern SITE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private static final Pattern DOMAIN =
      Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?");

  static final int MAX_DOMAINS = 20;

  private SitePaths() {}

  /**
   * The normal form of a published file's path: a leading {@code ./} dropped, nothing else changed.
   *
   * @throws IllegalArgumentException naming what is wrong: empty, too long, absolute, a NUL or
   *     control character, a backslash, an empty, {@code .} or {@code ..} segment
   */
  static String file(String raw, int maxLength) {
    if (raw == null || raw.isEmpty()) {
      throw new IllegalArgumentException("a file's path is empty");
    }
    String path = raw;
    while (path.startsWith("./")) {
      path = path.substring(2);
    }
    if (path.length() > maxLength) {
      throw new IllegalArgumentException(
          "path '"
              + shown(raw)
              + "' is longer than "
              + maxLength
              + " characters (web-max-path-length)");
    }
    if (path.startsWith("/")) {
      throw new IllegalArgumentException(
          "path '" + shown(raw) + "' is absolute; name files relative to the site's root");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '\\') {
        throw new IllegalArgumentException(
            "path '" + shown(raw) + "' has a backslash; separate names with /");
      }
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(
            "path '" + shown(raw) + "' has a NUL or control character");
      }
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException(
            "path '"
                + shown(raw)
                + "' has an empty, '.' or '..' segment; a file cannot name a place outside its"
                + " folder");
      }
    }
    return path;
  }

  /** A site's name, checked. */
  static String site(String raw) {
    if (raw == null || !SITE.matcher(raw).matches()) {
      throw new IllegalArgumentException(
          "site '"
              + shown(raw)
              + "' is not a site name: lowercase letters, digits and dashes, up to 63");
    }
    return raw;
  }

  /**
   * A site's domain, lowercased and checked: a DNS name with a dot, never an IP address or {@code
   * localhost}, which name the API's own address.
   */
  static String domain(String raw) {
    String d = raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT);
    if (d.endsWith(".")) {
      d = d.substring(0, d.length() - 1);
    }
    if (d.length() > 253 || !DOMAIN.matcher(d).matches()) {
      throw new IllegalArgumentException(
          "'" + shown(raw) + "' is not a domain name (such as alice.example or www.alice.example)");
    }
    if (d.equals("localhost") || d.endsWith(".localhost") || d.matches("[0-9.]+")) {
      throw new IllegalArgumentException(
          "'" + d + "' names this device itself, where the API answers; choose a site's own name");
    }
    return d;
  }

  /**
   * A site's domains, checked, lowercased and without repeats.
   *
   * @throws dev.kith.mesh.spi.ServiceFailure 400 naming the first bad one, or for more than 20
   */
  static java.util.List<String> domains(java.util.List<?> given) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (Object d : given) {
      try {
        String domain = domain(d instanceof String s ? s : null);
        if (!out.contains(domain)) {
          out.add(domain);
        }
      } catch (IllegalArgumentException e) {
        throw dev.kith.mesh.spi.ServiceFailure.badRequest(e.getMessage());
      }
    }
    if (out.size() > MAX_DOMAINS) {
      throw dev.kith.mesh.spi.ServiceFailure.badRequest(
          "a site has at most " + MAX_DOMAINS + " domains");
    }
    return out;
  }

  /**
   * The site path a request's path names, percent-decoded and without its leading slash ({@code ""}
   * for the root), or {@code null} when it cannot name a file (bad encoding, {@code ..}, NUL).
   */
  static String request(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/")) {
      return null;
    }
    String decoded = percentDecode(rawPath.substring(1));
    if (decoded == null || decoded.indexOf('\\') >= 0 || decoded.indexOf('\0') >= 0) {
      return null;
    }
    for (String segment : decoded.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        return null;
      }
    }
    return decoded;
  }

  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          return null;
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** A value as it may appear in an error message: short, without control characters. */
  static String shown(String raw) {
    if (raw == null) {
      return "";
    }
    String s = raw.length() > 80 ? raw.substring(0, 80) + "..." : raw;
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}
