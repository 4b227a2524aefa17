package dev.kith.chat;

import dev.kith.chat.server.XmppServer;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import dev.kith.mesh.spi.web.Access;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The XMPP server every device runs ({@link XmppInstance}): any device takes any owner's
 * connection, on its XMPP ports and, for browsers, as XMPP over WebSocket (RFC 7395) at {@value
 * #WEBSOCKET_PATH} on the HTTP edge, which clients find through {@code /.well-known/host-meta}
 * (XEP-0156). It serves no event-bus address of its own beyond its device's session address.
 */
public final class XmppService implements KithService {

  static final String WEBSOCKET_PATH = "/xmpp-websocket";
  private static final String WEBSOCKET_REL = "urn:xmpp:alt-connections:websocket";

  private volatile XmppServer server;

  @Override
  public String name() {
    return "xmpp";
  }

  @Override
  public Placement placement() {
    return Placement.EVERY_DEVICE;
  }

  @Override
  public XmppInstance newInstance(InstanceContext context) {
    return new XmppInstance(context, this);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }

  @Override
  public List<String> webSocketSubProtocols() {
    return List.of("xmpp");
  }

  @Override
  public void edgeRoutes(Router router, ServiceContext context) {
    Access.anyone(router.get(WEBSOCKET_PATH)).handler(this::webSocket);
    Access.anyone(router.get("/.well-known/host-meta")).handler(XmppService::hostMeta);
    Access.anyone(router.get("/.well-known/host-meta.json")).handler(XmppService::hostMetaJson);
  }

  /** The device's XMPP server started ({@code null}: stopped). */
  void serving(XmppServer running) {
    server = running;
  }

  private void webSocket(RoutingContext ctx) {
    XmppServer running = server;
    HttpServerRequest request = ctx.request();
    if (running == null) {
      ctx.fail(503, new IllegalStateException("XMPP is not running on this device yet"));
      return;
    }
    if (!"websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))) {
      ctx.fail(400, new IllegalArgumentException("XMPP over WebSocket: ask for an upgrade"));
      return;
    }
    String protocols = request.getHeader("Sec-WebSocket-Protocol");
    if (protocols == null || !List.of(protocols.split("\\s*,\\s*")).contains("xmpp")) {
      ctx.fail(400, new IllegalArgumentException("ask for the WebSocket subprotocol xmpp"));
      return;
    }
    request.toWebSocket().onSuccess(running::acceptWebSocket).onFailure(ctx::fail);
  }

  private static String webSocketUrl(HttpServerRequest request) {
    String host = request.authority() == null ? "localhost" : request.authority().toString();
    return (request.isSSL() ? "wss://" : "ws://") + host + WEBSOCKET_PATH;
  }

  private static void hostMeta(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/xrd+xml")
        .putHeader("Access-Control-Allow-Origin", "*")
        .end(
            "<?xml version='1.0' encoding='utf-8'?>\n"
                + "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
                + "  <Link rel='"
                + WEBSOCKET_REL
                + "' href='"
                + webSocketUrl(ctx.request()).replace("&", "&amp;").replace("'", "&apos;")
                + "'/>\n</XRD>\n");
  }

  private static void hostMetaJson(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader("Access-Control-Allow-Origin", "*")
        .end(
            new JsonObject()
                .put(
                    "links",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("rel", WEBSOCKET_REL)
                                .put("href", webSocketUrl(ctx.request()))))
                .encode());
  }
}
