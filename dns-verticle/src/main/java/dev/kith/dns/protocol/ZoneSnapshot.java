package dev.kith.dns.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * An immutable view of every zone this server is authoritative for, with all their records. The
 * caller rebuilds it from the mesh state about once a second and swaps it in whole, so answering
 * never sees a half-updated zone and needs no locks; building is linear in the number of records.
 *
 * <p>The builder derives each zone's SOA, so the SOA parameters live in one place. Names compare
 * case-insensitively (dnsjava's {@link Name} equality). The snapshot also knows every name that
 * exists, including empty non-terminals (a name with no records of its own but records below it),
 * which is what tells NODATA from NXDOMAIN. There are no wildcards and no delegations below an
 * apex: every name in a zone is answered from that zone's own records.
 */
public final class ZoneSnapshot {

  /** Refresh, retry and expire of every SOA: only secondaries read them, and there are none. */
  static final long SOA_REFRESH_SECONDS = 3600;

  static final long SOA_RETRY_SECONDS = 600;
  static final long SOA_EXPIRE_SECONDS = 604_800;

  /** A snapshot with no zones: every query is refused. */
  public static final ZoneSnapshot EMPTY = builder().build();

  private final Map<Name, SOARecord> soaByApex;
  private final Map<Name, Map<Integer, List<Record>>> recordsByName;
  private final Set<Name> existingNames;

  private ZoneSnapshot(
      Map<Name, SOARecord> soaByApex,
      Map<Name, Map<Integer, List<Record>>> recordsByName,
      Set<Name> existingNames) {
    this.soaByApex = soaByApex;
    this.recordsByName = recordsByName;
    this.existingNames = existingNames;
  }

  /** Starts an empty snapshot: declare zones with {@link Builder#zone} and add their records. */
  public static Builder builder() {
    return new Builder();
  }

  /** The apexes of the zones in this snapshot. */
  public Set<Name> zones() {
    return soaByApex.keySet();
  }

  /**
   * The SOA of the deepest zone that holds {@code name} (its owner is the zone's apex), or empty
   * when {@code name} is in no zone here.
   */
  public Optional<SOARecord> soaFor(Name name) {
    int labels = name.labels();
    for (int strip = 0; strip < labels; strip++) {
      SOARecord soa = soaByApex.get(strip == 0 ? name : new Name(name, strip));
      if (soa != null) {
        return Optional.of(soa);
      }
    }
    return Optional.empty();
  }

  /** The records of one type at {@code name}, in the order they were added; empty when none. */
  public List<Record> records(Name name, int type) {
    Map<Integer, List<Record>> byType = recordsByName.get(name);
    if (byType == null) {
      return List.of();
    }
    return byType.getOrDefault(type, List.of());
  }

  /** Whether {@code name} owns at least one record. */
  public boolean hasRecords(Name name) {
    return recordsByName.containsKey(name);
  }

  /**
   * Whether {@code name} exists in a zone: it owns records or has records below it (an empty
   * non-terminal). A name that does not exist gets NXDOMAIN; one that exists gets NODATA.
   */
  public boolean exists(Name name) {
    return existingNames.contains(name);
  }

  /**
   * Collects zones and records, and checks them in {@link #build}: a record must be of class IN and
   * inside a declared zone, a CNAME must be alone at its name, and SOAs come only from {@link
   * #zone}. Not thread-safe; build once and drop it.
   */
  public static final class Builder {
    private final Map<Name, SOARecord> soaByApex = new LinkedHashMap<>();
    private final List<Record> records = new ArrayList<>();

    private Builder() {}

    /**
     * Declares a zone. Its SOA gets the fixed refresh, retry and expire, and {@code
     * minimumTtlSeconds} as both its TTL and its MINIMUM, so negative answers are cached for that
     * long (RFC 2308).
     *
     * @throws IllegalArgumentException when the zone is already declared, or a value is out of
     *     range for an SOA
     */
    public Builder zone(
        Name apex, Name primaryNs, Name hostmaster, long serial, long minimumTtlSeconds) {
      if (soaByApex.containsKey(apex)) {
        throw new IllegalArgumentException("Zone declared twice: " + apex);
      }
      SOARecord soa =
          new SOARecord(
              apex,
              DClass.IN,
              minimumTtlSeconds,
              primaryNs,
              hostmaster,
              serial,
              SOA_REFRESH_SECONDS,
              SOA_RETRY_SECONDS,
              SOA_EXPIRE_SECONDS,
              minimumTtlSeconds);
      soaByApex.put(apex, soa);
      return this;
    }

    /** Adds a record; zones may be declared before or after their records. */
    public Builder add(Record record) {
      records.add(record);
      return this;
    }

    /**
     * Checks and indexes everything added so far.
     *
     * @throws IllegalArgumentException naming the first record that is outside every zone, not of
     *     class IN, an SOA, or a CNAME that shares its name with other records
     */
    public ZoneSnapshot build() {
      ZoneSnapshot zonesOnly = new ZoneSnapshot(Map.copyOf(soaByApex), Map.of(), Set.of());
      Map<Name, Map<Integer, Set<Record>>> index = new HashMap<>();
      Set<Name> existing = new HashSet<>();
      for (SOARecord soa : soaByApex.values()) {
        Name apex = soa.getName();
        index.computeIfAbsent(apex, n -> new HashMap<>()).put(Type.SOA, Set.of(soa));
        // A nested zone's apex also makes the names between it and its parent's apex exist.
        Name parentApex = parentApex(zonesOnly, apex);
        markExisting(existing, apex, parentApex == null ? apex : parentApex);
      }
      for (Record record : records) {
        SOARecord soa = check(zonesOnly, record);
        index
            .computeIfAbsent(record.getName(), n -> new HashMap<>())
            .computeIfAbsent(record.getType(), t -> new LinkedHashSet<>())
            .add(record);
        markExisting(existing, record.getName(), soa.getName());
      }
      checkCnamesAlone(index);
      return new ZoneSnapshot(
          zonesOnly.soaByApex, freeze(index), Collections.unmodifiableSet(existing));
    }

    private static SOARecord check(ZoneSnapshot zones, Record record) {
      if (record.getDClass() != DClass.IN) {
        throw new IllegalArgumentException("Record is not of class IN: " + record);
      }
      if (record.getType() == Type.SOA) {
        throw new IllegalArgumentException("SOA records come from zone(...): " + record);
      }
      return zones
          .soaFor(record.getName())
          .orElseThrow(() -> new IllegalArgumentException("Record is in no zone: " + record));
    }

    private static Name parentApex(ZoneSnapshot zones, Name apex) {
      if (apex.labels() <= 1) {
        return null;
      }
      return zones.soaFor(new Name(apex, 1)).map(Record::getName).orElse(null);
    }

    /**
     * Marks {@code name} and its ancestors up to {@code apex} as existing. It stops at the first
     * name already marked, whose ancestors are marked too, so building stays linear.
     */
    private static void markExisting(Set<Name> existing, Name name, Name apex) {
      Name current = name;
      while (existing.add(current) && !current.equals(apex) && current.labels() > 1) {
        current = new Name(current, 1);
      }
    }

    private static void checkCnamesAlone(Map<Name, Map<Integer, Set<Record>>> index) {
      for (Map.Entry<Name, Map<Integer, Set<Record>>> entry : index.entrySet()) {
        Set<Record> cnames = entry.getValue().get(Type.CNAME);
        if (cnames != null && (cnames.size() > 1 || entry.getValue().size() > 1)) {
          throw new IllegalArgumentException(
              "A CNAME must be the only record at its name (RFC 1034 3.6.2): " + entry.getKey());
        }
      }
    }

    private static Map<Name, Map<Integer, List<Record>>> freeze(
        Map<Name, Map<Integer, Set<Record>>> index) {
      Map<Name, Map<Integer, List<Record>>> frozen = new HashMap<>(index.size() * 2);
      index.forEach(
          (name, byType) -> {
            Map<Integer, List<Record>> types = new HashMap<>(byType.size() * 2);
            byType.forEach((type, rrs) -> types.put(type, List.copyOf(rrs)));
            frozen.put(name, Collections.unmodifiableMap(types));
          });
      return Collections.unmodifiableMap(frozen);
    }
  }
}
