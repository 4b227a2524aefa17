package dev.kith.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code Cache-Control} a site sets per path, from a {@code _headers} file at its root in the
 * format static hosts use: a line with a path pattern ({@code *} matches anything), then indented
 * {@code Name: value} lines for it.
 *
 * <pre>
 * /assets/*
 *   Cache-Control: public, max-age=31536000, immutable
 * /*.html
 *   Cache-Control: no-cache
 * </pre>
 *
 * The first pattern that matches a path wins. Only {@code Cache-Control} is taken; any other header
 * is reported back to the publisher as ignored. A path no rule names gets {@link #DEFAULT}: the
 * browser asks again each time, and gets a cheap {@code 304} while the file is unchanged.
 */
final class HeaderRules {

  static final String FILE = "_headers";
  static final String DEFAULT = "no-cache";
  private static final int MAX_RULES = 200;
  private static final int MAX_VALUE = 200;

  private record Rule(String pattern, Pattern regex, String cacheControl) {}

  private final List<Rule> rules;

  private HeaderRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  static HeaderRules none() {
    return new HeaderRules(List.of());
  }

  /**
   * Reads a {@code _headers} file.
   *
   * @param ignored gets one line for each header or line that was not taken
   */
  static HeaderRules parse(String text, List<String> ignored) {
    List<Rule> rules = new ArrayList<>();
    String pattern = null;
    int lineNumber = 0;
    for (String line : text.split("\r?\n")) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      if (!Character.isWhitespace(line.charAt(0))) {
        pattern = trimmed.startsWith("/") ? trimmed : null;
        if (pattern == null) {
          ignored.add("_headers line " + lineNumber + ": a path pattern starts with /");
        }
        continue;
      }
      int colon = trimmed.indexOf(':');
      if (pattern == null || colon <= 0) {
        ignored.add("_headers line " + lineNumber + ": not 'Name: value' under a path pattern");
        continue;
      }
      String name = trimmed.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = trimmed.substring(colon + 1).strip();
      if (!name.equals("cache-control")) {
        ignored.add("_headers line " + lineNumber + ": only Cache-Control is taken, not " + name);
      } else if (value.isEmpty() || value.length() > MAX_VALUE || !value.matches("[ -~]+")) {
        ignored.add("_headers line " + lineNumber + ": Cache-Control value refused");
      } else if (rules.size() >= MAX_RULES) {
        ignored.add("_headers line " + lineNumber + ": more than " + MAX_RULES + " rules");
      } else {
        rules.add(new Rule(pattern, compile(pattern), value));
      }
    }
    return new HeaderRules(rules);
  }

  private static Pattern compile(String pattern) {
    StringBuilder regex = new StringBuilder();
    for (String part : pattern.split("\\*", -1)) {
      if (regex.length() > 0) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(part));
    }
    return Pattern.compile(regex.toString());
  }

  /** The {@code Cache-Control} of a request path (with its leading slash). */
  String cacheControl(String urlPath) {
    for (Rule r : rules) {
      if (r.regex().matcher(urlPath).matches()) {
        return r.cacheControl();
      }
    }
    return DEFAULT;
  }

  JsonArray toJson() {
    JsonArray out = new JsonArray();
    rules.forEach(
        r ->
            out.add(
                new JsonObject().put("path", r.pattern()).put("cacheControl", r.cacheControl())));
    return out;
  }

  static HeaderRules fromJson(JsonArray json) {
    List<Rule> rules = new ArrayList<>();
    if (json != null) {
      for (int i = 0; i < json.size(); i++) {
        JsonObject r = json.getJsonObject(i);
        String p = r.getString("path");
        rules.add(new Rule(p, compile(p), r.getString("cacheControl")));
      }
    }
    return new HeaderRules(rules);
  }
}
