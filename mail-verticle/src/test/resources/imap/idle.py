#!/usr/bin/python3
"""IDLE with Debian's python3-imaplib2, for ImapClientsTest.

    idle.py HOST PORT USER PASSWORD

Logs in, selects INBOX, prints "idling N" (N: the messages in it) and IDLEs for up to 30 s; when
the server reports new mail, prints "EXISTS M" and ends; "timeout" when nothing came.
"""
import sys
import imaplib2

host, port, user, password = sys.argv[1:5]
imap = imaplib2.IMAP4(host, int(port))
imap.login(user, password)
typ, data = imap.select("INBOX")
before = int(data[0])
print("idling %d" % before, flush=True)
typ, data = imap.idle(timeout=30)
exists = imap.response("EXISTS")[1]
counts = [int(x) for x in exists if x]
if counts and max(counts) > before:
    print("EXISTS %d" % max(counts), flush=True)
else:
    print("timeout", flush=True)
imap.logout()
