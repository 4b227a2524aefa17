#!/usr/bin/python3
"""The reference XMPP scenario, run with Debian's slixmpp against any XMPP server.

Two accounts, two resources each (alice/a1, alice/a2, bob/b1, bob/b2), all on the server's
c2s port with STARTTLS (or direct TLS) and SASL, do what two people with a phone and a laptop
each do: build a mutual roster subscription, go online with different priorities, chat with
carbons on, read the archive back (MAM with RSM paging), and survive a dropped connection with
stream management resumption. Along the way it checks service discovery, ping, vCard and the
block list.

Usage: scenario.py --host 127.0.0.1 --port N --domain example.test --alice alice:PASSWORD
                   --bob bob:PASSWORD [--tls starttls|direct] --insecure [--verbose]

It prints one JSON object on stdout: "ok", "failures" (one line each), "steps" (each step's name
to true or false) and, under a step's name, what that step saw (for example "mam": {"pages": 3,
"count": 15, "ids_match": true}). It exits 1 when any step failed, with one line per failure on
stderr. Every wait has a deadline (--wait seconds) and all steps together one more (--deadline),
so it never hangs; a failed step does not stop the later ones.

The same script runs against a private Prosody (the oracle) and against Kith, so it states only
what the XEPs and RFC 6121 require, and records the choices they leave to the server (which
resource a message to the bare JID reaches directly) instead of asserting them.
"""

import argparse
import asyncio
import json
import logging
import socket
import ssl
import struct
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS_CLIENT = "jabber:client"
NS_STREAM = "http://etherx.jabber.org/streams"
NS_ROSTER = "jabber:iq:roster"
NS_ROSTERVER = "urn:xmpp:features:rosterver"
NS_CARBONS = "urn:xmpp:carbons:2"
NS_FORWARD = "urn:xmpp:forward:0"
NS_MAM = "urn:xmpp:mam:2"
NS_SID = "urn:xmpp:sid:0"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_PING = "urn:xmpp:ping"
NS_VCARD = "vcard-temp"
NS_BLOCKING = "urn:xmpp:blocking"
NS_SM = "urn:xmpp:sm:3"

# What service discovery (server and account) must list, and the stream feature SM needs.
REQUIRED_FEATURES = [NS_CARBONS, NS_MAM, NS_PING, NS_VCARD, NS_BLOCKING]
REQUIRED_STREAM_FEATURES = [NS_SM]

PRIORITIES = {"a1": 10, "a2": 5, "b1": 8, "b2": 3}
TO_ALICE = 10  # b1 -> alice (bare JID)
TO_BOB = 5  # a1 -> bob/b1 (full JID)
PAGE = 5  # MAM page size: the archive holds 15 of this run, so at least 3 pages
WHILE_AWAY = 3  # b1 -> alice/a2 while a2's connection is down

WAIT = 20.0


class Failure(Exception):
    """A check that did not hold; its message says what was expected and what was seen."""


def q(ns, name):
    return "{%s}%s" % (ns, name)


class Client(slixmpp.ClientXMPP):
    """One resource: records every message, presence and roster push it receives."""

    def __init__(self, name, jid, password, args, stream_management=False):
        super().__init__(jid, password)
        self.name = name
        self.args = args
        self.auto_authorize = None  # the scenario answers subscription requests itself
        self.auto_subscribe = False
        self.whitespace_keepalive = False
        self.register_plugin("xep_0030")
        if stream_management:
            self.register_plugin("xep_0198")
        if args.insecure:
            self.ssl_context.check_hostname = False
            self.ssl_context.verify_mode = ssl.CERT_NONE

        self.inbox = []  # messages with a body, in arrival order
        self.stanza_errors = []
        self.presences = {}  # full JID -> latest presence seen from it
        self.subscription_requests = []  # (from, type) of subscription presences
        self.roster_pushes = []
        self.stream_features = set()
        self.mam_results = {}  # queryid -> [result]

        self.started = None
        self.resumed = None
        self.sm_failed = False

        # Roster pushes are recorded and answered here, not by slixmpp's roster layer.
        self.remove_handler("Roster Update")
        self.register_handler(
            Callback(
                "Scenario roster push",
                MatchXPath(q(NS_CLIENT, "iq") + "/" + q(NS_ROSTER, "query")),
                self._on_roster_iq,
            )
        )
        self.register_handler(
            Callback("Scenario message", MatchXPath(q(NS_CLIENT, "message")), self._on_message)
        )
        self.register_handler(
            Callback(
                "Scenario presence", MatchXPath(q(NS_CLIENT, "presence")), self._on_presence
            )
        )
        self.register_handler(
            Callback(
                "Scenario features", MatchXPath(q(NS_STREAM, "features")), self._on_features
            )
        )
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("session_resumed", self._on_session_resumed)
        self.add_event_handler("sm_failed", self._on_sm_failed)
        self.add_event_handler("failed_all_auth", self._on_failed_auth)
        self.add_event_handler("connection_failed", self._on_connection_failed)
        self.add_event_handler("stream_error", self._on_stream_error)

    # --- connection ---

    def start(self):
        loop = asyncio.get_running_loop()
        self.started = loop.create_future()
        self.resumed = loop.create_future()
        direct = self.args.tls == "direct"
        self.connect(
            (self.args.host, self.args.port),
            use_ssl=direct,
            force_starttls=not direct,
            disable_starttls=direct,
        )

    def _settle(self, future, value=None, error=None):
        if future is not None and not future.done():
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(Failure(error))

    def _on_session_start(self, _event):
        self._settle(self.started, True)
        self._settle(self.resumed, False)  # a new session instead of a resumed one

    def _on_session_resumed(self, _event):
        self._settle(self.resumed, True)

    def _on_sm_failed(self, _event):
        self.sm_failed = True

    def _on_failed_auth(self, _event):
        error = "%s: SASL authentication failed" % self.name
        self._settle(self.started, error=error)
        self._settle(self.resumed, error=error)

    def _on_connection_failed(self, event):
        error = "%s: connection failed: %s" % (self.name, event)
        self._settle(self.started, error=error)
        self._settle(self.resumed, error=error)

    def _on_stream_error(self, event):
        error = "%s: stream error: %s" % (self.name, event)
        self._settle(self.started, error=error)
        self._settle(self.resumed, error=error)

    def sasl_mechanism(self):
        mech = self["feature_mechanisms"].mech
        return mech.name if mech is not None else None

    def drop_connection(self):
        """Cuts the TCP connection without closing the stream: a reset, as a phone leaving Wi-Fi."""
        transport = self.transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    # --- stanzas in ---

    def _on_features(self, features):
        for child in features.xml:
            self.stream_features.add(child.tag[1:].partition("}")[0])

    def _on_roster_iq(self, iq):
        x = iq.xml
        query = x.find(q(NS_ROSTER, "query"))
        if x.get("type") != "set" or query is None:
            return
        sender = x.get("from")
        if sender and sender not in (self.boundjid.bare, self.boundjid.full):
            self.roster_pushes.append({"spoofed_from": sender})
            return
        for item in query.findall(q(NS_ROSTER, "item")):
            self.roster_pushes.append(
                {
                    "jid": item.get("jid"),
                    "subscription": item.get("subscription", "none"),
                    "ask": item.get("ask"),
                    "name": item.get("name"),
                    "ver": query.get("ver"),
                }
            )
        reply = self.Iq()
        reply["type"] = "result"
        reply["id"] = x.get("id")
        if sender:
            reply["to"] = sender
        reply.send()

    def _on_message(self, msg):
        x = msg.xml
        if x.get("type") == "error":
            self.stanza_errors.append(ET.tostring(x, encoding="unicode"))
            return
        result = x.find(q(NS_MAM, "result"))
        if result is not None:
            forwarded = result.find(q(NS_FORWARD, "forwarded"))
            inner = forwarded.find(q(NS_CLIENT, "message")) if forwarded is not None else None
            self.mam_results.setdefault(result.get("queryid"), []).append(
                {
                    "id": result.get("id"),
                    "from": x.get("from"),
                    "body": inner.findtext(q(NS_CLIENT, "body")) if inner is not None else None,
                    "msg_from": inner.get("from") if inner is not None else None,
                    "msg_to": inner.get("to") if inner is not None else None,
                    "origin_id": origin_id(inner) if inner is not None else None,
                }
            )
            return
        via, inner = "direct", x
        for kind in ("received", "sent"):
            carbon = x.find(q(NS_CARBONS, kind))
            if carbon is not None:
                via = kind
                forwarded = carbon.find(q(NS_FORWARD, "forwarded"))
                inner = forwarded.find(q(NS_CLIENT, "message")) if forwarded is not None else None
                sender = x.get("from")
                if sender and sender != self.boundjid.bare:
                    via = "spoofed-" + kind  # XEP-0280 section 11: not a carbon at all
                break
        if inner is None:
            return
        body = inner.findtext(q(NS_CLIENT, "body"))
        if body is None:
            return
        ids = {}
        for sid in inner.findall(q(NS_SID, "stanza-id")):
            ids[sid.get("by")] = sid.get("id")
        self.inbox.append(
            {
                "via": via,
                "body": body,
                "from": inner.get("from"),
                "to": inner.get("to"),
                "type": inner.get("type"),
                "stanza_id": ids.get(self.boundjid.bare),
                "origin_id": origin_id(inner),
            }
        )

    def _on_presence(self, presence):
        x = presence.xml
        kind = x.get("type", "available")
        sender = x.get("from", "")
        if kind in ("subscribe", "subscribed", "unsubscribe", "unsubscribed"):
            self.subscription_requests.append((sender, kind))
            return
        if kind in ("available", "unavailable"):
            priority = x.findtext(q(NS_CLIENT, "priority"))
            self.presences[sender] = {
                "type": kind,
                "priority": int(priority) if priority is not None else 0,
            }

    # --- stanzas out ---

    async def iq(self, kind, payload, to=None):
        iq = self.Iq()
        iq["type"] = kind
        if to is not None:
            iq["to"] = to
        if payload is not None:
            iq.xml.append(ET.fromstring(payload) if isinstance(payload, str) else payload)
        try:
            return (await iq.send(timeout=WAIT)).xml
        except IqError as e:
            raise Failure(
                "%s: %s iq %s answered with an error: %s"
                % (self.name, kind, payload, ET.tostring(e.iq.xml, encoding="unicode"))
            )
        except IqTimeout:
            raise Failure("%s: no answer to %s iq %s within %ss" % (self.name, kind, payload, WAIT))

    def chat(self, to, body, mtype="chat"):
        msg = self.make_message(mto=to, mbody=body, mtype=mtype)
        msg["id"] = uuid.uuid4().hex
        oid = ET.SubElement(msg.xml, q(NS_SID, "origin-id"))
        oid.set("id", msg["id"])
        msg.send()
        return msg["id"]

    def presence(self, to=None, kind=None, priority=None):
        pres = self.Presence()
        if to is not None:
            pres["to"] = to
        if kind is not None:
            pres["type"] = kind
        if priority is not None:
            pres["priority"] = priority
        pres.send()


def origin_id(message):
    oid = message.find(q(NS_SID, "origin-id"))
    return oid.get("id") if oid is not None else None


async def until(what, condition, state=None):
    """Polls the condition until it holds or the deadline passes (then fails, saying what)."""
    deadline = time.monotonic() + WAIT
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            seen = "" if state is None else "; saw %s" % json.dumps(state(), default=str)
            raise Failure("%s did not happen within %ss%s" % (what, WAIT, seen))
        await asyncio.sleep(0.05)


class Scenario:
    def __init__(self, args):
        self.args = args
        self.domain = args.domain
        self.tag = "run-" + uuid.uuid4().hex[:8]
        self.results = {"tls": args.tls, "run": self.tag}
        self.steps = {}
        self.failures = []
        self.deadline = None

    def account(self, spec):
        user, _, password = spec.partition(":")
        jid = user if "@" in user else user + "@" + self.domain
        return jid, password

    def body(self, what, n):
        return "%s %s %d" % (self.tag, what, n)

    def detail(self, step):
        """The details a step records, under its name in the results."""
        return self.results.setdefault(step, {})

    async def step(self, name, coroutine):
        left = self.deadline - time.monotonic()
        try:
            if left <= 0:
                coroutine.close()
                raise Failure("not run: the scenario's deadline (--deadline) passed")
            await asyncio.wait_for(coroutine, left)
            self.steps[name] = True
        except Exception as e:  # every failure is reported, and the next steps still run
            self.steps[name] = False
            if isinstance(e, Failure):
                message = str(e)
            elif isinstance(e, asyncio.TimeoutError):
                message = "cut off by the scenario's deadline (--deadline)"
            else:
                message = "%s: %r" % (type(e).__name__, e)
            self.failures.append("%s: %s" % (name, message))

    async def run(self):
        started = time.monotonic()
        self.deadline = started + self.args.deadline
        alice, alice_password = self.account(self.args.alice)
        bob, bob_password = self.account(self.args.bob)
        self.alice_bare, self.bob_bare = alice, bob
        self.a1 = Client("a1", alice + "/a1", alice_password, self.args)
        self.a2 = Client("a2", alice + "/a2", alice_password, self.args, stream_management=True)
        self.b1 = Client("b1", bob + "/b1", bob_password, self.args)
        self.b2 = Client("b2", bob + "/b2", bob_password, self.args)
        self.clients = [self.a1, self.a2, self.b1, self.b2]

        await self.step("login", self.login())
        if self.steps["login"]:
            await self.step("disco", self.disco())
            await self.step("ping", self.ping())
            await self.step("vcard", self.vcard())
            await self.step("blocking", self.blocking())
            # Subscription requests reach only available resources: everyone goes online first.
            for c in self.clients:
                c.presence(priority=PRIORITIES[c.name])
            await self.step("roster", self.roster())
            await self.step("presence", self.presence())
            await self.step("carbons_enabled", self.enable_carbons())
            await self.step("messages", self.messages())
            await self.step("mam", self.mam())
            await self.step("resume", self.resume())
            await self.step("exactly_once", self.exactly_once())
        if "carbons_enabled" in self.steps:
            self.steps["carbons"] = bool(
                self.steps["carbons_enabled"] and self.detail("messages").get("carbons_delivered")
            )
        await self.logout()
        self.results["elapsed_ms"] = int((time.monotonic() - started) * 1000)
        self.results["steps"] = self.steps
        self.results["failures"] = self.failures
        self.results["ok"] = not self.failures
        return self.results

    # --- steps ---

    async def login(self):
        for c in self.clients:
            c.start()
        await asyncio.wait([c.started for c in self.clients], timeout=WAIT)
        for c in self.clients:
            if c.started.done():
                c.started.result()  # raises the client's failure
        late = [c.name for c in self.clients if not c.started.done()]
        if late:
            raise Failure("no session within %ss for %s" % (WAIT, late))
        detail = self.detail("login")
        detail["sasl"] = {c.name: c.sasl_mechanism() for c in self.clients}
        detail["bound"] = {c.name: c.boundjid.full for c in self.clients}

    async def disco(self):
        server = await self.features(self.a1, self.domain)
        account = await self.features(self.a1, self.alice_bare)
        stream = sorted(self.a2.stream_features)
        missing = [f for f in REQUIRED_FEATURES if f not in server and f not in account]
        missing += ["stream:" + f for f in REQUIRED_STREAM_FEATURES if f not in stream]
        self.detail("disco").update(
            {"server": server, "account": account, "stream": stream, "missing": missing}
        )
        if missing:
            raise Failure("not advertised: %s" % missing)

    async def features(self, client, jid):
        answer = await client.iq("get", "<query xmlns='%s'/>" % NS_DISCO_INFO, to=jid)
        query = answer.find(q(NS_DISCO_INFO, "query"))
        if query is None:
            raise Failure("disco#info of %s has no query" % jid)
        return sorted(f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature")))

    async def ping(self):
        await self.a1.iq("get", "<ping xmlns='%s'/>" % NS_PING, to=self.domain)
        await self.b2.iq("get", "<ping xmlns='%s'/>" % NS_PING, to=self.domain)

    async def vcard(self):
        name = "Alice %s" % self.tag
        await self.a1.iq("set", "<vCard xmlns='%s'><FN>%s</FN></vCard>" % (NS_VCARD, name))
        answer = await self.b1.iq("get", "<vCard xmlns='%s'/>" % NS_VCARD, to=self.alice_bare)
        seen = answer.findtext(q(NS_VCARD, "vCard") + "/" + q(NS_VCARD, "FN"))
        if seen != name:
            raise Failure("bob read alice's vCard FN %r, expected %r" % (seen, name))

    async def blocking(self):
        answer = await self.a1.iq("get", "<blocklist xmlns='%s'/>" % NS_BLOCKING)
        if answer.find(q(NS_BLOCKING, "blocklist")) is None:
            raise Failure("no <blocklist/> in the answer")

    async def roster(self):
        versioning = NS_ROSTERVER in self.a1.stream_features
        detail = self.detail("roster")
        detail["versioning"] = versioning
        query = "<query xmlns='%s'%s/>" % (NS_ROSTER, " ver=''" if versioning else "")
        rosters = {}
        for c in self.clients:  # a resource that asked for the roster gets its pushes
            answer = await c.iq("get", query)
            got = answer.find(q(NS_ROSTER, "query"))
            if got is None:
                raise Failure("%s: roster result without <query/>" % c.name)
            if versioning and got.get("ver") is None:
                raise Failure("%s: versioning advertised but the roster has no ver" % c.name)
            rosters[c.name] = {i.get("jid"): i.get("subscription") for i in got}

        # A rerun against the same server starts from empty rosters.
        for c, contact in ((self.a1, self.bob_bare), (self.b1, self.alice_bare)):
            if contact in rosters[c.name]:
                await c.iq(
                    "set",
                    "<query xmlns='%s'><item jid='%s' subscription='remove'/></query>"
                    % (NS_ROSTER, contact),
                )
                await until(
                    "%s: removal push of %s" % (c.name, contact),
                    lambda: self.last_push(c, contact).get("subscription") == "remove",
                )
        for c in self.clients:  # a round trip each: the reset's pushes are all in
            await c.iq("get", "<ping xmlns='%s'/>" % NS_PING, to=self.domain)
            c.roster_pushes.clear()
            c.subscription_requests.clear()

        # Alice adds bob: a push to both of her resources.
        await self.a1.iq(
            "set",
            "<query xmlns='%s'><item jid='%s' name='Bob'/></query>" % (NS_ROSTER, self.bob_bare),
        )
        for c in (self.a1, self.a2):
            await until(
                "%s: roster push adding bob" % c.name,
                lambda: self.last_push(c, self.bob_bare).get("name") == "Bob",
                lambda: c.roster_pushes,
            )
        # Alice asks; bob's resources see the request and b1 approves, then asks back.
        self.a1.presence(to=self.bob_bare, kind="subscribe")
        for c in (self.b1, self.b2):
            await until(
                "%s: subscription request from alice" % c.name,
                lambda: (self.alice_bare, "subscribe") in c.subscription_requests,
                lambda: c.subscription_requests,
            )
        self.b1.presence(to=self.alice_bare, kind="subscribed")
        for c in (self.a1, self.a2):
            await until(
                "%s: bob approved (subscription to)" % c.name,
                lambda: self.last_push(c, self.bob_bare).get("subscription") == "to",
                lambda: c.roster_pushes,
            )
        await self.b1.iq(
            "set",
            "<query xmlns='%s'><item jid='%s' name='Alice'/></query>"
            % (NS_ROSTER, self.alice_bare),
        )
        self.b1.presence(to=self.alice_bare, kind="subscribe")
        for c in (self.a1, self.a2):
            await until(
                "%s: subscription request from bob" % c.name,
                lambda: (self.bob_bare, "subscribe") in c.subscription_requests,
                lambda: c.subscription_requests,
            )
        self.a1.presence(to=self.bob_bare, kind="subscribed")
        for c, contact in (
            (self.a1, self.bob_bare),
            (self.a2, self.bob_bare),
            (self.b1, self.alice_bare),
            (self.b2, self.alice_bare),
        ):
            await until(
                "%s: subscription both with %s" % (c.name, contact),
                lambda: self.last_push(c, contact).get("subscription") == "both",
                lambda: c.roster_pushes,
            )
        detail["pushes"] = {c.name: list(c.roster_pushes) for c in self.clients}
        if versioning:
            for c in self.clients:
                vers = [p.get("ver") for p in c.roster_pushes]
                if None in vers:
                    raise Failure("%s: a roster push without ver: %s" % (c.name, c.roster_pushes))
                if len(set(vers)) != len(vers):
                    raise Failure("%s: roster versions repeat: %s" % (c.name, vers))
        for c in self.clients:
            spoofed = [p for p in c.roster_pushes if "spoofed_from" in p]
            if spoofed:
                raise Failure("%s: roster push from another entity: %s" % (c.name, spoofed))

        # The roster as fetched now agrees with the pushes.
        answer = await self.a1.iq("get", "<query xmlns='%s'/>" % NS_ROSTER)
        items = {i.get("jid"): i.get("subscription") for i in answer.find(q(NS_ROSTER, "query"))}
        detail["alice_roster"] = items
        if items.get(self.bob_bare) != "both":
            raise Failure("alice's roster after the handshake: %s" % items)

    @staticmethod
    def last_push(client, jid):
        for push in reversed(client.roster_pushes):
            if push.get("jid") == jid:
                return push
        return {}

    async def presence(self):
        """Each side sees the other's resources online, with their priorities."""
        alice = {self.alice_bare + "/" + r: PRIORITIES[r] for r in ("a1", "a2")}
        bob = {self.bob_bare + "/" + r: PRIORITIES[r] for r in ("b1", "b2")}
        expected = {"a1": bob, "a2": bob, "b1": alice, "b2": alice}
        for c in self.clients:
            want = expected[c.name]
            await until(
                "%s: available presence of %s with priorities" % (c.name, want),
                lambda: all(
                    c.presences.get(j, {}).get("type") == "available"
                    and c.presences[j]["priority"] == p
                    for j, p in want.items()
                ),
                lambda: c.presences,
            )
        self.detail("presence")["seen"] = {
            c.name: {
                j: p["priority"] for j, p in sorted(c.presences.items()) if p["type"] == "available"
            }
            for c in self.clients
        }

    async def enable_carbons(self):
        for c in self.clients:
            await c.iq("set", "<enable xmlns='%s'/>" % NS_CARBONS)

    def mine(self, client, what):
        """The messages of this run that {client} got for the series {what}, in arrival order."""
        prefix = "%s %s " % (self.tag, what)
        return [m for m in client.inbox if m["body"].startswith(prefix)]

    @staticmethod
    def numbers(entries):
        return [int(m["body"].rsplit(" ", 1)[1]) for m in entries]

    def summary(self, client, what):
        got = self.mine(client, what)
        return [
            {"n": n, "via": m["via"], "stanza_id": m["stanza_id"]}
            for n, m in zip(self.numbers(got), got)
        ]

    async def arrive(self, client, what, count):
        await until(
            "%s: %d messages of %r" % (client.name, count, what),
            lambda: len(self.mine(client, what)) >= count,
            lambda: [(m["via"], m["body"]) for m in self.mine(client, what)],
        )

    async def messages(self):
        """Chat with carbons on: who gets what, how (direct, <received/>, <sent/>), in order."""
        detail = self.detail("messages")
        detail.update({"sent": TO_ALICE, "reply_sent": TO_BOB})
        # bob/b1 -> alice (bare JID): each of alice's resources gets each message once, directly
        # or as a <received/> carbon (which one is the server's choice, RFC 6121 8.5.2.1.1);
        # bob/b2 gets a <sent/> carbon of each.
        for n in range(1, TO_ALICE + 1):
            self.b1.chat(self.alice_bare, self.body("b1>alice", n))
        for c in (self.a1, self.a2, self.b2):
            await self.arrive(c, "b1>alice", TO_ALICE)
        # alice/a1 -> bob/b1 (full JID): b1 directly, b2 as <received/>, a2 as <sent/>.
        for n in range(1, TO_BOB + 1):
            self.a1.chat(self.bob_bare + "/b1", self.body("a1>bob", n))
        for c in (self.b1, self.b2, self.a2):
            await self.arrive(c, "a1>bob", TO_BOB)

        for c in (self.a1, self.a2):
            detail[c.name] = self.summary(c, "b1>alice")
        detail["b2"] = self.summary(self.b2, "b1>alice")
        detail["reply"] = {c.name: self.summary(c, "a1>bob") for c in (self.b1, self.b2, self.a2)}

        problems, carbons = [], []
        series = list(range(1, TO_ALICE + 1))
        for c in (self.a1, self.a2):
            got = self.mine(c, "b1>alice")
            if self.numbers(got) != series:
                problems.append("%s got %s, expected %s" % (c.name, self.numbers(got), series))
            odd = [m["via"] for m in got if m["via"] not in ("direct", "received")]
            if odd:
                carbons.append("%s got messages to alice as %s" % (c.name, odd))
        for n in series:
            vias = [m["via"] for c in (self.a1, self.a2) for m in self.mine(c, "b1>alice")
                    if self.numbers([m]) == [n]]
            if "direct" not in vias:
                problems.append("message %d reached no resource of alice directly: %s" % (n, vias))
        for c, what, via, count in (
            (self.b2, "b1>alice", "sent", TO_ALICE),
            (self.b1, "a1>bob", "direct", TO_BOB),
            (self.b2, "a1>bob", "received", TO_BOB),
            (self.a2, "a1>bob", "sent", TO_BOB),
        ):
            got = self.mine(c, what)
            if self.numbers(got) != list(range(1, count + 1)) or any(m["via"] != via for m in got):
                (problems if via == "direct" else carbons).append(
                    "%s: expected %s 1..%d in order as %s, got %s"
                    % (c.name, what, count, via, [(m["via"], m["body"]) for m in got])
                )
        for c in self.clients:
            spoofed = [m for m in c.inbox if m["via"].startswith("spoofed")]
            if spoofed:
                carbons.append("%s: carbons from another entity: %s" % (c.name, spoofed))
        detail["carbons_delivered"] = not carbons
        problems += carbons
        if problems:
            raise Failure("; ".join(problems))

    async def mam(self):
        """Alice pages through her archive (max=PAGE) and finds this run's 15 messages, in order,
        under the ids her resources were told live (XEP-0359 <stanza-id by='alice@...'>)."""
        detail = self.detail("mam")
        results, pages, after, complete = [], 0, None, False
        while pages < 1000:
            queryid = uuid.uuid4().hex
            rsm = "<set xmlns='%s'><max>%d</max>%s</set>" % (
                NS_RSM,
                PAGE,
                "<after>%s</after>" % after if after else "",
            )
            query = "<query xmlns='%s' queryid='%s'>%s</query>" % (NS_MAM, queryid, rsm)
            answer = await self.a1.iq("set", query)
            fin = answer.find(q(NS_MAM, "fin"))
            if fin is None:
                raise Failure("page %d: no <fin/> in the answer" % (pages + 1))
            page = self.a1.mam_results.pop(queryid, [])
            if len(page) > PAGE:
                raise Failure("page %d: %d results for max=%d" % (pages + 1, len(page), PAGE))
            complete = fin.get("complete") in ("true", "1")
            if not page:
                break
            pages += 1
            results += page
            last = fin.findtext(q(NS_RSM, "set") + "/" + q(NS_RSM, "last"))
            if last != page[-1]["id"]:
                raise Failure(
                    "page %d: RSM <last/> %r is not the last result's id %r"
                    % (pages, last, page[-1]["id"])
                )
            after = last
            if complete:
                break
        ours = [r for r in results if r["body"] and r["body"].startswith(self.tag + " ")]
        bodies = [r["body"] for r in ours]
        expected = [self.body("b1>alice", n) for n in range(1, TO_ALICE + 1)]
        expected += [self.body("a1>bob", n) for n in range(1, TO_BOB + 1)]
        archive_ids = {r["body"]: r["id"] for r in ours}
        live = {}
        for c in (self.a1, self.a2):
            for m in self.mine(c, "b1>alice") + self.mine(c, "a1>bob"):
                if m["stanza_id"]:
                    live.setdefault(m["body"], set()).add(m["stanza_id"])
        mismatched = {b: sorted(ids) for b, ids in live.items() if ids != {archive_ids.get(b)}}
        without_id = [b for b in expected[:TO_ALICE] if b not in live]
        unique = len(set(archive_ids.values())) == len(ours)
        detail.update(
            {
                "pages": pages,
                "count": len(ours),
                "archive_total": len(results),
                "complete": complete,
                "in_order": bodies == expected,
                "live_ids": len(live),
                "ids_match": not mismatched and not without_id and unique,
            }
        )
        problems = []
        if pages < 2:
            problems.append("%d page(s) with max=%d, expected at least 2" % (pages, PAGE))
        if not complete:
            problems.append("the last page is not marked complete")
        if bodies != expected:
            problems.append("the archive holds %s, expected %s" % (bodies, expected))
        if without_id:
            problems.append("messages to alice came without a stanza-id by alice: %s" % without_id)
        if mismatched:
            problems.append("live stanza-ids %s, archive ids %s" % (mismatched, archive_ids))
        if not unique:
            problems.append("archive ids repeat: %s" % archive_ids)
        if problems:
            raise Failure("; ".join(problems))

    async def resume(self):
        """XEP-0198: a2's connection drops without </stream:stream>; what bob sends meanwhile
        reaches a2 exactly once after it resumes the session."""
        detail = self.detail("resume")
        detail["resumed"] = False
        await until("a2: SM enabled with resumption (an id)", lambda: self.a2["xep_0198"].sm_id)
        # Fault: the TCP connection is reset, the stream never closed.
        disconnected = asyncio.ensure_future(self.a2.wait_until("disconnected", WAIT))
        await asyncio.sleep(0)
        self.a2.drop_connection()
        await disconnected
        self.a2.resumed = asyncio.get_running_loop().create_future()
        # Meanwhile bob writes to the resource that is away. The answer to b1's ping comes after
        # the server has routed the messages, so they wait in the detached session.
        for n in range(1, WHILE_AWAY + 1):
            self.b1.chat(self.alice_bare + "/a2", self.body("while-away", n))
        await self.b1.iq("get", "<ping xmlns='%s'/>" % NS_PING, to=self.domain)
        # Recovery: reconnect, authenticate and <resume previd=.../>.
        direct = self.args.tls == "direct"
        self.a2.connect(
            (self.args.host, self.args.port),
            use_ssl=direct,
            force_starttls=not direct,
            disable_starttls=direct,
        )
        try:
            resumed = await asyncio.wait_for(asyncio.shield(self.a2.resumed), WAIT)
        except asyncio.TimeoutError:
            raise Failure("a2: neither resumed nor a new session within %ss" % WAIT)
        detail["resumed"] = resumed
        detail["sm_failed"] = self.a2.sm_failed
        if not resumed:
            failed = self.a2.sm_failed
            raise Failure("a2 got a new session, not the old one (<failed/>: %s)" % failed)
        await self.arrive(self.a2, "while-away", WHILE_AWAY)
        got = self.mine(self.a2, "while-away")
        detail["messages"] = [{"n": n, "via": m["via"]} for n, m in zip(self.numbers(got), got)]
        if self.numbers(got) != list(range(1, WHILE_AWAY + 1)) or any(
            m["via"] != "direct" for m in got
        ):
            raise Failure("a2 after resuming got %s" % [(m["via"], m["body"]) for m in got])
        # The resumed stream works both ways.
        await self.a2.iq("get", "<ping xmlns='%s'/>" % NS_PING, to=self.domain)

    async def exactly_once(self):
        """Checked again at the end, after everything settled: no resource got a message twice,
        nor an error bounce, and the counts the steps saw still hold."""
        problems = []
        for c in self.clients:
            seen = {}
            for m in c.inbox:
                if m["body"].startswith(self.tag + " "):
                    seen[m["body"]] = seen.get(m["body"], 0) + 1
            twice = {b: n for b, n in seen.items() if n > 1}
            if twice:
                problems.append("%s got duplicates: %s" % (c.name, twice))
            if c.stanza_errors:
                problems.append("%s got error messages: %s" % (c.name, c.stanza_errors))
        for step, c, what, count in (
            ("messages", self.a1, "b1>alice", TO_ALICE),
            ("messages", self.a2, "b1>alice", TO_ALICE),
            ("messages", self.b2, "b1>alice", TO_ALICE),
            ("messages", self.b1, "a1>bob", TO_BOB),
            ("messages", self.b2, "a1>bob", TO_BOB),
            ("messages", self.a2, "a1>bob", TO_BOB),
            ("resume", self.a2, "while-away", WHILE_AWAY),
        ):
            if not self.steps.get(step):
                continue  # that step has said what went wrong
            got = len(self.mine(c, what))
            if got != count:
                problems.append("%s holds %d of %r, expected %d" % (c.name, got, what, count))
        if problems:
            raise Failure("; ".join(problems))

    async def logout(self):
        closing = []
        for c in self.clients:
            if c.transport is not None:
                closing.append(c.disconnect(wait=2.0))
        if closing:
            try:
                await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), WAIT)
            except asyncio.TimeoutError:
                for c in self.clients:
                    c.abort()


def main():
    global WAIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--alice", required=True, help="user:password")
    parser.add_argument("--bob", required=True, help="user:password")
    parser.add_argument("--tls", choices=["starttls", "direct"], default="starttls")
    parser.add_argument("--insecure", action="store_true", help="do not verify the certificate")
    parser.add_argument("--wait", type=float, default=WAIT, help="seconds for each wait")
    parser.add_argument(
        "--deadline", type=float, default=240, help="seconds for all steps; later ones are skipped"
    )
    parser.add_argument("--verbose", action="store_true", help="slixmpp's debug log on stderr")
    args = parser.parse_args()
    WAIT = args.wait
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.CRITICAL,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    results = asyncio.run(Scenario(args).run())
    print(json.dumps(results, sort_keys=True))
    for failure in results["failures"]:
        print("FAILED " + failure, file=sys.stderr)
    sys.exit(0 if results["ok"] else 1)


if __name__ == "__main__":
    main()
