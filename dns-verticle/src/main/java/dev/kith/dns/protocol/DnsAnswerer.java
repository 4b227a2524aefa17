package dev.kith.dns.protocol;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Answers one DNS query from a {@link ZoneSnapshot}, bytes in and bytes out, with no I/O, so the
 * whole protocol is testable without sockets and the network code only moves bytes. It is an
 * authoritative-only server: it never recurses, refuses names outside its zones (so it cannot be
 * used as an open resolver or reflector), refuses zone transfers, and answers ANY queries with the
 * minimal RFC 8482 HINFO. It speaks EDNS(0) version 0 and truncates UDP replies that do not fit.
 *
 * <p>It never throws: a packet that must be ignored (no header, or a response rather than a query)
 * yields a {@link Response} with no wire bytes, and an internal failure yields SERVFAIL. Instances
 * hold no state and are safe to share between threads.
 */
public final class DnsAnswerer {

  /** The UDP payload size we advertise and accept with EDNS (the DNS flag day 2020 value). */
  public static final int EDNS_PAYLOAD_BYTES = 1232;

  /** The largest UDP reply to a client without EDNS (RFC 1035). */
  static final int CLASSIC_UDP_BYTES = 512;

  /** The largest reply over TCP: the length prefix is 16 bits. */
  static final int TCP_MAX_BYTES = 65_535;

  static final int MAX_CNAME_HOPS = 8;

  /** The {@link Response#qtype} when the query has no single question. */
  public static final String NO_QTYPE = "NONE";

  /**
   * What happened to a query, so the caller can count answers by kind without parsing the reply.
   * Most values are the reply's RCODE; NODATA, TRUNCATED and DROPPED tell apart what it does not.
   */
  public enum Outcome {
    /** Records in the answer section. */
    NOERROR,
    /** The name exists but has no records of the type: NOERROR with an empty answer. */
    NODATA,
    NXDOMAIN,
    /** Outside our zones, a zone transfer, or a class other than IN. */
    REFUSED,
    FORMERR,
    /** An opcode other than QUERY. */
    NOTIMP,
    SERVFAIL,
    /** An EDNS version other than 0. */
    BADVERS,
    /** The reply did not fit, or the rate limiter slipped it: TC=1 and no records. */
    TRUNCATED,
    /** Not answered at all: no header, or a response rather than a query. */
    DROPPED
  }

  /**
   * A reply and what it was, for metrics.
   *
   * @param wire the reply's bytes, or {@code null} when the packet must be dropped silently
   * @param outcome what happened
   * @param qtype the question's type mnemonic ("A", "MX"), "OTHER" for types dnsjava does not name
   *     (so metric labels stay few), or {@link #NO_QTYPE}
   */
  public record Response(byte[] wire, Outcome outcome, String qtype) {
    static final Response DROP = new Response(null, Outcome.DROPPED, NO_QTYPE);
  }

  /**
   * Answers {@code query}.
   *
   * @param query the query's bytes; only the first {@code queryLength} are read
   * @param overTcp whether the reply goes over TCP (up to 64 KiB) rather than UDP (512 bytes, or up
   *     to {@link #EDNS_PAYLOAD_BYTES} with EDNS)
   * @param zones the zones to answer from
   */
  public Response answer(byte[] query, int queryLength, boolean overTcp, ZoneSnapshot zones) {
    byte[] bytes = prefix(query, queryLength);
    Header header = parseHeader(bytes);
    if (header == null || header.getFlag(Flags.QR)) {
      return Response.DROP;
    }
    try {
      return answerQuery(header, bytes, overTcp, zones);
    } catch (RuntimeException e) {
      return bare(header, bytes, Rcode.SERVFAIL, Outcome.SERVFAIL);
    }
  }

  /**
   * The reply a rate-limited client gets instead of its answer ("slip"): TC=1, the question, and no
   * records, so that a real client retries over TCP while a spoofed victim gets nothing bigger than
   * the query. A packet {@link #answer} would drop, or cannot parse, is dropped here too.
   */
  public Response truncated(byte[] query, int queryLength) {
    byte[] bytes = prefix(query, queryLength);
    Header header = parseHeader(bytes);
    if (header == null || header.getFlag(Flags.QR)) {
      return Response.DROP;
    }
    try {
      Message request = parseMessage(bytes);
      if (request == null) {
        return Response.DROP;
      }
      Message reply = replyTo(header, request);
      if (request.getOPT() != null) {
        reply.addRecord(ourOpt(0), Section.ADDITIONAL);
      }
      reply.getHeader().setFlag(Flags.TC);
      return new Response(reply.toWire(), Outcome.TRUNCATED, qtypeOf(reply.getQuestion()));
    } catch (RuntimeException e) {
      return Response.DROP;
    }
  }

  private Response answerQuery(Header header, byte[] bytes, boolean overTcp, ZoneSnapshot zones) {
    Message request = parseMessage(bytes);
    if (request == null || countOpt(request) > 1) {
      return bare(header, bytes, Rcode.FORMERR, Outcome.FORMERR);
    }
    Message reply = replyTo(header, request);
    OPTRecord opt = request.getOPT();
    boolean badVersion = opt != null && opt.getVersion() > 0;
    if (opt != null) {
      reply.addRecord(ourOpt(badVersion ? Rcode.BADVERS >> 4 : 0), Section.ADDITIONAL);
    }
    Outcome outcome = badVersion ? Outcome.BADVERS : decide(request, zones, reply);
    return render(reply, outcome, sizeLimit(opt, overTcp));
  }

  /** The checks that refuse or reject a query, in order, then the lookup. */
  private Outcome decide(Message request, ZoneSnapshot zones, Message reply) {
    if (request.getHeader().getOpcode() != Opcode.QUERY) {
      return fail(reply, Rcode.NOTIMP, Outcome.NOTIMP);
    }
    Record question = reply.getQuestion();
    if (question == null) {
      return fail(reply, Rcode.FORMERR, Outcome.FORMERR);
    }
    int type = question.getType();
    if (question.getDClass() != DClass.IN || type == Type.AXFR || type == Type.IXFR) {
      return fail(reply, Rcode.REFUSED, Outcome.REFUSED);
    }
    Optional<SOARecord> zone = zones.soaFor(question.getName());
    if (zone.isEmpty()) {
      return fail(reply, Rcode.REFUSED, Outcome.REFUSED);
    }
    reply.getHeader().setFlag(Flags.AA);
    if (type == Type.ANY) {
      return answerAny(question.getName(), zone.get(), zones, reply);
    }
    return resolve(question.getName(), type, zones, reply);
  }

  /**
   * Looks {@code qname} up, following CNAMEs inside the snapshot. The chain stops at {@link
   * #MAX_CNAME_HOPS}, at a loop, or at a target outside our zones, which the client resolves
   * itself; a missing in-zone target makes the answer NXDOMAIN (RFC 6604).
   */
  private Outcome resolve(Name qname, int type, ZoneSnapshot zones, Message reply) {
    Name name = qname;
    Set<Name> visited = new HashSet<>();
    for (int hop = 0; ; hop++) {
      List<Record> records = zones.records(name, type);
      if (!records.isEmpty()) {
        records.forEach(r -> reply.addRecord(r, Section.ANSWER));
        addGlue(records, zones, reply);
        return Outcome.NOERROR;
      }
      List<Record> cnames = type == Type.CNAME ? List.of() : zones.records(name, Type.CNAME);
      if (cnames.isEmpty()) {
        return negative(name, zones, reply);
      }
      CNAMERecord cname = (CNAMERecord) cnames.get(0);
      reply.addRecord(cname, Section.ANSWER);
      visited.add(name);
      Name target = cname.getTarget();
      if (hop + 1 >= MAX_CNAME_HOPS || visited.contains(target) || zones.soaFor(target).isEmpty()) {
        return Outcome.NOERROR;
      }
      name = target;
    }
  }

  /**
   * RFC 8482: rather than every record at the name, which makes ANY a good amplifier, one
   * synthesized HINFO that says so.
   */
  private Outcome answerAny(Name qname, SOARecord soa, ZoneSnapshot zones, Message reply) {
    if (!zones.hasRecords(qname)) {
      return negative(qname, zones, reply);
    }
    reply.addRecord(
        new HINFORecord(qname, DClass.IN, soa.getMinimum(), "RFC8482", ""), Section.ANSWER);
    return Outcome.NOERROR;
  }

  /** NODATA or NXDOMAIN, with the SOA that tells resolvers how long to cache it (RFC 2308). */
  private Outcome negative(Name name, ZoneSnapshot zones, Message reply) {
    SOARecord soa = zones.soaFor(name).orElseThrow();
    reply.addRecord(negativeSoa(soa), Section.AUTHORITY);
    if (zones.exists(name)) {
      return Outcome.NODATA;
    }
    return fail(reply, Rcode.NXDOMAIN, Outcome.NXDOMAIN);
  }

  private static SOARecord negativeSoa(SOARecord soa) {
    return new SOARecord(
        soa.getName(),
        DClass.IN,
        Math.min(soa.getTTL(), soa.getMinimum()),
        soa.getHost(),
        soa.getAdmin(),
        soa.getSerial(),
        soa.getRefresh(),
        soa.getRetry(),
        soa.getExpire(),
        soa.getMinimum());
  }

  /** Addresses of the MX, SRV and NS targets we know, so the client needs no second query. */
  private static void addGlue(List<Record> answers, ZoneSnapshot zones, Message reply) {
    for (Record answer : answers) {
      int type = answer.getType();
      if (type != Type.MX && type != Type.SRV && type != Type.NS) {
        continue;
      }
      Name target = answer.getAdditionalName();
      for (int addressType : new int[] {Type.A, Type.AAAA}) {
        for (Record address : zones.records(target, addressType)) {
          if (!reply.findRecord(address, Section.ADDITIONAL)) {
            reply.addRecord(address, Section.ADDITIONAL);
          }
        }
      }
    }
  }

  /**
   * The reply's bytes, cut to fit {@code limit}: first without the optional additional section,
   * then as an empty TC=1 reply that keeps the question and OPT.
   */
  private static Response render(Message reply, Outcome outcome, int limit) {
    String qtype = qtypeOf(reply.getQuestion());
    byte[] wire = reply.toWire();
    if (wire.length <= limit) {
      return new Response(wire, outcome, qtype);
    }
    keepOnlyOpt(reply);
    wire = reply.toWire();
    if (wire.length <= limit) {
      return new Response(wire, outcome, qtype);
    }
    reply.removeAllRecords(Section.ANSWER);
    reply.removeAllRecords(Section.AUTHORITY);
    reply.getHeader().setFlag(Flags.TC);
    return new Response(reply.toWire(), Outcome.TRUNCATED, qtype);
  }

  private static void keepOnlyOpt(Message reply) {
    OPTRecord opt = reply.getOPT();
    reply.removeAllRecords(Section.ADDITIONAL);
    if (opt != null) {
      reply.addRecord(opt, Section.ADDITIONAL);
    }
  }

  /**
   * A reply with the header's ID and flags and, when it can be read, the question, for queries
   * whose body dnsjava could not parse (FORMERR) or that failed inside (SERVFAIL).
   */
  private static Response bare(Header header, byte[] bytes, int rcode, Outcome outcome) {
    try {
      Message reply = replyTo(header, null);
      Record question = header.getCount(Section.QUESTION) == 1 ? readQuestion(bytes) : null;
      if (question != null) {
        reply.addRecord(question, Section.QUESTION);
      }
      reply.getHeader().setRcode(rcode);
      return new Response(reply.toWire(), outcome, qtypeOf(question));
    } catch (RuntimeException e) {
      return Response.DROP;
    }
  }

  /** An empty reply that echoes the ID, opcode, RD, CD and, when there is one, the question. */
  private static Message replyTo(Header query, Message request) {
    Message reply = new Message(query.getID());
    Header header = reply.getHeader();
    header.setFlag(Flags.QR);
    header.setOpcode(query.getOpcode());
    if (query.getFlag(Flags.RD)) {
      header.setFlag(Flags.RD);
    }
    if (query.getFlag(Flags.CD)) {
      header.setFlag(Flags.CD);
    }
    if (request != null && request.getSection(Section.QUESTION).size() == 1) {
      reply.addRecord(request.getQuestion(), Section.QUESTION);
    }
    return reply;
  }

  private static Outcome fail(Message reply, int rcode, Outcome outcome) {
    reply.getHeader().setRcode(rcode);
    return outcome;
  }

  /** Our OPT: version 0, our payload size, no DO bit, no options; {@code xrcode} is rcode >> 4. */
  private static OPTRecord ourOpt(int xrcode) {
    return new OPTRecord(EDNS_PAYLOAD_BYTES, xrcode, 0);
  }

  private static int sizeLimit(OPTRecord opt, boolean overTcp) {
    if (overTcp) {
      return TCP_MAX_BYTES;
    }
    if (opt == null) {
      return CLASSIC_UDP_BYTES;
    }
    return Math.max(CLASSIC_UDP_BYTES, Math.min(opt.getPayloadSize(), EDNS_PAYLOAD_BYTES));
  }

  private static long countOpt(Message request) {
    return request.getSection(Section.ADDITIONAL).stream()
        .filter(r -> r.getType() == Type.OPT)
        .count();
  }

  private static String qtypeOf(Record question) {
    if (question == null) {
      return NO_QTYPE;
    }
    String name = Type.string(question.getType());
    // dnsjava spells types it does not know "TYPE1234"; one label for all keeps metrics small.
    return name.startsWith("TYPE") ? "OTHER" : name;
  }

  private static byte[] prefix(byte[] query, int length) {
    if (query == null || length < 0 || length > query.length) {
      return new byte[0];
    }
    return length == query.length ? query : Arrays.copyOf(query, length);
  }

  private static Header parseHeader(byte[] bytes) {
    if (bytes.length < Header.LENGTH) {
      return null;
    }
    try {
      return new Header(bytes);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Message parseMessage(byte[] bytes) {
    try {
      return new Message(bytes);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The first question read by hand, for replies to messages dnsjava rejects as a whole. */
  private static Record readQuestion(byte[] bytes) {
    try {
      DNSInput in = new DNSInput(bytes);
      in.jump(Header.LENGTH);
      Name name = new Name(in);
      int type = in.readU16();
      int dclass = in.readU16();
      return Record.newRecord(name, type, dclass);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
