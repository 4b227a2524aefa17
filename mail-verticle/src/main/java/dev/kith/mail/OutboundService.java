package dev.kith.mail;

/** The one-per-mesh outbound sender. PLACEHOLDER: the outbound helper writes it. */
public final class OutboundService {}
