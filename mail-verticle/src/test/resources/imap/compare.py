#!/usr/bin/python3
"""One IMAP client script, run against Kith and against Dovecot by DovecotComparisonTest.

    compare.py HOST PORT USER PASSWORD MESSAGES_DIR MAILBOX

Appends every .eml of MESSAGES_DIR (sorted) to a new MAILBOX with a pattern of flags, then asks
each message, one item at a time, for FLAGS, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE and a set of
body sections; changes flags; runs a set of searches; expunges two messages; and prints one JSON
object of the answers, with UIDs relative to the first appended one and without UIDVALIDITY, so
that two servers' outputs compare directly.
"""
import imaplib
import json
import os
import re
import sys

host, port, user, password, messages_dir, box = sys.argv[1:7]
ITEMS = ["FLAGS", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY", "BODY.PEEK[]",
         "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[1]", "BODY.PEEK[1.MIME]",
         "BODY.PEEK[2]", "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]", "BODY.PEEK[]<10.20>"]
SEARCHES = ["ALL", "SEEN", "UNSEEN", "FLAGGED", "KEYWORD $Work", "UNKEYWORD $Work",
            "DELETED", "LARGER 1000", "SMALLER 300", "SUBJECT test", "FROM example",
            "NOT SEEN FLAGGED", "OR SEEN FLAGGED", "HEADER Content-Type multipart",
            "BODY hello", "TEXT alice", "UID 3:5", "1:4"]

imap = imaplib.IMAP4(host, int(port))
imap.login(user, password)
imap.create(box)
imap.select(box)
out = {"append": [], "fetch": {}, "search": {}}
files = sorted(f for f in os.listdir(messages_dir) if f.endswith(".eml"))
first = None
for i, name in enumerate(files):
    flags = "(\\Seen)" if i % 3 == 0 else "(\\Flagged $Work)" if i % 5 == 0 else "()"
    with open(os.path.join(messages_dir, name), "rb") as f:
        data = f.read()
    try:
        typ, answer = imap.append(box, flags, None, data)
    except imaplib.IMAP4.error as e:
        out["append"].append([name, "NO", None])
        continue
    if typ != "OK":
        out["append"].append([name, typ, None])
        continue
    m = re.search(rb"APPENDUID \d+ (\d+)", answer[0])
    if m is None:
        sys.exit("no APPENDUID for %s: %r" % (name, answer))
    uid = int(m.group(1))
    first = first or uid
    out["append"].append([name, typ, uid - first + 1])


def value(data):
    """The answer to one item: literals joined, the UID and item name left out."""
    parts = []
    for d in data:
        if isinstance(d, tuple):
            parts.append(d[0].decode("utf-8", "replace"))
            parts.append(d[1].decode("utf-8", "replace"))
        elif d is not None:
            parts.append(d.decode("utf-8", "replace"))
    text = "".join(parts)
    return re.sub(r"^\d+ \(|UID \d+ ?", "", text)


for name, typ, rel in out["append"]:
    if rel is None:
        continue
    uid = rel + first - 1
    answers = {}
    for item in ITEMS:
        typ, data = imap.uid("FETCH", str(uid), "(" + item + ")")
        answers[item] = [typ, value(data)]
    out["fetch"][name] = answers

imap.uid("STORE", str(first + 1), "+FLAGS", "(\\Answered $Forwarded)")
imap.uid("STORE", str(first + 2), "-FLAGS", "(\\Seen)")
imap.uid("STORE", str(first + 4), "FLAGS", "(\\Deleted \\Draft)")
imap.uid("STORE", str(first + 6), "+FLAGS", "(\\Deleted)")
for criteria in SEARCHES:
    typ, data = imap.uid("SEARCH", None, criteria)
    uids = [int(u) - first + 1 for u in data[0].split()] if typ == "OK" else []
    out["search"][criteria] = [typ, sorted(uids)]
typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
flags = []
for d in data:
    m = re.search(rb"UID (\d+)", d or b"")
    f = re.search(rb"FLAGS \(([^)]*)\)", d or b"")
    if m and f:
        flags.append([int(m.group(1)) - first + 1, sorted(f.group(1).decode().split())])
out["flags"] = sorted(flags)
imap.expunge()
typ, data = imap.uid("SEARCH", None, "ALL")
out["after_expunge"] = sorted(int(u) - first + 1 for u in data[0].split())
imap.logout()
print(json.dumps(out, indent=1, sort_keys=True))
