package dev.kith.mesh.vault;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The SQL of a replica's records, fences and its part in compare-and-set, run by {@link LocalStore}
 * inside its transactions.
 *
 * <p>{@code records} holds each key's newest version: a record merges in only when its version is
 * newer than the one held ({@link #merge}), so replicas that saw the same writes in any order
 * agree.
 *
 * <p>{@code fences} holds, per owner and scope, the highest epoch this replica has seen a fenced
 * write or claim for: a fenced write below it is refused, one above it raises it, in the same
 * transaction as the write, so no write slips between the check and the commit.
 *
 * <p>{@code promises} is the acceptor state of compare-and-set (single-decree Paxos per record, as
 * in CASPaxos): the highest ballot this replica promised for a key. A ballot is a {@link Version},
 * and the value accepted under it is stored as the record with that version, so anti- entropy and
 * read repair, which keep the newest version, agree with what Paxos chose.
 */
final class RecordSql {

  private RecordSql() {}

  /** What a replica answered to a prepare or an accept. */
  record Ballot(boolean ok, Version seen, StoredRecord accepted) {}

  static void createTables(Statement s) throws SQLException {
    s.executeUpdate(
        "CREATE TABLE IF NOT EXISTS fences ("
            + "owner TEXT NOT NULL, scope TEXT NOT NULL, epoch INTEGER NOT NULL, "
            + "PRIMARY KEY (owner, scope)) WITHOUT ROWID");
    s.executeUpdate(
        "CREATE TABLE IF NOT EXISTS promises ("
            + "owner TEXT NOT NULL, key TEXT NOT NULL, epoch INTEGER NOT NULL, "
            + "hlc INTEGER NOT NULL, device TEXT NOT NULL, "
            + "PRIMARY KEY (owner, key)) WITHOUT ROWID");
  }

  /** The highest epoch seen for the scope, 0 when none. */
  static long epoch(Connection db, String owner, String scope) throws SQLException {
    try (PreparedStatement q =
        db.prepareStatement("SELECT epoch FROM fences WHERE owner = ? AND scope = ?")) {
      q.setString(1, owner);
      q.setString(2, scope);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  static Map<String, Long> all(Connection db, String owner) throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    try (PreparedStatement q =
        db.prepareStatement("SELECT scope, epoch FROM fences WHERE owner = ? ORDER BY scope")) {
      q.setString(1, owner);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return out;
  }

  /** Raises the scope's fence to {@code epoch} if it is lower; returns whether it changed. */
  static boolean raise(Connection db, String owner, String scope, long epoch) throws SQLException {
    try (PreparedStatement upsert =
        db.prepareStatement(
            "INSERT INTO fences (owner, scope, epoch) VALUES (?, ?, ?)"
                + " ON CONFLICT (owner, scope) DO UPDATE SET epoch = excluded.epoch"
                + " WHERE excluded.epoch > fences.epoch")) {
      upsert.setString(1, owner);
      upsert.setString(2, scope);
      upsert.setLong(3, epoch);
      return upsert.executeUpdate() > 0;
    }
  }

  /**
   * Refuses {@code fence} when this replica has seen a higher epoch for its scope, and otherwise
   * makes it the highest.
   */
  static void pass(Connection db, String owner, Fence fence) throws SQLException {
    long highest = epoch(db, owner, fence.scope());
    if (highest > fence.epoch()) {
      throw new Vault.Fenced(owner, fence, highest);
    }
    if (highest < fence.epoch()) {
      raise(db, owner, fence.scope(), fence.epoch());
    }
  }

  static Optional<Version> promised(Connection db, String owner, String key) throws SQLException {
    return version(db, "promises", owner, key);
  }

  /** The version a table ({@code records} or {@code promises}) holds for a key, if any. */
  static Optional<Version> version(Connection db, String table, String owner, String key)
      throws SQLException {
    try (PreparedStatement q =
        db.prepareStatement(
            "SELECT epoch, hlc, device FROM " + table + " WHERE owner = ? AND key = ?")) {
      q.setString(1, owner);
      q.setString(2, key);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next()
            ? Optional.of(new Version(rs.getLong(1), rs.getLong(2), rs.getString(3)))
            : Optional.empty();
      }
    }
  }

  /**
   * Phase 1 on this replica: promises {@code ballot} if it is above every ballot promised or
   * accepted for the key, and answers with the accepted record (null when there is none).
   */
  static Ballot prepare(Connection db, String owner, String key, Version ballot)
      throws SQLException {
    Optional<Version> promised = promised(db, owner, key);
    StoredRecord accepted = record(db, owner, key);
    Version seen = newest(promised.orElse(null), accepted == null ? null : accepted.version());
    if (seen != null && !ballot.newerThan(seen)) {
      return new Ballot(false, seen, accepted);
    }
    try (PreparedStatement upsert =
        db.prepareStatement(
            "INSERT INTO promises (owner, key, epoch, hlc, device) VALUES (?, ?, ?, ?, ?)"
                + " ON CONFLICT (owner, key) DO UPDATE SET epoch = excluded.epoch,"
                + " hlc = excluded.hlc, device = excluded.device")) {
      upsert.setString(1, owner);
      upsert.setString(2, key);
      upsert.setLong(3, ballot.epoch());
      upsert.setLong(4, ballot.hlc());
      upsert.setString(5, ballot.device());
      upsert.executeUpdate();
    }
    return new Ballot(true, ballot, accepted);
  }

  /**
   * Phase 2 on this replica: accepts {@code proposal} (its version is its ballot) unless a higher
   * ballot was promised or accepted meanwhile. Accepting the same proposal twice is fine.
   */
  static Ballot accept(Connection db, StoredRecord proposal) throws SQLException {
    Version ballot = proposal.version();
    Optional<Version> promised = promised(db, proposal.owner(), proposal.key());
    Optional<Version> accepted = currentVersion(db, proposal.owner(), proposal.key());
    if (accepted.isPresent() && accepted.get().equals(ballot)) {
      return new Ballot(true, ballot, null);
    }
    boolean promisedHigher = promised.isPresent() && promised.get().newerThan(ballot);
    boolean acceptedHigher = accepted.isPresent() && !ballot.newerThan(accepted.get());
    if (promisedHigher || acceptedHigher) {
      return new Ballot(false, newest(promised.orElse(null), accepted.orElse(null)), null);
    }
    merge(db, proposal);
    return new Ballot(true, ballot, null);
  }

  private static StoredRecord record(Connection db, String owner, String key) throws SQLException {
    try (PreparedStatement q =
        db.prepareStatement(
            "SELECT owner, key, hlc, device, value, epoch FROM records"
                + " WHERE owner = ? AND key = ?")) {
      q.setString(1, owner);
      q.setString(2, key);
      List<StoredRecord> found = readRecords(q);
      return found.isEmpty() ? null : found.get(0);
    }
  }

  private static Version newest(Version a, Version b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.newerThan(b) ? a : b;
  }

  // ---- records

  static boolean merge(Connection db, StoredRecord r) throws SQLException {
    Optional<Version> current = currentVersion(db, r.owner(), r.key());
    // Compared here, not in SQL: SQLite orders device names by UTF-8 bytes and Version by UTF-16.
    if (current.isPresent() && !r.version().newerThan(current.get())) {
      return false;
    }
    try (PreparedStatement upsert =
        db.prepareStatement(
            "INSERT INTO records (owner, key, epoch, hlc, device, value) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (owner, key) DO UPDATE SET epoch = excluded.epoch,"
                + " hlc = excluded.hlc, device = excluded.device, value = excluded.value")) {
      upsert.setString(1, r.owner());
      upsert.setString(2, r.key());
      upsert.setLong(3, r.version().epoch());
      upsert.setLong(4, r.version().hlc());
      upsert.setString(5, r.version().device());
      upsert.setString(6, r.value());
      upsert.executeUpdate();
    }
    return true;
  }

  static Optional<Version> currentVersion(Connection db, String owner, String key)
      throws SQLException {
    return version(db, "records", owner, key);
  }

  static List<StoredRecord> readRecords(PreparedStatement q) throws SQLException {
    List<StoredRecord> records = new ArrayList<>();
    try (ResultSet rs = q.executeQuery()) {
      while (rs.next()) {
        records.add(
            new StoredRecord(
                rs.getString(1),
                rs.getString(2),
                new Version(rs.getLong(6), rs.getLong(3), rs.getString(4)),
                rs.getString(5)));
      }
    }
    return records;
  }
}
