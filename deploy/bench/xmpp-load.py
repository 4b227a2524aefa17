#!/usr/bin/python3
"""XMPP chat load: N clients, each sending one chat message every few seconds to another client.

    xmpp-load.py --targets 127.0.0.1:5222[,HOST:PORT...] --domain example.org
                 --accounts alice:PASSWORD,bob:PASSWORD,carol:PASSWORD
                 [--clients 1000] [--interval 5] [--warmup 20] [--window 60] [--drain 10]
                 [--pids PID,...] [--login-concurrency 20] [--sasl SCRAM-SHA-1|PLAIN]
                 [--no-presence] [--seed 1]
                 [--label NAME] [--out FILE]

Every client is a raw asyncio XMPP client, made to be cheap so that one process drives 1,000 of
them: STARTTLS on the client port (the server's certificate is not checked), SASL SCRAM-SHA-1
(the salted password computed once per account, as clients keep it) or --sasl PLAIN, resource
binding (resource cI for client I), initial presence unless --no-presence; then it reads its
stream and parses it (expat, through ElementTree's pull parser) only as far as telling messages,
presence, IQs and stream errors apart and finding message bodies. It answers IQ gets and sets (a
ping with a result, anything else with service-unavailable).

Client I is an account's resource: account I mod A of the A accounts, on target (I div A) mod T
of the T targets, so every account has resources on every target. It sends to a fixed partner,
perm(I), under another account (a seeded permutation; with one account, any other client), at the
partner's full JID: <message type='chat'> whose body is "kb I SEQ SENT_NS", the wall-clock time in
ns just before the write. Client I's sends are at START + I/N * INTERVAL + K * INTERVAL, so the N
clients' phases are spread evenly: N / INTERVAL messages a second in all.

Phases: log in (at most --login-concurrency handshakes at once), settle (until no presence has
arrived for 3 s: with R resources per account the initial presences are up to R^2 stanzas per
account), an idle reading of the servers' CPU (--idle seconds), then sending: --warmup seconds not
counted, then the --window; sending stops at the window's end, and the run waits up to --drain
seconds for the window's messages to arrive. Counted are the messages sent in the window:
latency = receive time - SENT_NS (same machine, same clock), p50/p99/max over those received;
lost = sent but not received before the drain's end. With --pids, the user + system CPU time of
those processes over the window, from /proc/PID/stat (all threads), and CPU-ms per message (over the
messages sent in the window); also this process's CPU and the whole machine's.

Prints progress on stderr and one JSON object on stdout (and in --out). Exits 1 when a client
could not log in; lost messages and disconnects are reported, not fatal.
"""

import argparse
import asyncio
import base64
import collections
import hashlib
import hmac
import json
import os
import random
import ssl
import sys
import time
import xml.etree.ElementTree as ET

NS_STREAM = "http://etherx.jabber.org/streams"
NS_CLIENT = "jabber:client"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_PING = "urn:xmpp:ping"

MESSAGE = "{%s}message" % NS_CLIENT
PRESENCE = "{%s}presence" % NS_CLIENT
IQ = "{%s}iq" % NS_CLIENT
BODY = "{%s}body" % NS_CLIENT
STREAM_ERROR = "{%s}error" % NS_STREAM

SALTED = {}  # (password, salt, iterations) -> SCRAM's SaltedPassword
QUIET_SECONDS = 3.0
LOGIN_TIMEOUT = 60.0
HZ = os.sysconf("SC_CLK_TCK")


def log(*words):
    print("xmpp-load:", *words, file=sys.stderr, flush=True)


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


class StreamEnded(Exception):
    """The server closed the stream or the connection."""


class Stats:
    """What every client saw, in one place (one event loop: no locks)."""

    def __init__(self):
        self.sent = {}  # (sender, seq) -> sent ns
        self.received = {}  # (sender, seq) -> latency ns
        self.duplicates = 0
        self.foreign = 0  # a body of ours at a client that was not its sender's partner
        self.errors = collections.Counter()  # condition of <message type='error'>
        self.presences = 0
        self.last_presence = 0.0
        self.iqs_answered = 0
        self.stream_errors = collections.Counter()
        self.disconnects = []  # (client, monotonic time, reason)
        self.partner_of = {}  # sender -> the client it sends to


class Client:
    """One XMPP client connection: login, then a reader task and sends."""

    def __init__(self, index, account, password, host, port, domain, stats, presence, mechanism):
        self.index = index
        self.mechanism = mechanism
        self.login_seconds = None
        self.account = account
        self.password = password
        self.host = host
        self.port = port
        self.domain = domain
        self.stats = stats
        self.presence = presence
        self.resource = "c%d" % index
        self.jid = None
        self.partner = None  # the Client this one sends to
        self.reader = None
        self.writer = None
        self.dead = False
        self.closing = False
        self._pending = collections.deque()

    # The stream: one pull parser per stream (a new one after STARTTLS and after SASL).

    def _new_stream(self):
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._root = None
        self.writer.write(
            (
                "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xml:lang='en'"
                " xmlns='jabber:client' xmlns:stream='%s'>" % (self.domain, NS_STREAM)
            ).encode()
        )

    def _feed(self, data):
        """Feeds bytes; completed top-level elements go to the pending queue."""
        self._parser.feed(data)
        for event, el in self._parser.read_events():
            if event == "start":
                self._depth += 1
                if self._depth == 1:
                    self._root = el
            else:
                self._depth -= 1
                if self._depth == 1:
                    self._pending.append(el)
                    self._root.remove(el)
                elif self._depth == 0:
                    self._pending.append(None)  # </stream:stream>

    async def _next(self):
        while not self._pending:
            data = await self.reader.read(65536)
            if not data:
                raise StreamEnded("connection closed")
            self._feed(data)
        el = self._pending.popleft()
        if el is None:
            raise StreamEnded("stream closed by the server")
        if el.tag == STREAM_ERROR:
            raise StreamEnded("stream error: " + describe(el))
        return el

    async def _features(self):
        el = await self._next()
        if el.tag != "{%s}features" % NS_STREAM:
            raise StreamEnded("expected stream features, got " + el.tag)
        return el

    # Login

    async def login(self, tls_context):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self._new_stream()
        features = await self._features()
        if features.find("{%s}starttls" % NS_TLS) is None:
            raise StreamEnded("no STARTTLS offered")
        self.writer.write(("<starttls xmlns='%s'/>" % NS_TLS).encode())
        el = await self._next()
        if el.tag != "{%s}proceed" % NS_TLS:
            raise StreamEnded("STARTTLS refused: " + el.tag)
        await self.writer.start_tls(tls_context, server_hostname=self.domain)

        self._new_stream()
        features = await self._features()
        mechanisms = [m.text for m in features.iter("{%s}mechanism" % NS_SASL)]
        if self.mechanism not in mechanisms:
            raise StreamEnded("%s not offered: %s" % (self.mechanism, mechanisms))
        if self.mechanism == "PLAIN":
            await self._plain()
        else:
            await self._scram_sha1()

        self._new_stream()
        features = await self._features()
        self.writer.write(
            (
                "<iq type='set' id='bind'><bind xmlns='%s'><resource>%s</resource></bind></iq>"
                % (NS_BIND, self.resource)
            ).encode()
        )
        el = await self._answer("bind")
        jid = el.findtext("{%s}bind/{%s}jid" % (NS_BIND, NS_BIND))
        if not jid:
            raise StreamEnded("bind failed: " + describe(el))
        self.jid = jid
        session = features.find("{%s}session" % NS_SESSION)
        if session is not None and session.find("{%s}optional" % NS_SESSION) is None:
            self.writer.write(
                ("<iq type='set' id='session'><session xmlns='%s'/></iq>" % NS_SESSION).encode()
            )
            await self._answer("session")
        if self.presence:
            self.writer.write(b"<presence/>")

    def _sasl(self, name, data=None):
        payload = "=" if data == b"" else ("" if data is None else base64.b64encode(data).decode())
        self.writer.write(
            (
                "<%s xmlns='%s'%s>%s</%s>"
                % (name, NS_SASL, " mechanism='%s'" % self.mechanism if name == "auth" else "",
                   payload, name)
            ).encode()
        )

    async def _plain(self):
        self._sasl("auth", ("\0%s\0%s" % (self.account, self.password)).encode())
        el = await self._next()
        if el.tag != "{%s}success" % NS_SASL:
            raise StreamEnded("SASL failed: " + describe(el))

    async def _scram_sha1(self):
        """SCRAM-SHA-1 (RFC 5802) without channel binding. The salted password is computed once
        per account, salt and iteration count, as clients keep it."""
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = "n=%s,r=%s" % (self.account, nonce)
        self._sasl("auth", ("n,," + first_bare).encode())
        el = await self._next()
        if el.tag != "{%s}challenge" % NS_SASL:
            raise StreamEnded("SASL failed: " + describe(el))
        server_first = base64.b64decode(el.text or "").decode()
        fields = dict(f.split("=", 1) for f in server_first.split(","))
        if not fields["r"].startswith(nonce):
            raise StreamEnded("SCRAM: the server's nonce does not extend ours")
        salt, iterations = base64.b64decode(fields["s"]), int(fields["i"])
        key = (self.password, salt, iterations)
        salted = SALTED.get(key)
        if salted is None:
            salted = SALTED[key] = hashlib.pbkdf2_hmac("sha1", self.password.encode(), salt, iterations)
        client_key = hmac.new(salted, b"Client Key", "sha1").digest()
        stored_key = hashlib.sha1(client_key).digest()
        final_bare = "c=biws,r=%s" % fields["r"]
        auth_message = ("%s,%s,%s" % (first_bare, server_first, final_bare)).encode()
        signature = hmac.new(stored_key, auth_message, "sha1").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self._sasl("response", ("%s,p=%s" % (final_bare, base64.b64encode(proof).decode())).encode())
        server_key = hmac.new(salted, b"Server Key", "sha1").digest()
        expected = "v=" + base64.b64encode(hmac.new(server_key, auth_message, "sha1").digest()).decode()
        el = await self._next()
        if el.tag == "{%s}challenge" % NS_SASL:  # the server's signature in a challenge
            verifier = base64.b64decode(el.text or "").decode()
            self._sasl("response", b"")
            el = await self._next()
        elif el.tag == "{%s}success" % NS_SASL:
            verifier = base64.b64decode(el.text or "").decode() if el.text and el.text != "=" else ""
        else:
            verifier = None
        if el.tag != "{%s}success" % NS_SASL:
            raise StreamEnded("SASL failed: " + describe(el))
        if verifier != expected:
            raise StreamEnded("SCRAM: the server's signature is wrong (%r)" % verifier)

    async def _answer(self, iq_id):
        while True:
            el = await self._next()
            if el.tag == IQ and el.get("id") == iq_id:
                if el.get("type") != "result":
                    raise StreamEnded("IQ %s failed: %s" % (iq_id, describe(el)))
                return el
            self._handle(el)

    # Running

    async def run(self):
        """Reads the stream until it ends; handles every stanza."""
        try:
            while self._pending:
                el = self._pending.popleft()
                if el is None:
                    raise StreamEnded("stream closed by the server")
                self._handle(el)
            while True:
                data = await self.reader.read(65536)
                if not data:
                    raise StreamEnded("connection closed")
                self._feed(data)
                while self._pending:
                    el = self._pending.popleft()
                    if el is None:
                        raise StreamEnded("stream closed by the server")
                    self._handle(el)
        except (StreamEnded, OSError, ET.ParseError) as e:
            if not self.closing:
                self.dead = True
                self.stats.disconnects.append((self.index, time.monotonic(), str(e)))
                log("client %d (%s) lost its stream: %s" % (self.index, self.jid, e))

    def _handle(self, el):
        tag = el.tag
        if tag == MESSAGE:
            now = time.time_ns()
            if el.get("type") == "error":
                self.stats.errors[error_condition(el)] += 1
                return
            body = el.findtext(BODY)
            if body is None or not body.startswith("kb "):
                return
            _, sender, seq, sent = body.split()
            key = (int(sender), int(seq))
            if key in self.stats.received:
                self.stats.duplicates += 1
                return
            if self.stats.partner_of.get(key[0]) != self.index:
                self.stats.foreign += 1
            self.stats.received[key] = now - int(sent)
        elif tag == PRESENCE:
            self.stats.presences += 1
            self.stats.last_presence = time.monotonic()
        elif tag == IQ:
            kind = el.get("type")
            if kind in ("get", "set"):
                self.stats.iqs_answered += 1
                to = " to='%s'" % esc(el.get("from")) if el.get("from") else ""
                iq_id = esc(el.get("id", ""))
                if el.find("{%s}ping" % NS_PING) is not None:
                    self.write("<iq type='result' id='%s'%s/>" % (iq_id, to))
                else:
                    self.write(
                        "<iq type='error' id='%s'%s><error type='cancel'>"
                        "<service-unavailable xmlns='%s'/></error></iq>" % (iq_id, to, NS_STANZAS)
                    )
        elif tag == STREAM_ERROR:
            self.stats.stream_errors[error_condition(el)] += 1
            raise StreamEnded("stream error: " + describe(el))

    def write(self, text):
        if not self.dead and not self.writer.is_closing():
            self.writer.write(text.encode())

    def send_message(self, seq):
        sent = time.time_ns()
        self.write(
            "<message type='chat' to='%s' id='m%d-%d'><body>kb %d %d %d</body></message>"
            % (self.partner.jid, self.index, seq, self.index, seq, sent)
        )
        return sent

    async def close(self):
        self.closing = True
        try:
            if not self.writer.is_closing():
                self.writer.write(b"</stream:stream>")
                self.writer.close()
        except (OSError, RuntimeError):
            pass


def error_condition(el):
    for child in el.iter():
        if child.tag.startswith("{%s}" % NS_STANZAS) or child.tag.startswith(
            "{urn:ietf:params:xml:ns:xmpp-streams}"
        ):
            name = child.tag.split("}", 1)[1]
            if name != "text":
                return name
    return "unknown"


def describe(el):
    text = " ".join(t.strip() for t in el.itertext() if t.strip())
    return "%s %s%s" % (el.tag, error_condition(el), (": " + text) if text else "")


def permutation(n, owner, seed):
    """A fixed partner for each client: a permutation where no client sends to its own account
    (or, with a single account, to itself)."""
    rng = random.Random(seed)
    single = len({owner(i) for i in range(n)}) == 1

    def ok(i, j):
        return i != j if single else owner(i) != owner(j)

    perm = list(range(n))
    rng.shuffle(perm)
    for _ in range(1000):
        bad = [i for i in range(n) if not ok(i, perm[i])]
        if not bad:
            return perm
        for i in bad:
            j = rng.randrange(n)
            if ok(i, perm[j]) and ok(j, perm[i]):
                perm[i], perm[j] = perm[j], perm[i]
    raise SystemExit("xmpp-load: found no permutation without same-account partners")


# CPU readings from /proc


def proc_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime: all threads of the process


def proc_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    return None


def machine_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])


class CpuReading:
    def __init__(self, pids):
        self.wall = time.monotonic()
        self.servers = {pid: proc_ticks(pid) for pid in pids}
        t = os.times()
        self.own = t.user + t.system
        self.busy, self.total = machine_ticks()


def cpu_between(a, b):
    seconds = b.wall - a.wall
    servers = {pid: (b.servers[pid] - a.servers[pid]) / HZ for pid in a.servers}
    return {
        "seconds": round(seconds, 3),
        "server_cpu_seconds": round(sum(servers.values()), 3),
        "server_cpu_seconds_by_pid": {str(p): round(s, 3) for p, s in servers.items()},
        "server_cores": round(sum(servers.values()) / seconds, 3),
        "generator_cores": round((b.own - a.own) / seconds, 3),
        "machine_busy_cores": round((b.busy - a.busy) / HZ / seconds, 3),
    }


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    rank = max(1, int(-(-p * len(sorted_values) // 100)))  # nearest rank
    return sorted_values[rank - 1]


async def main(args):
    targets = []
    for t in args.targets.split(","):
        host, port = t.rsplit(":", 1)
        targets.append((host, int(port)))
    accounts = []
    for a in args.accounts.split(","):
        name, password = a.split(":", 1)
        accounts.append((name, password))
    pids = [int(p) for p in args.pids.split(",")] if args.pids else []
    n = args.clients
    loop = asyncio.get_running_loop()
    stats = Stats()

    def account_of(i):
        return i % len(accounts)

    clients = []
    for i in range(n):
        name, password = accounts[account_of(i)]
        host, port = targets[(i // len(accounts)) % len(targets)]
        clients.append(
            Client(i, name, password, host, port, args.domain, stats, args.presence, args.sasl)
        )
    perm = permutation(n, account_of, args.seed)
    for i, c in enumerate(clients):
        c.partner = clients[perm[i]]
        stats.partner_of[i] = perm[i]

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE

    # Log in.
    log(
        "%s: %d clients of %d accounts on %d targets; logging in, %d at a time"
        % (args.label, n, len(accounts), len(targets), args.login_concurrency)
    )
    started = time.monotonic()
    gate = asyncio.Semaphore(args.login_concurrency)
    failures = []
    readers = []

    async def login(c):
        async with gate:
            try:
                began = time.monotonic()
                await asyncio.wait_for(c.login(tls), LOGIN_TIMEOUT)
                c.login_seconds = time.monotonic() - began
            except (StreamEnded, OSError, ET.ParseError, asyncio.TimeoutError, ssl.SSLError) as e:
                c.dead = True
                failures.append((c.index, repr(e)))
                return
            readers.append(asyncio.create_task(c.run()))

    await asyncio.gather(*(login(c) for c in clients))
    login_seconds = time.monotonic() - started
    log("%s: %d logged in after %.1f s, %d failed" % (args.label, n - len(failures), login_seconds, len(failures)))
    if failures:
        for index, error in failures[:10]:
            log("  client %d (%s@%s/c%d): %s" % (index, clients[index].account, args.domain, index, error))
        result = {"label": args.label, "clients": n, "login_failures": len(failures),
                  "login_errors": [e for _, e in failures[:20]]}
        emit(args, result)
        for c in clients:
            if c.writer is not None:
                await c.close()
        return 1

    login_each = sorted(c.login_seconds for c in clients)

    # Settle: the initial presences.
    settle_started = time.monotonic()
    while time.monotonic() - settle_started < args.settle_max:
        last = max(stats.last_presence, settle_started)
        if time.monotonic() - last >= QUIET_SECONDS:
            break
        await asyncio.sleep(0.25)
    settle_seconds = time.monotonic() - settle_started
    log("%s: settled after %.1f s (%d presence stanzas received)" % (args.label, settle_seconds, stats.presences))

    # The servers at rest, with every client connected.
    idle = None
    if pids and args.idle > 0:
        a = CpuReading(pids)
        await asyncio.sleep(args.idle)
        idle = cpu_between(a, CpuReading(pids))
        log("%s: at rest, the servers used %.3f cores" % (args.label, idle["server_cores"]))

    # Send.
    t0 = loop.time() + 0.5
    t1 = t0 + args.warmup
    t2 = t1 + args.window
    wall0 = time.time_ns() + int((t0 - loop.time()) * 1e9)
    window_start_ns = wall0 + int(args.warmup * 1e9)
    window_end_ns = window_start_ns + int(args.window * 1e9)
    readings = {}
    loop.call_at(t1, lambda: readings.__setitem__("start", CpuReading(pids)))
    loop.call_at(t2, lambda: readings.__setitem__("end", CpuReading(pids)))

    async def sender(c):
        seq = 0
        phase = c.index * args.interval / n
        while True:
            at = t0 + phase + seq * args.interval
            if at >= t2:
                return
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if c.dead:
                return
            stats.sent[(c.index, seq)] = c.send_message(seq)
            seq += 1

    log(
        "%s: sending %.0f messages/s: %g s warm-up, then the %g s window"
        % (args.label, n / args.interval, args.warmup, args.window)
    )
    await asyncio.gather(*(sender(c) for c in clients))
    while loop.time() < t2 + 0.05:
        await asyncio.sleep(0.05)

    in_window = [k for k, s in stats.sent.items() if window_start_ns <= s < window_end_ns]
    drain_deadline = time.monotonic() + args.drain
    while time.monotonic() < drain_deadline:
        if all(k in stats.received for k in in_window):
            break
        await asyncio.sleep(0.1)
    drained = time.monotonic() - (drain_deadline - args.drain)

    latencies = sorted(stats.received[k] for k in in_window if k in stats.received)
    lost = [k for k in in_window if k not in stats.received]
    cpu = cpu_between(readings["start"], readings["end"]) if "end" in readings else None
    ms = lambda ns: None if ns is None else round(ns / 1e6, 2)

    # Where the lost ones went: sender's account and target, receiver's account and target.
    lost_by_route = collections.Counter()
    for sender, seq in lost:
        s = clients[sender]
        r = s.partner
        lost_by_route["%s@%s:%d -> %s@%s:%d" % (s.account, s.host, s.port, r.account, r.host, r.port)] += 1

    result = {
        "label": args.label,
        "clients": n,
        "accounts": [a for a, _ in accounts],
        "targets": ["%s:%d" % t for t in targets],
        "interval_seconds": args.interval,
        "warmup_seconds": args.warmup,
        "window_seconds": args.window,
        "presence": args.presence,
        "sasl": args.sasl,
        "login_seconds": round(login_seconds, 1),
        "login_ms_each": {
            "p50": round(percentile(login_each, 50) * 1000),
            "p99": round(percentile(login_each, 99) * 1000),
            "max": round(login_each[-1] * 1000),
        },
        "settle_seconds": round(settle_seconds, 1),
        "presences_received": stats.presences,
        "sent_total": len(stats.sent),
        "sent": len(in_window),
        "received": len(latencies),
        "lost": len(lost),
        "lost_by_route": dict(lost_by_route.most_common(12)),
        "lost_examples": ["c%d #%d -> c%d" % (s, q, clients[s].partner.index) for s, q in lost[:10]],
        "drain_seconds": round(drained, 1),
        "duplicates": stats.duplicates,
        "misrouted": stats.foreign,
        "error_messages": dict(stats.errors),
        "stream_errors": dict(stats.stream_errors),
        "disconnects": len(stats.disconnects),
        "disconnect_examples": [d[2] for d in stats.disconnects[:5]],
        "iqs_answered": stats.iqs_answered,
        "latency_ms": {
            "p50": ms(percentile(latencies, 50)),
            "p90": ms(percentile(latencies, 90)),
            "p99": ms(percentile(latencies, 99)),
            "max": ms(latencies[-1] if latencies else None),
            "mean": ms(sum(latencies) / len(latencies)) if latencies else None,
        },
        "cpu": cpu,
        "idle_cpu": idle,
        "cpu_ms_per_message": round(cpu["server_cpu_seconds"] * 1000 / len(in_window), 3)
        if cpu and in_window and pids
        else None,
        "cpu_ms_per_message_above_idle": round(
            (cpu["server_cpu_seconds"] - idle["server_cores"] * cpu["seconds"]) * 1000 / len(in_window), 3
        )
        if cpu and idle and in_window and pids
        else None,
        "server_rss_mb": {str(p): proc_rss_mb(p) for p in pids},
    }
    emit(args, result)
    for c in clients:
        await c.close()
    for r in readers:
        r.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return 0


def emit(args, result):
    text = json.dumps(result, sort_keys=False)
    print(text, flush=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", required=True, help="HOST:PORT[,HOST:PORT...] of STARTTLS client ports")
    p.add_argument("--domain", required=True)
    p.add_argument("--accounts", required=True, help="NAME:PASSWORD[,NAME:PASSWORD...]")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--interval", type=float, default=5.0, help="seconds between one client's messages")
    p.add_argument("--warmup", type=float, default=20.0, help="seconds of sending before the window")
    p.add_argument("--window", type=float, default=60.0, help="measured seconds")
    p.add_argument("--drain", type=float, default=10.0, help="seconds to wait for the window's messages")
    p.add_argument("--idle", type=float, default=5.0, help="seconds of the servers' CPU read at rest")
    p.add_argument("--settle-max", type=float, default=300.0, help="longest wait for the presences")
    p.add_argument("--pids", default="", help="PID,... of the server processes")
    p.add_argument("--login-concurrency", type=int, default=20)
    p.add_argument("--sasl", choices=("SCRAM-SHA-1", "PLAIN"), default="SCRAM-SHA-1")
    p.add_argument("--no-presence", dest="presence", action="store_false")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--label", default="xmpp")
    p.add_argument("--out", default="")
    args = p.parse_args()
    if args.clients < 2 or args.interval <= 0 or args.window <= 0 or args.warmup < 0:
        p.error("need at least 2 clients, and a positive interval and window")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
