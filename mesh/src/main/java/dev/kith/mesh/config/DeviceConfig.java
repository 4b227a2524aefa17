package dev.kith.mesh.config;

import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * @param bind the addresses the device's ports listen on
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
    Vault vault,
    Security security,
    Bind bind,
    Map<Class<?>, Object> sections) {

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

  /**
   * The addresses the device's ports listen on; see {@code cluster.ClusterBinding} for the
   * defaults.
   *
   * @param host {@code bind-host}: the cluster and event-bus ports' address (and the other ports'
   *     unless they have their own), or {@code null} for the default (the public host; loopback for
   *     a mesh of one; else the address that reaches the devices to join)
   * @param httpHost {@code http-bind-host}: the HTTP edge's address, or {@code null} for {@code
   *     host}, else every interface
   */
  public record Bind(String host, String httpHost) {

    /** The HTTP edge's address: its own, else {@code bind-host}, else every interface. */
    public String httpHostOrAll() {
      return httpHost != null ? httpHost : host != null ? host : "0.0.0.0";
    }
  }

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
    BIND_HOST("bind-host", null, "address the cluster and bus ports (and HTTP) listen on"),
    HTTP_BIND_HOST("http-bind-host", null, "address the HTTP edge listens on (default all)"),
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
    HTTPS_KEY("https-key", null, "PEM private key for HTTPS");

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
      return setting().envVar();
    }

    /** The key as a {@link Setting}, as sections declare theirs. */
    public Setting setting() {
      return this == MULTICAST || this == HTTPS
          ? Setting.flag(key, defaultValue, help)
          : Setting.of(key, defaultValue, help);
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

  private static final Pattern DEVICE_NAME =
      Pattern.compile(Settings.LABEL.pattern() + "\\." + Settings.LABEL.pattern());
  private static final Pattern OWNER = Settings.LABEL;

  /** Owner names with this prefix are reserved for the mesh's own vaults. */
  public static final String RESERVED_OWNER_PREFIX = "kith-";

  private static final Pattern MESH_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final long MAX_CONFIG_FILE_BYTES = 1 << 20;

  public DeviceConfig {
    join = List.copyOf(join);
    failover = Map.copyOf(failover);
    sections = Map.copyOf(sections);
  }

  /** The owner's failover order, most preferred first; empty if none is configured. */
  public List<String> failoverOf(String anOwner) {
    return failover.getOrDefault(anOwner, List.of());
  }

  /**
   * A module's configuration, parsed by its {@link ConfigSection}.
   *
   * @throws IllegalStateException when no section of that type is installed
   */
  public <T> T section(Class<T> type) {
    Object section = sections.get(type);
    if (section == null) {
      throw new IllegalStateException(
          "no configuration section " + type.getName() + " is installed");
    }
    return type.cast(section);
  }

  /**
   * Builds the configuration from every source, with the sections of every module on the class path
   * ({@link ConfigSections#installed()}).
   *
   * @param args command-line flags, without the command name
   * @param env the process environment
   * @param unknownEnv receives environment variables that look like Kith's but are not keys
   */
  public static DeviceConfig load(
      List<String> args, Map<String, String> env, java.util.function.Consumer<String> unknownEnv) {
    return load(args, env, unknownEnv, ConfigSections.installed());
  }

  /** Builds the configuration with exactly these module sections. */
  public static DeviceConfig load(
      List<String> args,
      Map<String, String> env,
      java.util.function.Consumer<String> unknownEnv,
      List<ConfigSection<?>> sections) {
    Map<String, Setting> known = ConfigSections.settings(coreSettings(), sections);
    Map<String, Object> flags = parseFlags(args, known);
    Map<String, Object> fromEnv = new LinkedHashMap<>();
    for (Setting setting : known.values()) {
      String v = env.get(setting.envVar());
      // An empty variable counts as unset, as compose files often leave them.
      if (v != null && !v.isBlank()) {
        fromEnv.put(setting.key(), v);
      }
    }
    Set<String> envVars = new java.util.HashSet<>();
    known.values().forEach(setting -> envVars.add(setting.envVar()));
    env.keySet().stream()
        .filter(v -> v.startsWith("KITH_") && !NON_DEVICE_ENV.contains(v) && !envVars.contains(v))
        .forEach(unknownEnv);

    // The config file is located from the higher-priority sources only.
    Object explicitFile = flags.getOrDefault(Key.CONFIG.key, fromEnv.get(Key.CONFIG.key));
    Path home = homeFrom(firstOf(flags.get(Key.HOME.key), fromEnv.get(Key.HOME.key), null));
    Map<String, Object> fromFile;
    if (explicitFile != null) {
      fromFile = readFile(Path.of(explicitFile.toString()), true, known);
    } else {
      fromFile = readFile(home.resolve("config.yaml"), false, known);
    }

    Map<String, Object> merged = new LinkedHashMap<>();
    for (Setting setting : known.values()) {
      if (setting.defaultValue() != null) {
        merged.put(setting.key(), setting.defaultValue());
      }
    }
    merged.putAll(fromFile);
    merged.putAll(fromEnv);
    merged.putAll(flags);
    return build(new Settings(merged), env, sections);
  }

  /** The device's own settings, as {@code kith --help} lists them first. */
  public static List<Setting> coreSettings() {
    return java.util.Arrays.stream(Key.values()).map(Key::setting).toList();
  }

  private static Object firstOf(Object... values) {
    for (Object v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static Map<String, Object> parseFlags(List<String> args, Map<String, Setting> known) {
    Map<String, Object> flags = new LinkedHashMap<>();
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
      Setting setting = known.get(name);
      if (setting == null) {
        throw new ConfigException("--" + name, "unknown option (see kith --help)");
      }
      if (value == null) {
        if (setting.kind() == Setting.Kind.SWITCH) {
          value = "true";
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new ConfigException(setting.flagName(), "needs a value");
        }
      }
      if (setting.kind() == Setting.Kind.REPEATABLE && flags.containsKey(name)) {
        value = flags.get(name) + "," + value;
      }
      flags.put(name, value);
    }
    return flags;
  }

  private static Map<String, Object> readFile(
      Path file, boolean required, Map<String, Setting> known) {
    Map<String, Object> values = new LinkedHashMap<>();
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
      String key = String.valueOf(e.getKey());
      if (!known.containsKey(key) || key.equals(Key.CONFIG.key)) {
        throw new ConfigException(key, "unknown key in " + file);
      }
      values.put(key, e.getValue());
    }
    return values;
  }

  private static DeviceConfig build(
      Settings v, Map<String, String> env, List<ConfigSection<?>> sections) {
    String name = v.has(Key.NAME.key) ? v.string(Key.NAME.key) : defaultName(env);
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
    Path home = homeFrom(v.raw(Key.HOME.key));
    checkWritable(home);

    List<String> join = new ArrayList<>();
    for (String member : v.list(Key.JOIN.key)) {
      Settings.checkHostAndPort("join", member);
      join.add(member);
    }
    String mesh = v.string(Key.MESH.key);
    if (!MESH_NAME.matcher(mesh).matches()) {
      throw new ConfigException("mesh", "'" + mesh + "' must be 1-64 of A-Z a-z 0-9 . _ -");
    }
    String publicHost = v.optional(Key.PUBLIC_HOST.key);
    if (publicHost != null && !Settings.HOST.matcher(publicHost).matches()) {
      throw new ConfigException("public-host", "'" + publicHost + "' is not a host name or IP");
    }
    int heartbeat = v.integer(Key.HEARTBEAT_SECONDS.key, 1, 60);
    int timeout = v.integer(Key.NO_HEARTBEAT_TIMEOUT_SECONDS.key, 2, 600);
    if (timeout <= heartbeat) {
      throw new ConfigException(
          Key.NO_HEARTBEAT_TIMEOUT_SECONDS.key,
          timeout + " must exceed heartbeat-seconds (" + heartbeat + ")");
    }
    Map<Class<?>, Object> parsed = new LinkedHashMap<>();
    for (ConfigSection<?> section : sections) {
      parsed.put(section.type(), section.parse(v));
    }
    return new DeviceConfig(
        name,
        owner,
        home,
        v.port(Key.HTTP_PORT.key, 1),
        v.port(Key.CLUSTER_PORT.key, 1),
        v.port(Key.BUS_PORT.key, 0),
        join,
        mesh,
        publicHost,
        v.bool(Key.MULTICAST.key),
        failover(v.raw(Key.FAILOVER.key), owner),
        heartbeat,
        timeout,
        v.integer(Key.WAIT_BEFORE_JOIN_SECONDS.key, 0, 60),
        v.longValue(Key.MAX_BODY_BYTES.key, 1024, 1L << 30),
        v.longValue(Key.STORAGE_QUOTA_BYTES.key, 0, Long.MAX_VALUE),
        vault(v),
        security(v),
        bind(v),
        parsed);
  }

  private static Security security(Settings v) {
    JoinToken token = null;
    if (v.has(Key.TOKEN.key)) {
      String raw = v.string(Key.TOKEN.key);
      if (raw.isEmpty() || raw.length() > 4096 || !raw.startsWith("kith1.")) {
        throw new ConfigException(Key.TOKEN.key, "is not a join token (kith invite prints one)");
      }
      token = new JoinToken(raw);
    }
    v.together(Key.HTTPS_CERT.key, Key.HTTPS_KEY.key);
    Path cert = v.readableFile(Key.HTTPS_CERT.key);
    Path key = v.readableFile(Key.HTTPS_KEY.key);
    boolean https = v.bool(Key.HTTPS.key) || cert != null;
    return new Security(
        token,
        v.integer(Key.ACCESS_TOKEN_SECONDS.key, 30, 86_400),
        v.integer(Key.LOGIN_MAX_FAILURES.key, 1, 10_000),
        v.integer(Key.LOGIN_LOCKOUT_SECONDS.key, 1, 86_400),
        https,
        cert,
        key);
  }

  private static Bind bind(Settings v) {
    String[] hosts = new String[2];
    String[] keys = {Key.BIND_HOST.key, Key.HTTP_BIND_HOST.key};
    for (int i = 0; i < keys.length; i++) {
      hosts[i] = v.optional(keys[i]);
      if (hosts[i] != null && !Settings.HOST.matcher(hosts[i]).matches()) {
        throw new ConfigException(keys[i], "'" + hosts[i] + "' is not a host name or IP");
      }
    }
    return new Bind(hosts[0], hosts[1]);
  }

  private static Vault vault(Settings v) {
    int replicas = v.integer(Key.VAULT_REPLICAS.key, 1, 9);
    int quorum = v.integer(Key.VAULT_WRITE_QUORUM.key, 1, 9);
    if (quorum > replicas) {
      throw new ConfigException(
          Key.VAULT_WRITE_QUORUM.key, quorum + " exceeds vault-replicas (" + replicas + ")");
    }
    return new Vault(
        replicas,
        quorum,
        v.longValue(Key.VAULT_MAX_OBJECT_BYTES.key, 1024, 1L << 30),
        v.longValue(Key.VAULT_ANTI_ENTROPY_MILLIS.key, 100, 86_400_000),
        v.longValue(Key.VAULT_REPLACE_AFTER_MILLIS.key, 1000, 30L * 86_400_000),
        v.longValue(Key.VAULT_TOMBSTONE_AGE_MILLIS.key, 1000, 365L * 86_400_000));
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
    List<String> devices = Settings.splitList(raw);
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
}
