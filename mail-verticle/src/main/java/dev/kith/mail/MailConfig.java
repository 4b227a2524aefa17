package dev.kith.mail;

import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Settings of mail: the mesh's domains, the SMTP edge every device runs, and outbound delivery.
 * {@link Section} declares them to the device, which reads them from every source like its own.
 *
 * @param domains the mesh's mail domains; each owner's address is {@code owner@domain}
 * @param smtpPort the SMTP port of every device, or 0 for no SMTP edge
 * @param smtpBindHost the address the SMTP edge listens on
 * @param maxMessageBytes the largest message the SMTP edge accepts
 * @param maxRecipients the most recipients of one message
 * @param maxConnections the most SMTP connections a device serves at once
 * @param idleSeconds how long an SMTP connection may stay silent
 * @param tlsCert a PEM certificate chain for STARTTLS, or {@code null} for none
 * @param tlsKey the PEM private key of {@code tlsCert}
 * @param relay {@code HOST:PORT} of a smarthost for outbound mail, or {@code null} to deliver to
 *     each domain's MX directly
 * @param relayUser the smarthost's user name, or {@code null}
 * @param relayPassword the smarthost's password (hidden from {@code toString}), or {@code null}
 * @param relayTls how to talk to the smarthost: {@code none}, {@code starttls} or {@code tls}
 * @param retryMillis the first retry delay of outbound mail; each retry doubles it, to an hour
 * @param expiryHours how long outbound mail is retried before it bounces
 */
public record MailConfig(
    List<String> domains,
    int smtpPort,
    String smtpBindHost,
    long maxMessageBytes,
    int maxRecipients,
    int maxConnections,
    int idleSeconds,
    Path tlsCert,
    Path tlsKey,
    String relay,
    String relayUser,
    Secret relayPassword,
    String relayTls,
    long retryMillis,
    int expiryHours) {

  public MailConfig {
    domains = List.copyOf(domains);
  }

  /** The first domain: the one an owner's own address uses when it sends. */
  public String primaryDomain() {
    return domains.get(0);
  }

  /** A secret setting: it never shows in a log line or in {@code toString}. */
  public record Secret(String value) {
    @Override
    public String toString() {
      return "Secret[hidden]";
    }
  }

  /** The mail section of the device's configuration. */
  public static final class Section implements ConfigSection<MailConfig> {

    static final String MAIL_DOMAIN = "mail-domain";
    static final String SMTP_PORT = "smtp-port";
    static final String SMTP_BIND_HOST = "smtp-bind-host";
    static final String SMTP_MAX_MESSAGE_BYTES = "smtp-max-message-bytes";
    static final String SMTP_MAX_RECIPIENTS = "smtp-max-recipients";
    static final String SMTP_MAX_CONNECTIONS = "smtp-max-connections";
    static final String SMTP_IDLE_SECONDS = "smtp-idle-seconds";
    static final String SMTP_CERT = "smtp-cert";
    static final String SMTP_KEY = "smtp-key";
    static final String MAIL_RELAY = "mail-relay";
    static final String MAIL_RELAY_USER = "mail-relay-user";
    static final String MAIL_RELAY_PASSWORD = "mail-relay-password";
    static final String MAIL_RELAY_TLS = "mail-relay-tls";
    static final String MAIL_RETRY_MILLIS = "mail-retry-millis";
    static final String MAIL_EXPIRY_HOURS = "mail-expiry-hours";

    private static final Pattern DOMAIN =
        Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    @Override
    public String name() {
      return "mail";
    }

    @Override
    public Class<MailConfig> type() {
      return MailConfig.class;
    }

    @Override
    public List<Setting> settings() {
      return List.of(
          Setting.repeatable(
              MAIL_DOMAIN, "localhost", "mail domain of the mesh (repeatable): OWNER@DOMAIN"),
          Setting.of(SMTP_PORT, "2525", "SMTP port (25 in deployments; 0 turns SMTP off)"),
          Setting.of(SMTP_BIND_HOST, "0.0.0.0", "address the SMTP edge listens on"),
          Setting.of(SMTP_MAX_MESSAGE_BYTES, "26214400", "largest message SMTP takes"),
          Setting.of(SMTP_MAX_RECIPIENTS, "100", "most recipients of one message"),
          Setting.of(SMTP_MAX_CONNECTIONS, "200", "most SMTP connections at once"),
          Setting.of(SMTP_IDLE_SECONDS, "60", "silence before an SMTP connection is closed"),
          Setting.of(SMTP_CERT, null, "PEM certificate chain for STARTTLS"),
          Setting.of(SMTP_KEY, null, "PEM private key for STARTTLS"),
          Setting.of(MAIL_RELAY, null, "HOST:PORT of a smarthost for outbound mail (default: MX)"),
          Setting.of(MAIL_RELAY_USER, null, "user name at the smarthost"),
          Setting.of(MAIL_RELAY_PASSWORD, null, "password at the smarthost"),
          Setting.of(MAIL_RELAY_TLS, "starttls", "none, starttls or tls to the smarthost"),
          Setting.of(MAIL_RETRY_MILLIS, "60000", "first retry delay of outbound mail"),
          Setting.of(MAIL_EXPIRY_HOURS, "120", "hours outbound mail is retried before a bounce"));
    }

    @Override
    public MailConfig parse(Settings v) {
      v.together(SMTP_CERT, SMTP_KEY);
      v.together(MAIL_RELAY_USER, MAIL_RELAY_PASSWORD);
      String tls = v.string(MAIL_RELAY_TLS);
      if (!List.of("none", "starttls", "tls").contains(tls)) {
        throw new ConfigException(MAIL_RELAY_TLS, "'" + tls + "' is not none, starttls or tls");
      }
      String password = v.optional(MAIL_RELAY_PASSWORD);
      return new MailConfig(
          domains(v),
          v.port(SMTP_PORT, 0),
          v.listenAddress(SMTP_BIND_HOST),
          v.longValue(SMTP_MAX_MESSAGE_BYTES, 1024, 1L << 30),
          v.integer(SMTP_MAX_RECIPIENTS, 1, 10_000),
          v.integer(SMTP_MAX_CONNECTIONS, 1, 100_000),
          v.integer(SMTP_IDLE_SECONDS, 1, 3_600),
          v.readableFile(SMTP_CERT),
          v.readableFile(SMTP_KEY),
          v.hostAndPort(MAIL_RELAY),
          v.optional(MAIL_RELAY_USER),
          password == null ? null : new Secret(password),
          tls,
          v.longValue(MAIL_RETRY_MILLIS, 10, 86_400_000),
          v.integer(MAIL_EXPIRY_HOURS, 1, 24 * 60));
    }

    private static List<String> domains(Settings v) {
      List<String> domains = new ArrayList<>();
      for (String d : v.list(MAIL_DOMAIN)) {
        String domain = d.toLowerCase(Locale.ROOT);
        if (!DOMAIN.matcher(domain).matches()) {
          throw new ConfigException(MAIL_DOMAIN, "'" + d + "' is not a domain name");
        }
        if (!domains.contains(domain)) {
          domains.add(domain);
        }
      }
      if (domains.isEmpty()) {
        throw new ConfigException(MAIL_DOMAIN, "needs at least one domain");
      }
      return domains;
    }
  }
}
