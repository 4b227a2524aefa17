"""XMPP over WebSocket (RFC 7395) with Debian's websocket-client, found through XEP-0156.

Usage: websocket.py HTTP_PORT DOMAIN ALICE_PASSWORD BOB_PASSWORD
Reads /.well-known/host-meta.json, logs alice and bob in over the WebSocket it names (SASL PLAIN:
the test connects over loopback), bob sends alice three messages; prints one JSON object.
"""
import base64
import json
import re
import sys
import urllib.request

import websocket

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"


def recv_until(ws, pattern, limit=20):
    seen = []
    for _ in range(limit):
        frame = ws.recv()
        seen.append(frame)
        if re.search(pattern, frame):
            return frame, seen
    raise RuntimeError("no %s in %r" % (pattern, seen))


def login(url, domain, user, password, resource):
    ws = websocket.create_connection(url, subprotocols=["xmpp"], timeout=20)
    protocol = ws.getsubprotocol()
    ws.send("<open xmlns='%s' to='%s' version='1.0'/>" % (FRAMING, domain))
    recv_until(ws, r"<open ")
    features, _ = recv_until(ws, r"features")
    token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % token)
    recv_until(ws, r"<success")
    ws.send("<open xmlns='%s' to='%s' version='1.0'/>" % (FRAMING, domain))
    recv_until(ws, r"bind")
    ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            "<resource>%s</resource></bind></iq>" % resource)
    bound, _ = recv_until(ws, r"<jid>")
    jid = re.search(r"<jid>([^<]+)</jid>", bound).group(1)
    ws.send("<presence xmlns='jabber:client'/>")
    return ws, {"subprotocol": protocol, "jid": jid, "mechanisms": re.findall(r"<mechanism>([^<]+)<", features)}


def main():
    port, domain, alice_pw, bob_pw = sys.argv[1:5]
    meta = json.load(urllib.request.urlopen("http://127.0.0.1:%s/.well-known/host-meta.json" % port, timeout=10))
    url = [l["href"] for l in meta["links"] if l["rel"] == "urn:xmpp:alt-connections:websocket"][0]
    alice, a = login(url, domain, "alice", alice_pw, "web")
    bob, b = login(url, domain, "bob", bob_pw, "web")
    for i in range(3):
        bob.send("<message xmlns='jabber:client' type='chat' to='alice@%s' id='w%d'><body>ws-%d</body></message>" % (domain, i, i))
    bodies = []
    for _ in range(40):
        frame = alice.recv()
        m = re.search(r"<body>([^<]+)</body>", frame)
        if m and "<message" in frame:
            bodies.append(m.group(1))
            if len(bodies) == 3:
                break
    alice.send("<close xmlns='%s'/>" % FRAMING)
    closed, _ = recv_until(alice, r"<close")
    print(json.dumps({"url": url, "alice": a, "bob": b, "received": bodies, "closed": "<close" in closed}))


main()
