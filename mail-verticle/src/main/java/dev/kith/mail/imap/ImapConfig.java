package dev.kith.mail.imap;

import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.util.List;

/**
 * Settings of the IMAP server every device runs. TLS uses the mail certificate ({@code smtp-cert}
 * and {@code smtp-key}): without one, there is no STARTTLS and no implicit-TLS port, and passwords
 * are taken only over loopback.
 *
 * @param port the IMAP port (STARTTLS), or 0 for none
 * @param tlsPort the IMAP port with implicit TLS (RFC 8314), or 0 for none
 * @param bindHost the address both ports listen on
 * @param maxConnections the most IMAP connections a device serves at once
 * @param maxConnectionsPerOwner the most IMAP connections of one owner on one device
 * @param idleSeconds how long a connection may stay silent, IDLE included (RFC 3501: 30 minutes)
 */
public record ImapConfig(
    int port,
    int tlsPort,
    String bindHost,
    int maxConnections,
    int maxConnectionsPerOwner,
    int idleSeconds) {

  /** The IMAP section of the device's configuration. */
  public static final class Section implements ConfigSection<ImapConfig> {

    static final String IMAP_PORT = "imap-port";
    static final String IMAPS_PORT = "imaps-port";
    static final String IMAP_BIND_HOST = "imap-bind-host";
    static final String IMAP_MAX_CONNECTIONS = "imap-max-connections";
    static final String IMAP_MAX_CONNECTIONS_PER_OWNER = "imap-max-connections-per-owner";
    static final String IMAP_IDLE_SECONDS = "imap-idle-seconds";

    @Override
    public String name() {
      return "imap";
    }

    @Override
    public Class<ImapConfig> type() {
      return ImapConfig.class;
    }

    @Override
    public List<Setting> settings() {
      return List.of(
          Setting.of(IMAP_PORT, "1143", "IMAP port with STARTTLS (143 in deployments; 0: off)"),
          Setting.of(
              IMAPS_PORT, "1993", "IMAP port with implicit TLS (993 in deployments; 0: off)"),
          Setting.of(IMAP_BIND_HOST, "0.0.0.0", "address the IMAP ports listen on"),
          Setting.of(IMAP_MAX_CONNECTIONS, "500", "most IMAP connections a device serves"),
          Setting.of(
              IMAP_MAX_CONNECTIONS_PER_OWNER,
              "50",
              "most IMAP connections of one owner per device"),
          Setting.of(IMAP_IDLE_SECONDS, "1800", "silence (IDLE too) before IMAP says BYE"));
    }

    @Override
    public ImapConfig parse(Settings v) {
      String host = v.listenAddress(IMAP_BIND_HOST);
      int port = v.port(IMAP_PORT, 0);
      int tlsPort = v.port(IMAPS_PORT, 0);
      if (port != 0 && port == tlsPort) {
        throw new ConfigException(IMAPS_PORT, "must differ from imap-port (" + port + ")");
      }
      return new ImapConfig(
          port,
          tlsPort,
          host,
          v.integer(IMAP_MAX_CONNECTIONS, 1, 100_000),
          v.integer(IMAP_MAX_CONNECTIONS_PER_OWNER, 1, 10_000),
          v.integer(IMAP_IDLE_SECONDS, 5, 86_400));
    }
  }
}
