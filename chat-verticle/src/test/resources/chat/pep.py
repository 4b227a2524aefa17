"""PEP (XEP-0163) with publish-options, as OMEMO clients use it, with slixmpp.

Usage: pep.py PORT DOMAIN ALICE_PASSWORD BOB_PASSWORD
alice/a1 publishes an OMEMO device list with access model open; alice/a2 gets the event; bob, who
is not in alice's roster, reads it; a node with access model whitelist is refused to bob.
Prints one JSON object.
"""
import asyncio
import json
import ssl
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError
from slixmpp.plugins.xep_0004 import Form

OMEMO = "urn:xmpp:omemo:2"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.ssl_context = ctx
        for p in ("xep_0030", "xep_0004", "xep_0060", "xep_0163"):
            self.register_plugin(p)
        self.online = asyncio.get_event_loop().create_future()
        self.events = []
        self.add_event_handler("session_start", self.started)
        self.add_event_handler("pubsub_publish", self.on_event)

    async def started(self, event):
        self.send_presence()
        if not self.online.done():
            self.online.set_result(True)

    def on_event(self, msg):
        items = msg["pubsub_event"]["items"]
        self.events.append(items["node"])


def options(access):
    form = Form()
    form["type"] = "submit"
    form.add_field(var="FORM_TYPE", ftype="hidden",
                   value="http://jabber.org/protocol/pubsub#publish-options")
    form.add_field(var="pubsub#access_model", value=access)
    return form


async def main():
    port, domain, alice_pw, bob_pw = sys.argv[1:5]
    alice_bare = "alice@" + domain
    a1 = Client(alice_bare + "/a1", alice_pw)
    a2 = Client(alice_bare + "/a2", alice_pw)
    bob = Client("bob@%s/b1" % domain, bob_pw)
    for c in (a1, a2, bob):
        c.connect(("127.0.0.1", int(port)))
    await asyncio.wait_for(asyncio.gather(a1.online, a2.online, bob.online), 60)
    await asyncio.sleep(0.5)  # presences settle; the assertions below poll

    devices = ET.fromstring("<devices xmlns='%s'><device id='12345'/></devices>" % OMEMO)
    await a1.plugin["xep_0060"].publish(alice_bare, OMEMO + ":devices", id="current",
                                        payload=devices, options=options("open"))
    secret = ET.fromstring("<note xmlns='urn:example:private'>only mine</note>")
    await a1.plugin["xep_0060"].publish(alice_bare, "urn:example:private", id="n1",
                                        payload=secret, options=options("whitelist"))
    loop = asyncio.get_event_loop()
    deadline = loop.time() + 20
    while OMEMO + ":devices" not in a2.events and loop.time() < deadline:
        await asyncio.sleep(0.1)

    result = await bob.plugin["xep_0060"].get_items(alice_bare, OMEMO + ":devices")
    ids = [d.get("id") for d in result.xml.iter("{%s}device" % OMEMO)]
    forbidden = None
    try:
        await bob.plugin["xep_0060"].get_items(alice_bare, "urn:example:private")
    except IqError as e:
        forbidden = e.condition
    own = await a2.plugin["xep_0060"].get_items(alice_bare, "urn:example:private")
    own_notes = [n.text for n in own.xml.iter("{urn:example:private}note")]
    print(json.dumps({"a2_events": a2.events, "bob_devices": ids, "bob_private": forbidden,
                      "own_private": own_notes}))
    for c in (a1, a2, bob):
        c.disconnect()


asyncio.run(main())
