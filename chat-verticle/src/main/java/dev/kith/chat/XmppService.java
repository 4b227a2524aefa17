package dev.kith.chat;

import dev.kith.mesh.spi.InstanceContext;
import dev.kith.mesh.spi.KithService;
import dev.kith.mesh.spi.Placement;
import java.util.List;

/**
 * The XMPP client server every device runs ({@link XmppInstance}): any device takes any owner's
 * connection. It serves no event-bus address of its own beyond its device's session address, and no
 * HTTP route.
 */
public final class XmppService implements KithService {

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
    return new XmppInstance(context);
  }

  @Override
  public List<String> addresses(String owner) {
    return List.of();
  }
}
