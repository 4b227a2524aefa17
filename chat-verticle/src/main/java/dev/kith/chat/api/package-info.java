/**
 * The event-bus contract of chat: the interface that each owner's chat instance serves, reached by
 * the XMPP sessions of every device and by other owners' instances through typed proxies, and the
 * addresses of the devices' sessions. Stanzas cross the bus as XML text in the {@code
 * jabber:client} namespace.
 */
@ModuleGen(name = "kith-chat", groupPackage = "dev.kith.chat.api")
package dev.kith.chat.api;

import io.vertx.codegen.annotations.ModuleGen;
