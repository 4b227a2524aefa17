package dev.kith.chat;

import dev.kith.chat.api.ChatBox;
import dev.kith.chat.im.ChatInstance;
import dev.kith.mesh.spi.DnsName;
import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import dev.kith.mesh.spi.ServiceContext;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Each owner's chat (XMPP): one instance per owner, placed only on that owner's own devices, never
 * on a friend's, which keeps the owner's roster, archive and who is online. The XMPP server that
 * clients connect to runs on every device ({@link XmppService}) and hands each session's stanzas to
 * the owner's instance over the event bus.
 */
public final class ChatService implements KithService {

  @Override
  public String name() {
    return "chat";
  }

  @Override
  public Placement placement() {
    return Placement.PER_OWNER_OWN_DEVICES;
  }

  @Override
  public ChatInstance newInstance(InstanceContext context) {
    return new ChatInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of(ChatBox.address(owner));
  }

  /** XMPP client service records (RFC 6120 §3.2.1, XEP-0368), on the ports that are on. */
  @Override
  public Future<List<DnsName>> dnsNames(ServiceContext context) {
    ChatConfig config = context.config(ChatConfig.class);
    List<DnsName> names = new ArrayList<>();
    if (config.port() > 0) {
      names.add(DnsName.service("_xmpp-client._tcp", config.port()));
    }
    if (config.tlsPort() > 0) {
      names.add(DnsName.service("_xmpps-client._tcp", config.tlsPort()));
    }
    return Future.succeededFuture(names);
  }
}
