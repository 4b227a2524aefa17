"""alice on two resources, bob sending steadily, while the test kills or hangs a device.

Usage: failover.py CONFIG_JSON
CONFIG: {domain, alice_pw, bob_pw, a1_ports, a2_ports, bob_ports, count, interval, settle}
Each *_ports list is tried in order: a client whose connection breaks reconnects to the next port
(resuming its stream if the server still can, else binding anew and asking the archive).
Prints "READY" once all three clients are online, "SENT n" as bob sends, and at the end one JSON
object: the bodies the server acknowledged to bob (XEP-0198), and per alice resource what arrived
live (directly or as a carbon) and through the archive (XEP-0313), keyed by stanza id.
"""
import asyncio
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp import JID

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ports, priority, peer):
        super().__init__(jid, password)
        self.ports = ports
        self.port_index = 0
        self.priority = priority
        self.peer = peer
        self.ssl_context = insecure()
        self.online = asyncio.get_event_loop().create_future()
        self.live = {}  # body -> list of stanza ids seen live
        self.live_count = {}  # stanza id -> times seen live
        self.archive = {}  # body -> set of stanza ids from MAM
        self.kinds = {}  # body -> how it came live: direct or carbon
        self.acked = []
        self.sessions = 0
        self.resumed = 0
        self.stopping = False
        for p in ("xep_0030", "xep_0198", "xep_0280", "xep_0313", "xep_0359", "xep_0059"):
            self.register_plugin(p)
        self.add_event_handler("session_start", self.started)
        self.add_event_handler("session_resumed", self.on_resumed)
        self.add_event_handler("message", lambda m: self.on_message(m, "direct"))
        self.add_event_handler(
            "carbon_received", lambda m: self.on_message(m["carbon_received"], "carbon"))
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_disconnected)
        self.add_event_handler("stanza_acked", self.on_acked)

    def go(self):
        self.connect(("127.0.0.1", self.ports[self.port_index]))

    def on_disconnected(self, event):
        if self.stopping:
            return
        self.port_index = min(self.port_index + 1, len(self.ports) - 1)
        print("RECONNECT %s %d" % (self.boundjid, self.ports[self.port_index]), file=sys.stderr)
        asyncio.get_event_loop().call_later(0.5, self.go)

    async def started(self, event):
        self.sessions += 1
        self.send_presence(ppriority=self.priority)
        try:
            await self.get_roster()
            await self.plugin["xep_0280"].enable()
        except Exception as e:  # noqa: BLE001
            print("setup failed: %r" % e, file=sys.stderr)
        if self.sessions > 1:
            await self.sync_archive()
        if not self.online.done():
            self.online.set_result(True)

    def on_resumed(self, event):
        self.resumed += 1

    def on_message(self, msg, kind):
        body = msg["body"]
        if not body or msg["type"] == "error":
            return
        self.kinds.setdefault(body, []).append(kind)
        sid = msg["stanza_id"]["id"] if msg["stanza_id"]["id"] else None
        self.live.setdefault(body, []).append(sid)
        if sid:
            self.live_count[sid] = self.live_count.get(sid, 0) + 1

    def on_acked(self, stanza):
        if stanza.name == "message" and stanza["body"]:
            self.acked.append(stanza["body"])

    async def sync_archive(self):
        try:
            async for result in self.plugin["xep_0313"].iterate(
                with_jid=JID(self.peer), rsm={"max": 50}
            ):
                fwd = result["mam_result"]["forwarded"]["stanza"]
                body = fwd["body"]
                if body:
                    self.archive.setdefault(body, set()).add(result["mam_result"]["id"])
        except Exception as e:  # noqa: BLE001
            print("MAM failed on %s: %r" % (self.boundjid, e), file=sys.stderr)

    def report(self):
        return {
            "live": self.live,
            "kinds": self.kinds,
            "live_duplicates": sorted(s for s, n in self.live_count.items() if n > 1),
            "archive": {b: sorted(ids) for b, ids in self.archive.items()},
            "sessions": self.sessions,
            "resumed": self.resumed,
        }


async def main():
    cfg = json.loads(sys.argv[1])
    domain = cfg["domain"]
    bare_alice = "alice@" + domain
    bare_bob = "bob@" + domain
    a1 = Client(bare_alice + "/a1", cfg["alice_pw"], cfg["a1_ports"], 10, bare_bob)
    a2 = Client(bare_alice + "/a2", cfg["alice_pw"], cfg["a2_ports"], 5, bare_bob)
    bob = Client(bare_bob + "/b1", cfg["bob_pw"], cfg["bob_ports"], 0, bare_alice)
    for c in (a1, a2, bob):
        c.go()
    await asyncio.wait_for(asyncio.gather(a1.online, a2.online, bob.online), 60)
    print("READY", flush=True)
    count = cfg["count"]
    for i in range(count):
        bob.send_message(mto=bare_alice, mbody="m%04d" % i, mtype="chat")
        bob.plugin["xep_0198"].request_ack()
        print("SENT %d" % (i + 1), flush=True)
        await asyncio.sleep(cfg["interval"])
    loop = asyncio.get_event_loop()
    deadline = loop.time() + cfg["settle"]
    while loop.time() < deadline:
        bob.plugin["xep_0198"].request_ack()
        await asyncio.sleep(1)
        acked = set(bob.acked)
        if len(acked) == count and all(
            acked <= set(c.live) for c in (a1, a2)
        ):
            break
    for c in (a1, a2):
        await c.sync_archive()
    print(json.dumps({
        "sent": count,
        "acked": bob.acked,
        "bob_sessions": bob.sessions,
        "a1": a1.report(),
        "a2": a2.report(),
    }), flush=True)
    for c in (a1, a2, bob):
        c.stopping = True
        c.disconnect()


asyncio.run(main())
