package dev.kith.web;

import dev.kith.mesh.spi.ServiceFailure;
import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every site of the mesh as this device knows it: read from the {@code kith-web} vault when the
 * device starts, then kept current by a watch on it, so that a request finds its site by {@code
 * Host} without a vault call. A publish or a rollback changes one record, so a device switches a
 * site from one version to the next in one step.
 */
final class Sites {

  private static final Logger log = LoggerFactory.getLogger(Sites.class);
  private static final String PREFIX = "sites/";
  private static final int PAGE = 200;

  private final Vault vault;
  private final String device;
  private final Map<String, StoredRecord> records = new ConcurrentHashMap<>();
  private final Map<String, Site> byKey = new ConcurrentHashMap<>();
  private volatile Map<String, Site> byDomain = Map.of();
  private Vault.Watch watch;
  private volatile boolean loaded;

  Sites(Vault vault, String device) {
    this.vault = vault;
    this.device = device;
  }

  /** Watches, then reads every site record (a change during the read is not lost). */
  Future<Void> start() {
    return vault
        .watch(Site.VAULT_OWNER, PREFIX, this::apply)
        .compose(
            w -> {
              watch = w;
              return readAll(null);
            })
        .onSuccess(
            v -> {
              loaded = true;
              log.info("{} serves {} site(s)", device, byKey.size());
            });
  }

  Future<Void> stop() {
    loaded = false;
    Vault.Watch w = watch;
    watch = null;
    return w == null ? Future.succeededFuture() : w.close();
  }

  boolean loaded() {
    return loaded;
  }

  private Future<Void> readAll(String after) {
    return vault
        .scanPage(Site.VAULT_OWNER, PREFIX, after, PAGE)
        .compose(
            page -> {
              page.records().forEach(this::apply);
              return page.next() == null ? Future.succeededFuture() : readAll(page.next());
            });
  }

  /** Takes a record in, unless this device already holds a newer one of its key. */
  void apply(StoredRecord record) {
    synchronized (this) {
      StoredRecord known = records.get(record.key());
      if (known != null && !record.newerThan(known)) {
        return;
      }
      records.put(record.key(), record);
      if (record.deleted()) {
        byKey.remove(record.key());
      } else {
        byKey.put(record.key(), Site.fromJson(new JsonObject(record.value())));
      }
      Map<String, Site> domains = new ConcurrentHashMap<>();
      // The oldest claim of a domain wins should two records name it (the claims prevent that).
      byKey.values().stream()
          .sorted(Comparator.comparing(Site::key))
          .forEach(s -> s.domains().forEach(d -> domains.putIfAbsent(d, s)));
      byDomain = domains;
    }
  }

  /** The site a request's {@code Host} names (without a port, lowercased), or null. */
  /** Every domain some site serves now. */
  Set<String> domains() {
    return byDomain.keySet();
  }

  Site byHost(String host) {
    return byDomain.get(host);
  }

  Site get(String owner, String site) {
    return byKey.get(Site.key(owner, site));
  }

  List<Site> of(String owner) {
    List<Site> out = new ArrayList<>();
    byKey.values().stream()
        .filter(s -> s.owner().equals(owner))
        .sorted(Comparator.comparing(Site::name))
        .forEach(out::add);
    return out;
  }

  /** Reads a site's record from the vault itself (a quorum read), for a change about to be made. */
  Future<Site> read(String owner, String site) {
    return vault
        .getRecord(Site.VAULT_OWNER, Site.key(owner, site))
        .map(r -> r == null ? null : Site.fromJson(new JsonObject(r.value())));
  }

  /**
   * Changes a site's record atomically ({@link Vault#update}): {@code change} gets the current
   * record or a new, empty one. The result is taken in at once, so this device serves it without
   * waiting for its watch.
   */
  Future<Site> change(
      String owner, String site, java.util.function.UnaryOperator<JsonObject> change) {
    return vault
        .update(
            Site.VAULT_OWNER,
            Site.key(owner, site),
            current ->
                change.apply(
                    current == null ? Site.empty(owner, site) : new JsonObject(current.value())),
            null)
        .map(
            r -> {
              apply(r);
              return Site.fromJson(new JsonObject(r.value()));
            });
  }

  /**
   * Changes a site's record like {@link #change}, and with {@code domains} not null makes them the
   * site's domains: each is claimed first (409 when another site holds one), and those the site
   * gives up are released after.
   */
  Future<Site> change(
      String owner,
      String site,
      List<String> domains,
      java.util.function.UnaryOperator<JsonObject> change) {
    if (domains == null) {
      return change(owner, site, change);
    }
    Future<Void> claims = Future.succeededFuture();
    for (String d : domains) {
      claims = claims.compose(v -> claim(d, owner, site));
    }
    List<String> released = new ArrayList<>();
    return claims
        .compose(
            v ->
                change(
                    owner,
                    site,
                    record -> {
                      released.clear();
                      for (Object d :
                          record.getJsonArray("domains", new io.vertx.core.json.JsonArray())) {
                        if (!domains.contains((String) d)) {
                          released.add((String) d);
                        }
                      }
                      return change
                          .apply(record)
                          .put("domains", new io.vertx.core.json.JsonArray(domains));
                    }))
        .compose(
            changed -> {
              Future<Void> done = Future.succeededFuture();
              for (String d : released) {
                done = done.compose(v -> release(d, owner, site));
              }
              return done.map(changed);
            });
  }

  /** Removes a site's record. */
  Future<Void> remove(String owner, String site) {
    return vault.deleteRecord(Site.VAULT_OWNER, Site.key(owner, site)).mapEmpty();
  }

  /**
   * Claims {@code domain} for a site: the claim record is made once and names its site, so two
   * sites (of two owners) never hold one domain. A claim by the same site again succeeds.
   */
  Future<Void> claim(String domain, String owner, String site) {
    JsonObject mine = new JsonObject().put("owner", owner).put("site", site);
    return vault
        .update(
            Site.VAULT_OWNER,
            "domains/" + domain,
            current -> {
              if (current != null) {
                JsonObject held = new JsonObject(current.value());
                if (!held.equals(mine)) {
                  throw ServiceFailure.conflict(
                      domain + " is a domain of another site; remove it there first");
                }
              }
              return mine;
            },
            null)
        .mapEmpty();
  }

  /** Gives up a claim, if this site holds it. */
  Future<Void> release(String domain, String owner, String site) {
    return vault
        .getRecord(Site.VAULT_OWNER, "domains/" + domain)
        .compose(
            r -> {
              if (r == null
                  || !new JsonObject(r.value())
                      .equals(new JsonObject().put("owner", owner).put("site", site))) {
                return Future.succeededFuture();
              }
              return vault.deleteRecord(Site.VAULT_OWNER, "domains/" + domain).mapEmpty();
            });
  }
}
