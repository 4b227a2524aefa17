"""A quick two-account check with slixmpp: bob sends alice N messages; alice prints what she got.

Usage: smoke.py HOST ALICE_PORT BOB_PORT DOMAIN ALICE_PASSWORD BOB_PASSWORD N
Prints one JSON object: {"received": [bodies in order]}.
"""
import asyncio
import json
import ssl
import sys

import slixmpp


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.received = []
        self.ready = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.started)
        self.add_event_handler("message", self.message)
        self.add_event_handler("failed_auth", lambda e: self.ready.set_exception(RuntimeError("auth failed")))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.ssl_context = ctx

    async def started(self, event):
        self.send_presence()
        await self.get_roster()
        if not self.ready.done():
            self.ready.set_result(True)

    def message(self, msg):
        if msg["body"]:
            self.received.append(msg["body"])


async def main():
    host, aport, bport, domain, apw, bpw, n = sys.argv[1:8]
    n = int(n)
    alice = Client("alice@%s/a1" % domain, apw)
    bob = Client("bob@%s/b1" % domain, bpw)
    for c, port in ((alice, aport), (bob, bport)):
        c.connect((host, int(port)))
    await asyncio.wait_for(asyncio.gather(alice.ready, bob.ready), 30)
    for i in range(n):
        bob.send_message(mto="alice@%s" % domain, mbody="m%d" % i, mtype="chat")
    deadline = asyncio.get_event_loop().time() + 30
    while len(alice.received) < n and asyncio.get_event_loop().time() < deadline:
        await asyncio.sleep(0.1)
    print(json.dumps({"received": alice.received}))
    alice.disconnect()
    bob.disconnect()


asyncio.run(main())
