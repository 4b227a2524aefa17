#!/usr/bin/env bash
# Memory of a device that holds COUNT messages for alice, with SESSIONS IMAP sessions open on her
# INBOX: one device (a mesh of one, as `java -jar kith.jar` starts it), mail sent to it over SMTP,
# then SESSIONS imaplib sessions that log in and SELECT INBOX and stay open while the device's RSS,
# heap and threads are read.
#
#   deploy/bench/imap-memory.sh [--count 100000] [--sessions 20] [--size 2048] [--keep]
#
# Needs python3, java 17 (jcmd), curl, and deploy/target/kith.jar built beforehand with
# `mvn -q -DskipTests package`. Everything lives in a new temporary folder, on free ports; on exit
# it stops the device it started, by PID.
set -euo pipefail

COUNT=100000
SESSIONS=20
SIZE=2048
KEEP=0
JAVA_OPTS="${JAVA_OPTS:-}"
PASSWORD="bench-imap-memory"
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --sessions) SESSIONS="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "imap-memory: unknown option $1" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/deploy/target/kith.jar"
[ -f "$JAR" ] || { echo "imap-memory: $JAR is missing; build it with: mvn -q -DskipTests package" >&2; exit 1; }
WORK="$(mktemp -d /tmp/kith-imap-memory.XXXXXX)"
PID=""
cleanup() {
  local status=$?
  set +e
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; for _ in $(seq 1 200); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$PID" 2>/dev/null; fi
  if [ "$KEEP" -eq 1 ] || [ "$status" -ne 0 ]; then echo "imap-memory: logs and data are in $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { local p="$1"; while [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; do p=$((p + 1)); done; echo "$p"; }
HTTP=$(free_port 18380); CLUSTER=$(free_port 15980); SMTP=$(free_port 12580); IMAP=$(free_port 11480)

java -jar "$JAR" init --home "$WORK/home" --name d1.alice --mesh "memory$$" --public-host 127.0.0.1 \
  --owner alice <<<"$PASSWORD" >"$WORK/init.log" 2>&1
# shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
java $JAVA_OPTS -jar "$JAR" --name d1.alice --home "$WORK/home" --mesh "memory$$" --public-host 127.0.0.1 \
  --http-port "$HTTP" --cluster-port "$CLUSTER" --smtp-port "$SMTP" --imap-port "$IMAP" --imaps-port 0 \
  --mail-domain example.org --power mains </dev/null >"$WORK/device.log" 2>&1 &
PID=$!
for _ in $(seq 1 900); do curl -fsS "http://127.0.0.1:$HTTP/ready" >/dev/null 2>&1 && break; sleep 0.2; done
echo "imap-memory: device PID $PID, SMTP $SMTP, IMAP $IMAP, JAVA_OPTS '${JAVA_OPTS}'; sending $COUNT messages of $SIZE bytes"

python3 - "$SMTP" "$IMAP" "$COUNT" "$SIZE" "$SESSIONS" "$PASSWORD" "$PID" <<'PY'
import imaplib, smtplib, subprocess, sys, threading, time
smtp_port, imap_port, count, size, sessions, password, pid = sys.argv[1:8]
count, size, sessions = int(count), int(size), int(sessions)
body = ("x" * 76 + "\r\n") * (size // 78 + 1)
def sender(first, step):
    done = 0
    while first + done * step < count:
        try:
            with smtplib.SMTP("127.0.0.1", int(smtp_port), timeout=60) as s:
                for _ in range(100):
                    i = first + done * step
                    if i >= count:
                        return
                    msg = ("From: load@bench.test\r\nTo: alice@example.org\r\nSubject: m %d\r\n"
                           "Message-ID: <memory-%d@bench.test>\r\n\r\n%s" % (i, i, body[:size]))
                    s.sendmail("load@bench.test", ["alice@example.org"], msg)
                    done += 1
        except Exception as e:
            time.sleep(1)  # 451 while the mailbox starts, or a dropped connection: send again
start = time.time()
threads = [threading.Thread(target=sender, args=(k, 8)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("imap-memory: %d messages sent in %.0f s" % (count, time.time() - start), flush=True)
open_sessions = []
for _ in range(sessions):
    m = imaplib.IMAP4("127.0.0.1", int(imap_port))
    m.login("alice", password)
    typ, data = m.select("INBOX")
    open_sessions.append(m)
print("imap-memory: %d sessions have INBOX selected, %s messages in it" % (sessions, data[0].decode()), flush=True)
subprocess.run(["jcmd", pid, "GC.run"], capture_output=True)
time.sleep(2)
status = open("/proc/%s/status" % pid).read()
rss = [l for l in status.splitlines() if l.startswith(("VmRSS", "Threads"))]
heap = subprocess.run(["jcmd", pid, "GC.heap_info"], capture_output=True, text=True).stdout
print("imap-memory: " + ", ".join(" ".join(l.split()) for l in rss), flush=True)
print("\n".join("imap-memory: " + l.strip() for l in heap.splitlines()[1:4]), flush=True)
for m in open_sessions:
    m.logout()
PY
