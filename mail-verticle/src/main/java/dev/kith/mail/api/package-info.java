/**
 * The event-bus contract of mail: the interfaces that the mailbox and the outbound sender serve and
 * that every device's routes, SMTP edge and other services reach through typed proxies, and their
 * addresses. Vert.x codegen writes each proxy and handler from them. Replies are JSON objects,
 * whose fields each method's javadoc lists.
 */
@ModuleGen(name = "kith-mail", groupPackage = "dev.kith.mail.api")
package dev.kith.mail.api;

import io.vertx.codegen.annotations.ModuleGen;
