#!/usr/bin/env python3
"""Asks a real Dovecot for FETCH answers on imap/messages/*.eml and writes dovecot-answers.tsv.

ImapMessageTest checks ImapMessage against that file. To redo it (as root, Debian):
    apt-get install dovecot-imapd
    python3 capture-dovecot-answers.py        # from this directory
No daemon and no port: Dovecot's imap binary runs in preauth mode on stdin/stdout as user
nobody, on a throwaway Maildir under /tmp, and is asked one FETCH per message and item
(dovecot-items.txt), one at a time, since Dovecot answers pipelined FETCHes out of order.
The answers are those of a settled mailbox (BODYSTRUCTURE fetched once before).
"""
import os
import re
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGES = os.path.join(HERE, 'messages')
ITEMS = [l.strip() for l in open(os.path.join(HERE, 'dovecot-items.txt')) if l.strip()]
HEADER = """# Dovecot {version} answers to FETCH for the messages in imap/messages/, one FETCH per
# message and item, one line each: file, item and the value (the literal's octets, the list
# after ENVELOPE/BODY/BODYSTRUCTURE, or the number), separated by tabs, with \\\\ \\r \\n \\t
# and \\xNN escapes. "!NO ..." is a tagged NO answer. Made by capture-dovecot-answers.py:
# Dovecot's imap binary in preauth mode on stdin/stdout over a throwaway Maildir holding those
# files, asked e.g. FETCH 4 (BODY[1.2.MIME]). Bare-LF mail is answered converted to CRLF there."""


def setup(root):
    maildir = os.path.join(root, 'home', 'Maildir')
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(maildir, sub))
    files = sorted(os.listdir(MESSAGES))
    for n, name in enumerate(files, 1):
        shutil.copy(os.path.join(MESSAGES, name), os.path.join(maildir, 'cur', '%d.M1P1.kith:2,S' % (1000 + n)))
    os.makedirs(os.path.join(root, 'run'))
    with open(os.path.join(root, 'dovecot.conf'), 'w') as conf:
        conf.write('protocols = imap\nssl = no\nfirst_valid_uid = 1\nfirst_valid_gid = 1\n'
                   'base_dir = %s/run\nlog_path = %s/dovecot.log\nmail_location = maildir:%s\n'
                   % (root, root, maildir))
    subprocess.run(['chown', '-R', 'nobody:nogroup', root], check=True)
    os.chmod(root, 0o755)
    return files


class Imap:
    def __init__(self, root):
        self.proc = subprocess.Popen(
            ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', '-i', 'USER=test',
             'HOME=%s/home' % root, '/usr/lib/dovecot/imap', '-c', '%s/dovecot.conf' % root],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b''

    def _fill(self):
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            raise EOFError('dovecot closed the connection')
        self.buf += chunk

    def _line(self):
        while b'\r\n' not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """One response: its lines, each literal's octets after the line announcing it."""
        parts = []
        while True:
            line = self._line()
            parts.append(line)
            m = re.search(rb'~?\{(\d+)\}$', line)
            if not m:
                return parts
            parts.append(self._bytes(int(m.group(1))))

    def command(self, tag, text):
        self.proc.stdin.write(b'%s %s\r\n' % (tag, text.encode()))
        self.proc.stdin.flush()
        untagged = []
        while True:
            r = self.response()
            if r[0].startswith(tag + b' '):
                return r[0], untagged
            untagged.append(r)

    def close(self):
        self.proc.stdin.write(b'z LOGOUT\r\n')
        self.proc.stdin.close()
        self.proc.wait()


def value(item, parts):
    """The answer to item from the FETCH response's parts."""
    if len(parts) == 3 and item not in ('ENVELOPE', 'BODY', 'BODYSTRUCTURE'):
        return parts[1]
    wire = b''
    for k, piece in enumerate(parts):
        wire += piece + (b'\r\n' if k % 2 == 0 and k + 1 < len(parts) else b'')
    if item.startswith(('BODY[', 'BINARY[')):
        m = re.match(rb'\* \d+ FETCH \(.*?\](?:<\d+>)? (.*)\)$', wire, re.S)
        return {b'NIL': b'', b'""': b''}.get(m.group(1), m.group(1))
    return re.match(rb'\* \d+ FETCH \(\S+ (.*)\)$', wire, re.S).group(1)


def escape(data):
    table = {0x5c: '\\\\', 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t'}
    return ''.join(table.get(x) or (chr(x) if 0x20 <= x < 0x7f else '\\x%02x' % x) for x in data)


def main():
    root = tempfile.mkdtemp(prefix='dovecot-answers-')
    version = subprocess.run(['dovecot', '--version'], capture_output=True, text=True).stdout.split()[0]
    try:
        files = setup(root)
        imap = Imap(root)
        imap.command(b'a', 'SELECT INBOX')
        # Dovecot answers the first BODY of a plain 7-bit message with the case the message has,
        # and every later one in its cached lower-case form: settle the cache first.
        imap.command(b'b', 'FETCH 1:* (BODYSTRUCTURE)')
        lines = HEADER.format(version=version).split('\n')
        count = 0
        for n, name in enumerate(files, 1):
            for item in ITEMS:
                count += 1
                status, untagged = imap.command(b'c%d' % count, 'FETCH %d (%s)' % (n, item))
                if b' OK ' not in status:
                    answer = b'!' + re.match(rb'\S+ (NO \[[A-Z-]+\])', status).group(1)
                else:
                    fetches = [u for u in untagged if b' FETCH (' in u[0] and not u[0].split(b'(')[1].startswith(b'FLAGS')]
                    answer = value(item, fetches[0])
                lines.append('%s\t%s\t%s' % (name, item, escape(answer)))
        imap.close()
        with open(os.path.join(HERE, 'dovecot-answers.tsv'), 'w') as out:
            out.write('\n'.join(lines) + '\n')
        print('%d answers' % count)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
