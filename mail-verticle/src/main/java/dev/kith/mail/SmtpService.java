package dev.kith.mail;

/** The SMTP edge on every device. PLACEHOLDER: the SMTP helper writes it. */
public final class SmtpService {}
