package dev.kith.mesh.spi.cli;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;

/**
 * How a {@link KithCommand} reaches a device: the device's URL ({@code --url}, {@code KITH_URL},
 * the login session's device, or {@code http://localhost:8080}) and the caller's credentials
 * ({@code KITH_ACCESS_TOKEN}, the session of {@code kith login}, or the operator token of {@code
 * --home}).
 */
public interface CliClient {

  int OK = 0;
  int FAILURE = 1;
  int USAGE = 2;

  /** The device's base URL, without a trailing slash. */
  String url();

  /**
   * Sends {@code method path} (a path such as {@code /api/web/sites}) with a JSON body, or none
   * when {@code body} is null; {@code null} after printing why, when the device cannot be reached
   * or the credentials cannot be had.
   */
  HttpResponse<String> send(String method, String path, JsonObject body);

  /** Sends raw bytes with their content type, like {@link #send}. */
  HttpResponse<String> sendBytes(String method, String path, String contentType, byte[] body);

  /**
   * Prints a refusal ({@code kith: HTTP 403: ...}), with what to do about missing credentials, and
   * answers the exit code for it.
   */
  int refused(HttpResponse<String> response);

  /** The exit code after a send answered {@code null}. */
  int unreachable();
}
