package dev.kith.mail;

import io.vertx.core.VerticleBase;

/** One owner's mailboxes. PLACEHOLDER: being written. */
final class MailboxVerticle extends VerticleBase {}
