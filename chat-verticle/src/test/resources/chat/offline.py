"""Messages to an owner none of whose devices is up.

Usage: offline.py MODE CONFIG_JSON, CONFIG: {domain, alice_pw, bob_pw, port, count}
  send     bob sends `count` messages to alice and waits for the server's acknowledgements
  refused  alice logs in; prints the stream error the server ends the stream with
  receive  alice logs in; prints what arrives within 30 s and what her archive holds
Each mode prints one JSON object.
"""
import asyncio
import json
import ssl
import sys

import slixmpp
from slixmpp import JID


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.ssl_context = ctx
        for p in ("xep_0030", "xep_0198", "xep_0313", "xep_0359", "xep_0059", "xep_0203"):
            self.register_plugin(p)
        self.online = asyncio.get_event_loop().create_future()
        self.ended = asyncio.get_event_loop().create_future()
        self.received = []
        self.delayed = 0
        self.acked = []
        self.add_event_handler("session_start", self.started)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("stanza_acked", self.on_acked)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("disconnected", lambda e: self.ended.done() or self.ended.set_result(None))

    async def started(self, event):
        self.send_presence()
        if not self.online.done():
            self.online.set_result(True)

    def on_message(self, msg):
        if msg["body"]:
            self.received.append(msg["body"])
            if msg["delay"]["stamp"]:
                self.delayed += 1

    def on_acked(self, stanza):
        if stanza.name == "message" and stanza["body"]:
            self.acked.append(stanza["body"])

    def on_stream_error(self, error):
        if not self.ended.done():
            self.ended.set_result({"condition": error["condition"], "text": error["text"]})


async def main():
    mode = sys.argv[1]
    cfg = json.loads(sys.argv[2])
    domain = cfg["domain"]
    if mode == "send":
        bob = Client("bob@%s/b1" % domain, cfg["bob_pw"])
        bob.connect(("127.0.0.1", cfg["port"]))
        await asyncio.wait_for(bob.online, 60)
        for i in range(cfg["count"]):
            bob.send_message(mto="alice@" + domain, mbody="offline-%d" % i, mtype="chat")
        bob.plugin["xep_0198"].request_ack()
        loop = asyncio.get_event_loop()
        deadline = loop.time() + 60
        while len(bob.acked) < cfg["count"] and loop.time() < deadline:
            bob.plugin["xep_0198"].request_ack()
            await asyncio.sleep(0.5)
        print(json.dumps({"acked": bob.acked}))
        bob.disconnect()
    elif mode == "refused":
        alice = Client("alice@%s/a1" % domain, cfg["alice_pw"])
        alice.connect(("127.0.0.1", cfg["port"]))
        done, _ = await asyncio.wait([alice.online, alice.ended], timeout=60,
                                     return_when=asyncio.FIRST_COMPLETED)
        if alice.online.done():
            print(json.dumps({"online": True}))
        else:
            print(json.dumps({"online": False, "error": alice.ended.result() if alice.ended.done() else None}))
        alice.disconnect()
    else:
        alice = Client("alice@%s/a1" % domain, cfg["alice_pw"])
        alice.connect(("127.0.0.1", cfg["port"]))
        await asyncio.wait_for(alice.online, 60)
        loop = asyncio.get_event_loop()
        deadline = loop.time() + 30
        while len(alice.received) < cfg["count"] and loop.time() < deadline:
            await asyncio.sleep(0.2)
        archived = []
        async for result in alice.plugin["xep_0313"].iterate(with_jid=JID("bob@" + domain), rsm={"max": 50}):
            archived.append(result["mam_result"]["forwarded"]["stanza"]["body"])
        print(json.dumps({"received": alice.received, "delayed": alice.delayed, "archived": archived}))
        alice.disconnect()


asyncio.run(main())
