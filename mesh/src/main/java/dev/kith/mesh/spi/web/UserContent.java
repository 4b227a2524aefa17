package dev.kith.mesh.spi.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;

/**
 * How the edge serves bytes that an owner or a sender chose (vault objects, raw messages, mail
 * attachments) on the mesh's own origin: as a download that a browser neither sniffs nor runs. The
 * stored type is kept, but {@code X-Content-Type-Options: nosniff}, a sandboxing {@code
 * Content-Security-Policy} ({@value #SANDBOX}) and {@code Content-Disposition: attachment} mean
 * that an uploaded HTML page or SVG cannot run script with the owner's session cookie. A route that
 * is meant for display (the web pages service) gets an origin of its own instead.
 */
public final class UserContent {

  /** No script, no plugins, no same-origin access, nothing loaded. */
  public static final String SANDBOX = "sandbox; default-src 'none'";

  private UserContent() {}

  /** Marks {@code response} as a download named {@code filename} (or unnamed when null). */
  public static void asDownload(HttpServerResponse response, String filename) {
    response
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Security-Policy", SANDBOX)
        .putHeader("Content-Disposition", attachment(filename));
  }

  /**
   * A handler for routes that serve stored bytes: a successful answer becomes a download named
   * after the path parameter {@code nameParam}; an error stays the edge's JSON error.
   */
  public static Handler<RoutingContext> downloads(String nameParam) {
    return ctx -> {
      String name = ctx.pathParam(nameParam);
      ctx.addHeadersEndHandler(
          v -> {
            HttpServerResponse response = ctx.response();
            if (response.getStatusCode() >= 200 && response.getStatusCode() < 300) {
              asDownload(response, name);
            }
          });
      ctx.next();
    };
  }

  /**
   * {@code attachment}, with the file name as RFC 6266 gives it: an ASCII {@code filename=} for old
   * clients (other characters become {@code _}) and {@code filename*=UTF-8''...} with the name
   * percent-encoded, which keeps {@code Rechnung März.pdf} whole.
   */
  public static String attachment(String filename) {
    if (filename == null || filename.isBlank()) {
      return "attachment";
    }
    String name = filename.strip();
    if (name.length() > 200) {
      name = name.substring(0, 200);
    }
    String ascii = name.replaceAll("[^A-Za-z0-9._ ()+,=@-]", "_");
    String header = "attachment; filename=\"" + ascii + "\"";
    return ascii.equals(name) ? header : header + "; filename*=UTF-8''" + percentEncoded(name);
  }

  /** RFC 8187 value characters: attr-char stays, every other byte is %XX. */
  private static String percentEncoded(String name) {
    StringBuilder out = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || "!#$&+-.^_`|~".indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
