package dev.kith.chat;

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
 * Settings of chat: the XMPP server every device runs, and the limits of its sessions.
 *
 * @param port the client port with STARTTLS (RFC 6120), or 0 for none
 * @param tlsPort the client port with direct TLS (XEP-0368), or 0 for none
 * @param bindHost the address both ports listen on
 * @param domains the domains of the mesh's JIDs ({@code alice@DOMAIN}); the first is the one a
 *     device names itself with
 * @param cert a PEM certificate chain, or null for a self-signed one made at start
 * @param key the PEM private key of {@code cert}
 * @param maxStanzaBytes the largest stanza a client may send
 * @param stanzasPerSecond how many stanzas one session may send a second, on average
 * @param maxConnections the most XMPP connections a device serves at once
 * @param maxConnectionsPerOwner the most sessions of one owner on one device
 * @param idleSeconds how long a session may stay silent before the server closes it
 */
public record ChatConfig(
    int port,
    int tlsPort,
    String bindHost,
    List<String> domains,
    Path cert,
    Path key,
    int maxStanzaBytes,
    int stanzasPerSecond,
    int maxConnections,
    int maxConnectionsPerOwner,
    int idleSeconds) {

  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  /**
   * The largest stanza the setting allows: an archived message must fit in one vault record (256
   * KiB of JSON, with room for its escaping).
   */
  public static final int MAX_STANZA_BYTES = 128 * 1024;

  public ChatConfig {
    domains = List.copyOf(domains);
  }

  /** The domain the server names itself with. */
  public String domain() {
    return domains.get(0);
  }

  /** Whether {@code domain} is one of the mesh's chat domains. */
  public boolean local(String domain) {
    return domain != null && domains.contains(domain.toLowerCase(Locale.ROOT));
  }

  /** The chat section of the device's configuration. */
  public static final class Section implements ConfigSection<ChatConfig> {

    static final String XMPP_PORT = "xmpp-port";
    static final String XMPPS_PORT = "xmpps-port";
    static final String XMPP_BIND_HOST = "xmpp-bind-host";
    static final String XMPP_DOMAIN = "xmpp-domain";
    static final String XMPP_CERT = "xmpp-cert";
    static final String XMPP_KEY = "xmpp-key";
    static final String XMPP_MAX_STANZA_BYTES = "xmpp-max-stanza-bytes";
    static final String XMPP_STANZAS_PER_SECOND = "xmpp-stanzas-per-second";
    static final String XMPP_MAX_CONNECTIONS = "xmpp-max-connections";
    static final String XMPP_MAX_CONNECTIONS_PER_OWNER = "xmpp-max-connections-per-owner";
    static final String XMPP_IDLE_SECONDS = "xmpp-idle-seconds";

    /** Mail's setting, whose domains chat takes when {@code xmpp-domain} is not set. */
    private static final String MAIL_DOMAIN = "mail-domain";

    @Override
    public String name() {
      return "chat";
    }

    @Override
    public Class<ChatConfig> type() {
      return ChatConfig.class;
    }

    @Override
    public List<Setting> settings() {
      return List.of(
          Setting.of(XMPP_PORT, "5222", "XMPP client port with STARTTLS (0: off)"),
          Setting.of(XMPPS_PORT, "5223", "XMPP client port with direct TLS (0: off)"),
          Setting.of(XMPP_BIND_HOST, "0.0.0.0", "address the XMPP ports listen on"),
          Setting.repeatable(
              XMPP_DOMAIN, null, "chat domain (repeatable): OWNER@DOMAIN; default: mail-domain"),
          Setting.of(XMPP_CERT, null, "PEM certificate chain for XMPP (default: self-signed)"),
          Setting.of(XMPP_KEY, null, "PEM private key for XMPP"),
          Setting.of(XMPP_MAX_STANZA_BYTES, "65536", "largest stanza a client may send"),
          Setting.of(XMPP_STANZAS_PER_SECOND, "50", "stanzas a second one session may send"),
          Setting.of(XMPP_MAX_CONNECTIONS, "2000", "most XMPP connections a device serves"),
          Setting.of(
              XMPP_MAX_CONNECTIONS_PER_OWNER, "20", "most XMPP sessions of one owner per device"),
          Setting.of(XMPP_IDLE_SECONDS, "900", "silence before an XMPP session is closed"));
    }

    @Override
    public ChatConfig parse(Settings v) {
      v.together(XMPP_CERT, XMPP_KEY);
      return new ChatConfig(
          v.port(XMPP_PORT, 0),
          v.port(XMPPS_PORT, 0),
          v.listenAddress(XMPP_BIND_HOST),
          domains(v),
          v.has(XMPP_CERT) ? v.readableFile(XMPP_CERT) : null,
          v.has(XMPP_KEY) ? v.readableFile(XMPP_KEY) : null,
          v.integer(XMPP_MAX_STANZA_BYTES, 10_000, MAX_STANZA_BYTES),
          v.integer(XMPP_STANZAS_PER_SECOND, 1, 100_000),
          v.integer(XMPP_MAX_CONNECTIONS, 1, 1_000_000),
          v.integer(XMPP_MAX_CONNECTIONS_PER_OWNER, 1, 10_000),
          v.integer(XMPP_IDLE_SECONDS, 30, 86_400));
    }

    private static List<String> domains(Settings v) {
      List<String> raw = v.list(XMPP_DOMAIN);
      if (raw.isEmpty() && v.has(MAIL_DOMAIN)) {
        raw = v.list(MAIL_DOMAIN);
      }
      List<String> out = new ArrayList<>();
      for (String d : raw) {
        String domain = d.trim().toLowerCase(Locale.ROOT);
        if (!DOMAIN.matcher(domain).matches()) {
          throw new ConfigException(XMPP_DOMAIN, "'" + d + "' is not a domain name");
        }
        if (!out.contains(domain)) {
          out.add(domain);
        }
      }
      if (out.isEmpty()) {
        out.add("localhost");
      }
      return out;
    }
  }
}
