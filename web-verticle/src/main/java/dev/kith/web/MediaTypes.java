package dev.kith.web;

import java.util.Locale;
import java.util.Map;

/** The {@code Content-Type} of a site's file, from its name's extension, as static hosts do. */
final class MediaTypes {

  private static final String OCTETS = "application/octet-stream";

  private static final Map<String, String> BY_EXTENSION =
      Map.ofEntries(
          Map.entry("html", "text/html; charset=utf-8"),
          Map.entry("htm", "text/html; charset=utf-8"),
          Map.entry("css", "text/css; charset=utf-8"),
          Map.entry("js", "text/javascript; charset=utf-8"),
          Map.entry("mjs", "text/javascript; charset=utf-8"),
          Map.entry("json", "application/json"),
          Map.entry("map", "application/json"),
          Map.entry("webmanifest", "application/manifest+json"),
          Map.entry("xml", "application/xml"),
          Map.entry("rss", "application/rss+xml"),
          Map.entry("atom", "application/atom+xml"),
          Map.entry("txt", "text/plain; charset=utf-8"),
          Map.entry("md", "text/markdown; charset=utf-8"),
          Map.entry("csv", "text/csv; charset=utf-8"),
          Map.entry("svg", "image/svg+xml"),
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("jpeg", "image/jpeg"),
          Map.entry("gif", "image/gif"),
          Map.entry("webp", "image/webp"),
          Map.entry("avif", "image/avif"),
          Map.entry("ico", "image/x-icon"),
          Map.entry("woff", "font/woff"),
          Map.entry("woff2", "font/woff2"),
          Map.entry("ttf", "font/ttf"),
          Map.entry("otf", "font/otf"),
          Map.entry("wasm", "application/wasm"),
          Map.entry("pdf", "application/pdf"),
          Map.entry("zip", "application/zip"),
          Map.entry("gz", "application/gzip"),
          Map.entry("mp3", "audio/mpeg"),
          Map.entry("ogg", "audio/ogg"),
          Map.entry("wav", "audio/wav"),
          Map.entry("mp4", "video/mp4"),
          Map.entry("webm", "video/webm"));

  private MediaTypes() {}

  static String of(String path) {
    int slash = path.lastIndexOf('/');
    int dot = path.lastIndexOf('.');
    if (dot <= slash + 1 || dot == path.length() - 1) {
      return OCTETS;
    }
    return BY_EXTENSION.getOrDefault(path.substring(dot + 1).toLowerCase(Locale.ROOT), OCTETS);
  }

  /** Whether a precompressed copy of such a file is worth keeping (text, not images or fonts). */
  static boolean compressible(String type) {
    return type.startsWith("text/")
        || type.startsWith("application/json")
        || type.startsWith("application/manifest+json")
        || type.startsWith("application/xml")
        || type.startsWith("application/rss+xml")
        || type.startsWith("application/atom+xml")
        || type.startsWith("application/wasm")
        || type.startsWith("image/svg+xml")
        || type.startsWith("image/x-icon")
        || type.startsWith("font/ttf")
        || type.startsWith("font/otf");
  }
}
