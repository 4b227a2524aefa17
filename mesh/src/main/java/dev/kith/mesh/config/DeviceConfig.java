package dev.kith.mesh.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Everything a device is configured with, typed and validated.
 *
 * <p>Sources apply in this order, each overriding the one before: built-in defaults, the YAML file
 * ({@code --config FILE}, else {@code HOME/config.yaml} if it exists), the environment ({@code
 * KITH_HTTP_PORT} for {@code http-port}) and the command line ({@code --http-port 8081}). File keys
 * and flags share one spelling. An unknown key or flag, or a value out of range, is a {@link
 * ConfigException} that names the key.
 *
 * @param name the device name, {@code NAME.OWNER}
 * @param owner the owner part of the name
 * @param home where the device keeps its data; created if missing and checked to be writable
 * @param publicHost the host other devices use to reach this one, or {@code null} to let the
 *     cluster pick a local address
 * @param failover each owner's failover order, most preferred device first
 * @param heartbeatSeconds how often cluster members send heartbeats
 * @param noHeartbeatTimeoutSeconds silence after which the cluster drops a member
 * @param waitBeforeJoinSeconds how long a new member waits for others before it joins
 * @param maxBodyBytes the largest HTTP request body the edge reads
 * @param storageQuotaBytes storage this device offers to the mesh; 0 means its free disk
 */
public record DeviceConfig(
    String name,
    String owner,
    Path home,
    int httpPort,
    int clusterPort,
    int busPort,
    List<String> join,
    String mesh,
    String publicHost,
    boolean multicast,
    Map<String, List<String>> failover,
    int heartbeatSeconds,
    int noHeartbeatTimeoutSeconds,
    int waitBeforeJoinSeconds,
    long maxBodyBytes,
    long storageQuotaBytes,
    Health health,
    Vault vault,
    Security security,
    Mail mail) {

  /**
   * Settings of mail: the mesh's domains, the SMTP edge every device runs, and outbound delivery.
   *
   * @param domains the mesh's mail domains; each owner's address is {@code owner@domain}
   * @param smtpPort the SMTP port of every device, or 0 for no SMTP edge
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
  public record Mail(
      List<String> domains,
      int smtpPort,
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

    public Mail {
      domains = List.copyOf(domains);
    }

    /** The first domain: the one an owner's own address uses when it sends. */
    public String primaryDomain() {
      return domains.get(0);
    }
  }

  /** A secret setting: it never shows in a log line or in {@code toString}. */
  public record Secret(String value) {
    @Override
    public String toString() {
      return "Secret[hidden]";
    }
  }

  /**
   * Settings of accounts and device trust.
   *
   * @param joinToken the invitation this device enrolls with ({@code --token}), or {@code null}
   * @param accessTokenSeconds how long an access token is valid
   * @param loginMaxFailures failed logins (per address or account) before a lockout
   * @param loginLockoutSeconds how long failures are counted, and how long a lockout lasts
   * @param https whether the edge serves HTTPS instead of HTTP
   * @param httpsCert a PEM certificate chain for HTTPS, or {@code null} for the mesh CA's
   * @param httpsKey the PEM private key of {@code httpsCert}
   */
  public record Security(
      JoinToken joinToken,
      int accessTokenSeconds,
      int loginMaxFailures,
      int loginLockoutSeconds,
      boolean https,
      Path httpsCert,
      Path httpsKey) {}

  /** A join token: a secret, so it never shows in a log line or in {@code toString}. */
  public record JoinToken(String value) {
    @Override
    public String toString() {
      return "JoinToken[hidden]";
    }
  }

  /**
   * Settings of the vault: how many devices keep each owner's data, and how writes are
   * acknowledged.
   *
   * @param replicas how many devices keep a copy of each owner's vault (fewer if fewer exist)
   * @param writeQuorum how many replicas must hold a write durably before it is acknowledged, when
   *     that many are alive (with one alive, a write needs one and the vault is under-replicated)
   * @param maxObjectBytes the largest object the vault stores
   * @param antiEntropyMillis how often replicas compare contents and pull what they lack
   * @param replaceAfterMillis how long a replica device may be dead before another takes its place
   * @param tombstoneAgeMillis how old a tombstone must be before it is removed from every replica
   *     (only once every replica holds it)
   */
  public record Vault(
      int replicas,
      int writeQuorum,
      long maxObjectBytes,
      long antiEntropyMillis,
      long replaceAfterMillis,
      long tombstoneAgeMillis) {}

  /**
   * Settings of health gossip, failure detection and placement.
   *
   * @param power where power readings come from: {@code auto} (Linux sysfs), {@code mains}, or a
   *     simulated battery such as {@code battery:0.80:discharging:0.5} (level, percent per minute)
   * @param gossipPeriodMillis how often a device on mains publishes its status
   * @param gossipPeriodOnBatteryMillis how often a device on battery publishes its status
   * @param suspectAfterMillis silence after which a device is suspect
   * @param deadAfterMillis silence after which a device is dead and its services move
   * @param lowBatteryRatio below this level, a discharging device hands its services off
   * @param takeoverOwners owners whose services move back when a preferred device returns
   */
  public record Health(
      String power,
      int gossipPeriodMillis,
      int gossipPeriodOnBatteryMillis,
      int suspectAfterMillis,
      int deadAfterMillis,
      double lowBatteryRatio,
      java.util.Set<String> takeoverOwners) {

    public Health {
      takeoverOwners = java.util.Set.copyOf(takeoverOwners);
    }
  }

  /** Every configuration key, with its default as the file would spell it. */
  public enum Key {
    NAME("name", null, "this device, NAME.OWNER (default HOSTNAME.USER)"),
    HOME("home", null, "data directory (default ~/.kith)"),
    HTTP_PORT("http-port", "8080", "HTTP edge port"),
    CLUSTER_PORT("cluster-port", "5701", "cluster membership port"),
    BUS_PORT("bus-port", "0", "event-bus port (0 picks a free one)"),
    JOIN("join", "", "HOST:PORT[,HOST:PORT...] of devices to join"),
    MESH("mesh", "kith", "mesh name; devices join only their own mesh"),
    PUBLIC_HOST("public-host", null, "address other devices use to reach this one"),
    MULTICAST("multicast", "false", "find devices by multicast on the local network"),
    CONFIG("config", null, "YAML configuration file (default HOME/config.yaml)"),
    FAILOVER("failover", null, "failover order: DEVICE,DEVICE... (or per owner in the file)"),
    HEARTBEAT_SECONDS("heartbeat-seconds", "1", "cluster heartbeat period"),
    NO_HEARTBEAT_TIMEOUT_SECONDS(
        "no-heartbeat-timeout-seconds",
        "15",
        "silence before the cluster drops a device that gossip did not"),
    WAIT_BEFORE_JOIN_SECONDS("wait-before-join-seconds", "0", "wait for peers before joining"),
    MAX_BODY_BYTES("max-body-bytes", "1048576", "largest HTTP request body"),
    STORAGE_QUOTA_BYTES("storage-quota-bytes", "0", "storage offered to the mesh (0 = free disk)"),
    POWER(
        "power", "auto", "auto (sysfs), mains, or battery:LEVEL:charging|discharging:PCT_PER_MIN"),
    GOSSIP_PERIOD_MILLIS("gossip-period-millis", "1000", "status gossip period on mains"),
    GOSSIP_PERIOD_ON_BATTERY_MILLIS(
        "gossip-period-on-battery-millis", "1500", "status gossip period on battery"),
    SUSPECT_AFTER_MILLIS("suspect-after-millis", "2000", "silence before a device is suspect"),
    DEAD_AFTER_MILLIS("dead-after-millis", "3000", "silence before a device is dead"),
    LOW_BATTERY_RATIO("low-battery-ratio", "0.20", "hand services off below this battery level"),
    TAKEOVER("takeover", "", "OWNER,... whose services move back to a preferred device"),
    VAULT_REPLICAS("vault-replicas", "3", "devices that keep a copy of each owner's vault"),
    VAULT_WRITE_QUORUM(
        "vault-write-quorum", "2", "replicas that must hold a write to acknowledge it"),
    VAULT_MAX_OBJECT_BYTES("vault-max-object-bytes", "33554432", "largest object in the vault"),
    VAULT_ANTI_ENTROPY_MILLIS(
        "vault-anti-entropy-millis", "30000", "how often vault replicas compare contents"),
    VAULT_REPLACE_AFTER_MILLIS(
        "vault-replace-after-millis", "300000", "dead time before a vault replica is replaced"),
    VAULT_TOMBSTONE_AGE_MILLIS(
        "vault-tombstone-age-millis",
        "3600000",
        "age at which deletes held everywhere are removed"),
    TOKEN("token", null, "join token from 'kith invite': enrolls this device in a mesh"),
    ACCESS_TOKEN_SECONDS("access-token-seconds", "900", "how long an access token is valid"),
    LOGIN_MAX_FAILURES(
        "login-max-failures", "20", "failed logins (HTTP, SMTP AUTH) before a lockout"),
    LOGIN_LOCKOUT_SECONDS(
        "login-lockout-seconds", "900", "window for counting failed logins, and lockout time"),
    HTTPS("https", "false", "serve HTTPS (with https-cert, else a mesh CA certificate)"),
    HTTPS_CERT("https-cert", null, "PEM certificate chain for HTTPS"),
    HTTPS_KEY("https-key", null, "PEM private key for HTTPS"),
    MAIL_DOMAIN("mail-domain", "localhost", "mail domain of the mesh (repeatable): OWNER@DOMAIN"),
    SMTP_PORT("smtp-port", "2525", "SMTP port (25 in deployments; 0 turns SMTP off)"),
    SMTP_MAX_MESSAGE_BYTES("smtp-max-message-bytes", "26214400", "largest message SMTP takes"),
    SMTP_MAX_RECIPIENTS("smtp-max-recipients", "100", "most recipients of one message"),
    SMTP_MAX_CONNECTIONS("smtp-max-connections", "200", "most SMTP connections at once"),
    SMTP_IDLE_SECONDS("smtp-idle-seconds", "60", "silence before an SMTP connection is closed"),
    SMTP_CERT("smtp-cert", null, "PEM certificate chain for STARTTLS"),
    SMTP_KEY("smtp-key", null, "PEM private key for STARTTLS"),
    MAIL_RELAY("mail-relay", null, "HOST:PORT of a smarthost for outbound mail (default: MX)"),
    MAIL_RELAY_USER("mail-relay-user", null, "user name at the smarthost"),
    MAIL_RELAY_PASSWORD("mail-relay-password", null, "password at the smarthost"),
    MAIL_RELAY_TLS("mail-relay-tls", "starttls", "none, starttls or tls to the smarthost"),
    MAIL_RETRY_MILLIS("mail-retry-millis", "60000", "first retry delay of outbound mail"),
    MAIL_EXPIRY_HOURS("mail-expiry-hours", "120", "hours outbound mail is retried before a bounce");

    public final String key;
    final String defaultValue;
    public final String help;

    Key(String key, String defaultValue, String help) {
      this.key = key;
      this.defaultValue = defaultValue;
      this.help = help;
    }

    public String flag() {
      return "--" + key;
    }

    public String envVar() {
      return "KITH_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    static Key byName(String name) {
      for (Key k : values()) {
        if (k.key.equals(name)) {
          return k;
        }
      }
      return null;
    }
  }

  /** Environment variables that belong to Kith's tools rather than to a device. */
  private static final Set<String> NON_DEVICE_ENV =
      Set.of(
          "KITH_URL",
          "KITH_ACCESS_TOKEN",
          "KITH_REQUIRE_DOCKER",
          "KITH_BASE_IMAGE",
          "KITH_JAVA_OPTS");

  private static final String LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  private static final Pattern DEVICE_NAME = Pattern.compile(LABEL + "\\." + LABEL);
  private static final Pattern OWNER = Pattern.compile(LABEL);

  /** Owner names with this prefix are reserved for the mesh's own vaults. */
  public static final String RESERVED_OWNER_PREFIX = "kith-";

  private static final Pattern MESH_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");
  private static final long MAX_CONFIG_FILE_BYTES = 1 << 20;

  public DeviceConfig {
    join = List.copyOf(join);
    failover = Map.copyOf(failover);
  }

  /** The owner's failover order, most preferred first; empty if none is configured. */
  public List<String> failoverOf(String anOwner) {
    return failover.getOrDefault(anOwner, List.of());
  }

  /**
   * Builds the configuration from every source.
   *
   * @param args command-line flags, without the command name
   * @param env the process environment
   * @param unknownEnv receives environment variables that look like Kith's but are not keys
   */
  public static DeviceConfig load(
      List<String> args, Map<String, String> env, java.util.function.Consumer<String> unknownEnv) {
    Map<Key, Object> flags = parseFlags(args);
    Map<Key, Object> fromEnv = new EnumMap<>(Key.class);
    for (Key k : Key.values()) {
      String v = env.get(k.envVar());
      // An empty variable counts as unset, as compose files often leave them.
      if (v != null && !v.isBlank()) {
        fromEnv.put(k, v);
      }
    }
    env.keySet().stream()
        .filter(v -> v.startsWith("KITH_") && !NON_DEVICE_ENV.contains(v))
        .filter(v -> Arrays.stream(Key.values()).noneMatch(k -> k.envVar().equals(v)))
        .forEach(unknownEnv);

    // The config file is located from the higher-priority sources only.
    Object explicitFile = flags.getOrDefault(Key.CONFIG, fromEnv.get(Key.CONFIG));
    Path home = homeFrom(firstOf(flags.get(Key.HOME), fromEnv.get(Key.HOME), null));
    Map<Key, Object> fromFile;
    if (explicitFile != null) {
      fromFile = readFile(Path.of(explicitFile.toString()), true);
    } else {
      fromFile = readFile(home.resolve("config.yaml"), false);
    }

    Map<Key, Object> merged = new EnumMap<>(Key.class);
    for (Key k : Key.values()) {
      if (k.defaultValue != null) {
        merged.put(k, k.defaultValue);
      }
    }
    merged.putAll(fromFile);
    merged.putAll(fromEnv);
    merged.putAll(flags);
    return build(merged, env);
  }

  private static Object firstOf(Object... values) {
    for (Object v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static Map<Key, Object> parseFlags(List<String> args) {
    Map<Key, Object> flags = new EnumMap<>(Key.class);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new ConfigException(arg, "unexpected argument (see kith --help)");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Key key = Key.byName(name);
      if (key == null) {
        throw new ConfigException("--" + name, "unknown option (see kith --help)");
      }
      if (value == null) {
        if (key == Key.MULTICAST || key == Key.HTTPS) {
          value = "true";
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new ConfigException(key.flag(), "needs a value");
        }
      }
      if (key == Key.MAIL_DOMAIN && flags.containsKey(key)) {
        value = flags.get(key) + "," + value;
      }
      flags.put(key, value);
    }
    return flags;
  }

  private static Map<Key, Object> readFile(Path file, boolean required) {
    Map<Key, Object> values = new EnumMap<>(Key.class);
    if (!Files.exists(file)) {
      if (required) {
        throw new ConfigException("config", file + " does not exist");
      }
      return values;
    }
    Object doc;
    try {
      if (Files.size(file) > MAX_CONFIG_FILE_BYTES) {
        throw new ConfigException("config", file + " is larger than 1 MiB");
      }
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      try (InputStream in = Files.newInputStream(file)) {
        doc = new Yaml(new SafeConstructor(options)).load(in);
      }
    } catch (IOException e) {
      throw new ConfigException("config", file + " cannot be read: " + e.getMessage());
    } catch (YAMLException e) {
      String line = e.getMessage() == null ? "invalid YAML" : e.getMessage().split("\n")[0];
      throw new ConfigException("config", file + " is not valid YAML: " + line);
    }
    if (doc == null) {
      return values;
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw new ConfigException("config", file + " must be a map of key: value");
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Key key = Key.byName(String.valueOf(e.getKey()));
      if (key == null || key == Key.CONFIG) {
        throw new ConfigException(String.valueOf(e.getKey()), "unknown key in " + file);
      }
      values.put(key, e.getValue());
    }
    return values;
  }

  private static DeviceConfig build(Map<Key, Object> v, Map<String, String> env) {
    String name = v.containsKey(Key.NAME) ? str(v, Key.NAME) : defaultName(env);
    if (!DEVICE_NAME.matcher(name).matches()) {
      throw new ConfigException(
          "name",
          "'"
              + name
              + "' is not NAME.OWNER (lowercase letters, digits and '-', e.g. laptop.alice)");
    }
    String owner = name.substring(name.indexOf('.') + 1);
    if (owner.startsWith(RESERVED_OWNER_PREFIX)) {
      throw new ConfigException(
          "name",
          "owner names starting with '" + RESERVED_OWNER_PREFIX + "' are reserved: " + name);
    }
    Path home = homeFrom(v.get(Key.HOME));
    checkWritable(home);

    List<String> join = new ArrayList<>();
    for (String member : list(v, Key.JOIN)) {
      int colon = member.lastIndexOf(':');
      if (colon <= 0 || !HOST.matcher(member.substring(0, colon)).matches()) {
        throw new ConfigException("join", "'" + member + "' is not HOST:PORT");
      }
      port(Key.JOIN, member.substring(colon + 1), 1);
      join.add(member);
    }
    String mesh = str(v, Key.MESH);
    if (!MESH_NAME.matcher(mesh).matches()) {
      throw new ConfigException("mesh", "'" + mesh + "' must be 1-64 of A-Z a-z 0-9 . _ -");
    }
    String publicHost = v.containsKey(Key.PUBLIC_HOST) ? str(v, Key.PUBLIC_HOST) : null;
    if (publicHost != null && !HOST.matcher(publicHost).matches()) {
      throw new ConfigException("public-host", "'" + publicHost + "' is not a host name or IP");
    }
    int heartbeat = integer(v, Key.HEARTBEAT_SECONDS, 1, 60);
    int timeout = integer(v, Key.NO_HEARTBEAT_TIMEOUT_SECONDS, 2, 600);
    if (timeout <= heartbeat) {
      throw new ConfigException(
          Key.NO_HEARTBEAT_TIMEOUT_SECONDS.key,
          timeout + " must exceed heartbeat-seconds (" + heartbeat + ")");
    }
    Health health = health(v);
    return new DeviceConfig(
        name,
        owner,
        home,
        port(Key.HTTP_PORT, str(v, Key.HTTP_PORT), 1),
        port(Key.CLUSTER_PORT, str(v, Key.CLUSTER_PORT), 1),
        port(Key.BUS_PORT, str(v, Key.BUS_PORT), 0),
        join,
        mesh,
        publicHost,
        bool(v, Key.MULTICAST),
        failover(v.get(Key.FAILOVER), owner),
        heartbeat,
        timeout,
        integer(v, Key.WAIT_BEFORE_JOIN_SECONDS, 0, 60),
        longValue(v, Key.MAX_BODY_BYTES, 1024, 1L << 30),
        longValue(v, Key.STORAGE_QUOTA_BYTES, 0, Long.MAX_VALUE),
        health,
        vault(v),
        security(v),
        mail(v));
  }

  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  private static Mail mail(Map<Key, Object> v) {
    List<String> domains = new ArrayList<>();
    for (String d : list(v, Key.MAIL_DOMAIN)) {
      String domain = d.toLowerCase(Locale.ROOT);
      if (!DOMAIN.matcher(domain).matches()) {
        throw new ConfigException(Key.MAIL_DOMAIN.key, "'" + d + "' is not a domain name");
      }
      if (!domains.contains(domain)) {
        domains.add(domain);
      }
    }
    if (domains.isEmpty()) {
      throw new ConfigException(Key.MAIL_DOMAIN.key, "needs at least one domain");
    }
    Path cert = v.containsKey(Key.SMTP_CERT) ? Path.of(str(v, Key.SMTP_CERT)) : null;
    Path key = v.containsKey(Key.SMTP_KEY) ? Path.of(str(v, Key.SMTP_KEY)) : null;
    if ((cert == null) != (key == null)) {
      throw new ConfigException(
          cert == null ? Key.SMTP_CERT.key : Key.SMTP_KEY.key,
          "smtp-cert and smtp-key go together");
    }
    for (Path file : new Path[] {cert, key}) {
      if (file != null && !Files.isReadable(file)) {
        throw new ConfigException(
            file == cert ? Key.SMTP_CERT.key : Key.SMTP_KEY.key, file + " cannot be read");
      }
    }
    String relay = v.containsKey(Key.MAIL_RELAY) ? str(v, Key.MAIL_RELAY) : null;
    if (relay != null) {
      int colon = relay.lastIndexOf(':');
      if (colon <= 0 || !HOST.matcher(relay.substring(0, colon)).matches()) {
        throw new ConfigException(Key.MAIL_RELAY.key, "'" + relay + "' is not HOST:PORT");
      }
      port(Key.MAIL_RELAY, relay.substring(colon + 1), 1);
    }
    String user = v.containsKey(Key.MAIL_RELAY_USER) ? str(v, Key.MAIL_RELAY_USER) : null;
    Secret password =
        v.containsKey(Key.MAIL_RELAY_PASSWORD) ? new Secret(str(v, Key.MAIL_RELAY_PASSWORD)) : null;
    if ((user == null) != (password == null)) {
      throw new ConfigException(
          user == null ? Key.MAIL_RELAY_USER.key : Key.MAIL_RELAY_PASSWORD.key,
          "mail-relay-user and mail-relay-password go together");
    }
    String tls = str(v, Key.MAIL_RELAY_TLS);
    if (!List.of("none", "starttls", "tls").contains(tls)) {
      throw new ConfigException(
          Key.MAIL_RELAY_TLS.key, "'" + tls + "' is not none, starttls or tls");
    }
    return new Mail(
        domains,
        port(Key.SMTP_PORT, str(v, Key.SMTP_PORT), 0),
        longValue(v, Key.SMTP_MAX_MESSAGE_BYTES, 1024, 1L << 30),
        integer(v, Key.SMTP_MAX_RECIPIENTS, 1, 10_000),
        integer(v, Key.SMTP_MAX_CONNECTIONS, 1, 100_000),
        integer(v, Key.SMTP_IDLE_SECONDS, 1, 3_600),
        cert,
        key,
        relay,
        user,
        password,
        tls,
        longValue(v, Key.MAIL_RETRY_MILLIS, 10, 86_400_000),
        integer(v, Key.MAIL_EXPIRY_HOURS, 1, 24 * 60));
  }

  private static Security security(Map<Key, Object> v) {
    JoinToken token = null;
    if (v.containsKey(Key.TOKEN)) {
      String raw = str(v, Key.TOKEN);
      if (raw.isEmpty() || raw.length() > 4096 || !raw.startsWith("kith1.")) {
        throw new ConfigException(Key.TOKEN.key, "is not a join token (kith invite prints one)");
      }
      token = new JoinToken(raw);
    }
    Path cert = v.containsKey(Key.HTTPS_CERT) ? Path.of(str(v, Key.HTTPS_CERT)) : null;
    Path key = v.containsKey(Key.HTTPS_KEY) ? Path.of(str(v, Key.HTTPS_KEY)) : null;
    if ((cert == null) != (key == null)) {
      throw new ConfigException(
          cert == null ? Key.HTTPS_CERT.key : Key.HTTPS_KEY.key,
          "https-cert and https-key go together");
    }
    for (Path file : new Path[] {cert, key}) {
      if (file != null && !Files.isReadable(file)) {
        throw new ConfigException(
            file == cert ? Key.HTTPS_CERT.key : Key.HTTPS_KEY.key, file + " cannot be read");
      }
    }
    boolean https = bool(v, Key.HTTPS) || cert != null;
    return new Security(
        token,
        integer(v, Key.ACCESS_TOKEN_SECONDS, 30, 86_400),
        integer(v, Key.LOGIN_MAX_FAILURES, 1, 10_000),
        integer(v, Key.LOGIN_LOCKOUT_SECONDS, 1, 86_400),
        https,
        cert,
        key);
  }

  private static Vault vault(Map<Key, Object> v) {
    int replicas = integer(v, Key.VAULT_REPLICAS, 1, 9);
    int quorum = integer(v, Key.VAULT_WRITE_QUORUM, 1, 9);
    if (quorum > replicas) {
      throw new ConfigException(
          Key.VAULT_WRITE_QUORUM.key, quorum + " exceeds vault-replicas (" + replicas + ")");
    }
    return new Vault(
        replicas,
        quorum,
        longValue(v, Key.VAULT_MAX_OBJECT_BYTES, 1024, 1L << 30),
        longValue(v, Key.VAULT_ANTI_ENTROPY_MILLIS, 100, 86_400_000),
        longValue(v, Key.VAULT_REPLACE_AFTER_MILLIS, 1000, 30L * 86_400_000),
        longValue(v, Key.VAULT_TOMBSTONE_AGE_MILLIS, 1000, 365L * 86_400_000));
  }

  private static Health health(Map<Key, Object> v) {
    int period = integer(v, Key.GOSSIP_PERIOD_MILLIS, 100, 60_000);
    int batteryPeriod = integer(v, Key.GOSSIP_PERIOD_ON_BATTERY_MILLIS, 100, 60_000);
    int suspect = integer(v, Key.SUSPECT_AFTER_MILLIS, 200, 600_000);
    int dead = integer(v, Key.DEAD_AFTER_MILLIS, 300, 600_000);
    int slowest = Math.max(period, batteryPeriod);
    if (suspect <= slowest) {
      throw new ConfigException(
          Key.SUSPECT_AFTER_MILLIS.key,
          suspect + " must exceed the slowest gossip period (" + slowest + " ms)");
    }
    if (dead <= suspect) {
      throw new ConfigException(
          Key.DEAD_AFTER_MILLIS.key, dead + " must exceed suspect-after-millis (" + suspect + ")");
    }
    String power = str(v, Key.POWER);
    if (power.isEmpty() || power.length() > 100) {
      throw new ConfigException(Key.POWER.key, "'" + power + "' is not a power source");
    }
    double lowBattery;
    String raw = str(v, Key.LOW_BATTERY_RATIO);
    try {
      lowBattery = Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(Key.LOW_BATTERY_RATIO.key, "'" + raw + "' is not a number");
    }
    if (!(lowBattery >= 0 && lowBattery < 1)) {
      throw new ConfigException(Key.LOW_BATTERY_RATIO.key, raw + " is not in [0, 1)");
    }
    java.util.Set<String> takeover = new java.util.LinkedHashSet<>();
    for (String owner : list(v, Key.TAKEOVER)) {
      if (!OWNER.matcher(owner).matches()) {
        throw new ConfigException(Key.TAKEOVER.key, "'" + owner + "' is not an owner name");
      }
      takeover.add(owner);
    }
    return new Health(power, period, batteryPeriod, suspect, dead, lowBattery, takeover);
  }

  /** A list applies to this device's owner; a map gives each owner's order. */
  private static Map<String, List<String>> failover(Object raw, String owner) {
    Map<String, List<String>> orders = new LinkedHashMap<>();
    if (raw == null) {
      return orders;
    }
    if (raw instanceof Map<?, ?> perOwner) {
      for (Map.Entry<?, ?> e : perOwner.entrySet()) {
        String anOwner = String.valueOf(e.getKey());
        if (!OWNER.matcher(anOwner).matches()) {
          throw new ConfigException("failover", "'" + anOwner + "' is not an owner name");
        }
        orders.put(anOwner, failoverList(e.getValue(), anOwner));
      }
    } else {
      orders.put(owner, failoverList(raw, owner));
    }
    return orders;
  }

  private static List<String> failoverList(Object raw, String owner) {
    List<String> devices = splitList(raw);
    for (String d : devices) {
      if (!DEVICE_NAME.matcher(d).matches() || !d.endsWith("." + owner)) {
        throw new ConfigException(
            "failover", "'" + d + "' is not a device of " + owner + " (NAME." + owner + ")");
      }
    }
    if (devices.stream().distinct().count() != devices.size()) {
      throw new ConfigException("failover", owner + "'s order names a device twice: " + devices);
    }
    return devices;
  }

  private static String defaultName(Map<String, String> env) {
    String host = env.get("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = Files.readString(Path.of("/etc/hostname")).trim();
      } catch (IOException | RuntimeException e) {
        host = "device";
      }
    }
    return label(host.split("\\.")[0], "device")
        + "."
        + label(System.getProperty("user.name"), "owner");
  }

  /** Lowercases and strips a host or user name down to a valid name label. */
  static String label(String raw, String fallback) {
    String s = raw == null ? "" : raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    s = s.replaceAll("^-+|-+$", "");
    if (s.length() > 63) {
      s = s.substring(0, 63).replaceAll("-+$", "");
    }
    return s.isEmpty() ? fallback : s;
  }

  private static Path homeFrom(Object raw) {
    if (raw == null) {
      return Path.of(System.getProperty("user.home"), ".kith").toAbsolutePath();
    }
    String s = raw.toString();
    if (s.equals("~") || s.startsWith("~/")) {
      s = System.getProperty("user.home") + s.substring(1);
    }
    return Path.of(s).toAbsolutePath().normalize();
  }

  private static void checkWritable(Path home) {
    try {
      HomeModes.createDirectories(home);
      Path probe = Files.createTempFile(home, ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      throw new ConfigException(
          "home", home + " cannot be written (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static String str(Map<Key, Object> v, Key k) {
    Object o = v.get(k);
    if (o instanceof Map<?, ?> || o instanceof List<?>) {
      throw new ConfigException(k.key, "must be a single value, not " + o);
    }
    return String.valueOf(o).trim();
  }

  private static List<String> list(Map<Key, Object> v, Key k) {
    return splitList(v.get(k));
  }

  private static List<String> splitList(Object raw) {
    List<String> out = new ArrayList<>();
    if (raw instanceof List<?> items) {
      items.forEach(i -> out.add(String.valueOf(i).trim()));
    } else if (raw != null) {
      for (String s : raw.toString().split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    }
    return out;
  }

  private static int port(Key k, String raw, int min) {
    int p;
    try {
      p = Integer.parseInt(raw.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(k.key, "'" + raw + "' is not a port number");
    }
    if (p < min || p > 65535) {
      throw new ConfigException(k.key, p + " is not a port (" + min + "-65535)");
    }
    return p;
  }

  private static int integer(Map<Key, Object> v, Key k, int min, int max) {
    return (int) longValue(v, k, min, max);
  }

  private static long longValue(Map<Key, Object> v, Key k, long min, long max) {
    String raw = str(v, k);
    long n;
    try {
      n = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(k.key, "'" + raw + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw new ConfigException(k.key, n + " is out of range (" + min + "-" + max + ")");
    }
    return n;
  }

  private static boolean bool(Map<Key, Object> v, Key k) {
    String raw = str(v, k).toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigException(k.key, "'" + raw + "' is not true or false");
    };
  }
}
