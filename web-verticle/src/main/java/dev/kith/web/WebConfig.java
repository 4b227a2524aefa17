package dev.kith.web;

import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import dev.kith.mesh.spi.config.Settings;
import java.util.List;

/**
 * Settings of the web sites every device serves.
 *
 * @param port the HTTP port that serves only sites, by {@code Host} (80 in deployments), or 0 for
 *     none: sites are then served on the edge's HTTP port alone
 * @param bindHost the address that port listens on
 * @param maxFiles the most files in one version of a site
 * @param maxFileBytes the largest file
 * @param maxSiteBytes the largest version of a site, all files together (also an archive's limit)
 * @param maxPathLength the longest path of a file in a site
 * @param cacheBytes how many bytes of files each device keeps in memory to serve them
 * @param keepVersions how many versions of a site stay listed (and can be rolled back to)
 */
public record WebConfig(
    int port,
    String bindHost,
    int maxFiles,
    long maxFileBytes,
    long maxSiteBytes,
    int maxPathLength,
    long cacheBytes,
    int keepVersions) {

  /** The web section of the device's configuration. */
  public static final class Section implements ConfigSection<WebConfig> {

    static final String WEB_PORT = "web-port";
    static final String WEB_BIND_HOST = "web-bind-host";
    static final String WEB_MAX_FILES = "web-max-files";
    static final String WEB_MAX_FILE_BYTES = "web-max-file-bytes";
    static final String WEB_MAX_SITE_BYTES = "web-max-site-bytes";
    static final String WEB_MAX_PATH_LENGTH = "web-max-path-length";
    static final String WEB_CACHE_BYTES = "web-cache-bytes";
    static final String WEB_KEEP_VERSIONS = "web-keep-versions";

    @Override
    public String name() {
      return "web";
    }

    @Override
    public Class<WebConfig> type() {
      return WebConfig.class;
    }

    @Override
    public List<Setting> settings() {
      return List.of(
          Setting.of(WEB_PORT, "0", "HTTP port serving only sites (80 in deployments; 0: off)"),
          Setting.of(WEB_BIND_HOST, "0.0.0.0", "address the web port listens on"),
          Setting.of(WEB_MAX_FILES, "10000", "most files in one version of a site"),
          Setting.of(WEB_MAX_FILE_BYTES, "33554432", "largest file of a site"),
          Setting.of(WEB_MAX_SITE_BYTES, "268435456", "largest site version (and archive upload)"),
          Setting.of(WEB_MAX_PATH_LENGTH, "512", "longest path of a file in a site"),
          Setting.of(
              WEB_CACHE_BYTES, "67108864", "bytes of site files each device keeps in memory"),
          Setting.of(WEB_KEEP_VERSIONS, "10", "versions of a site kept for rollback"));
    }

    @Override
    public WebConfig parse(Settings v) {
      return new WebConfig(
          v.port(WEB_PORT, 0),
          v.listenAddress(WEB_BIND_HOST),
          v.integer(WEB_MAX_FILES, 1, 1_000_000),
          v.longValue(WEB_MAX_FILE_BYTES, 1024, 1L << 30),
          v.longValue(WEB_MAX_SITE_BYTES, 1024, 1L << 40),
          v.integer(WEB_MAX_PATH_LENGTH, 16, 4096),
          v.longValue(WEB_CACHE_BYTES, 0, 1L << 40),
          v.integer(WEB_KEEP_VERSIONS, 1, 1000));
    }
  }
}
