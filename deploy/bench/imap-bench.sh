#!/usr/bin/env bash
# IMAP fetch benchmark: mbsync downloads COUNT messages from Kith (3 devices on loopback, vault
# write quorum 2) and from a private Dovecot on the same machine, in one run.
#
#   deploy/bench/imap-bench.sh [--count 10000] [--size 5120] [--keep] [--systems dovecot,kith]
#                              [--imap-device 1]
#
#   --count        messages in the mailbox (one INBOX)
#   --size         bytes of text per message (headers come on top)
#   --imap-device  which Kith device mbsync talks to (1, 2 or 3)
#
# For each system: mbsync first uploads the messages from a local Maildir (timed, reported as
# the upload), then a second mbsync, with an empty Maildir, downloads them all (timed: the
# benchmark). Each mbsync is Debian's isync, one channel, `Sync Push` then `Sync Pull`.
#
# Needs: root (Dovecot's mail belongs to the dovecot user), Debian's dovecot-imapd and isync,
# python3, java 17, curl, jq, and deploy/target/kith.jar built beforehand from the repository root
# with `mvn -q -DskipTests package`; this script builds nothing. Everything lives in a new
# temporary folder, on free ports; on exit it stops exactly what it started, by PID.
set -euo pipefail
shopt -s inherit_errexit

COUNT=10000
SIZE=5120
KEEP=0
SYSTEMS="dovecot,kith"
IMAP_DEVICE=1
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
PASSWORD="bench-imap-password"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --systems) SYSTEMS="$2"; shift 2 ;;
    --imap-device) IMAP_DEVICE="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "imap-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
has_system() { [[ ",$SYSTEMS," == *",$1,"* ]]; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH=imap-bench
# shellcheck source=deploy/bench/lib.sh
source "$ROOT/deploy/bench/lib.sh"
JAR="$ROOT/deploy/target/kith.jar"
for tool in java curl jq mbsync python3; do
  command -v "$tool" >/dev/null || { echo "imap-bench: $tool not found" >&2; exit 1; }
done
[ -x /usr/sbin/dovecot ] || { echo "imap-bench: /usr/sbin/dovecot not found (Debian's dovecot-imapd)" >&2; exit 1; }
[ -f "$JAR" ] || { echo "imap-bench: $JAR is missing; build it first with: mvn -q -DskipTests package" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "imap-bench: run as root (Dovecot's mail belongs to its own user)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/kith-imap-bench.XXXXXX)"
chmod 755 "$WORK"   # Dovecot's own users read its files under it
LOG="$WORK/bench.log"
MESH="imapbench$$"
DEVICE_PIDS=()
DOVECOT_PID=""

cleanup() {
  local status=$?
  set +e
  [ -n "$DOVECOT_PID" ] && stop_pid "$DOVECOT_PID"
  for pid in "${DEVICE_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" -eq 1 ] || [ "$status" -ne 0 ]; then echo "imap-bench: logs and data are in $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
TICKS_PER_SECOND=$(getconf CLK_TCK)

# The messages, once: a Maildir of COUNT messages of SIZE bytes of text each.
make_source() {
  python3 - "$WORK/source" "$COUNT" "$SIZE" <<'PY'
import os, sys
root, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(root, "INBOX", sub), exist_ok=True)
line = ("The quick brown fox jumps over the lazy dog. " * 2)[:78] + "\r\n"
body = (line * (size // len(line) + 1))[:size]
for i in range(count):
    msg = ("From: sender%d@bench.test\r\nTo: alice@example.org\r\nSubject: message %d\r\n"
           "Message-ID: <bench-%d@bench.test>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\n%s"
           % (i % 50, i, i, body))
    with open(os.path.join(root, "INBOX", "cur", "%08d.bench:2," % i), "w") as f:
        f.write(msg)
PY
}

# sync DIRECTION PORT MAILDIR: one mbsync run (push or pull) of INBOX; prints the seconds.
sync() {
  local direction="$1" port="$2" maildir="$3" rc="$WORK/mbsyncrc-$1-$2" start
  mkdir -p "$maildir" "$WORK/state-$1-$2"
  cat >"$rc" <<RC
IMAPAccount bench
Host 127.0.0.1
Port $port
User alice
Pass "$PASSWORD"
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path $maildir/
Inbox $maildir/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns INBOX
Create Both
Sync $( [ "$direction" = push ] && echo Push || echo Pull )
SyncState $WORK/state-$1-$2/
RC
  start=$(now)
  mbsync -c "$rc" -a >>"$WORK/mbsync-$direction-$port.log" 2>&1 || { tail -5 "$WORK/mbsync-$direction-$port.log" >&2; return 1; }
  elapsed "$start" "$(now)"
}

count_files() { find "$1/INBOX/cur" "$1/INBOX/new" -type f | wc -l; }

start_dovecot() {
  local d="$WORK/dovecot"
  DOVECOT_PORT=$(free_port 24143)
  mkdir -p "$d/run" "$d/state" "$d/mail" "$d/home"
  chown dovecot:dovecot "$d/mail" "$d/home"
  echo "alice:{PLAIN}$PASSWORD" >"$d/passwd"
  cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:$d/mail/%u
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  args = $d/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$d/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
  /usr/sbin/dovecot -c "$d/dovecot.conf"
  wait_for 20 "Dovecot's port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$DOVECOT_PORT"
  DOVECOT_PID=$(cat "$d/run/master.pid")
  say "dovecot: $(dovecot --version | cut -d' ' -f1), PID $DOVECOT_PID, port $DOVECOT_PORT"
}

start_kith() {
  local i home join
  for i in 1 2 3; do
    HTTP_PORTS+=("$(free_port $((18180 + i)))")
    CLUSTER_PORTS+=("$(free_port $((15900 + i)))")
    IMAP_PORTS+=("$(free_port $((11430 + i)))")
  done
  join="127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}"
  java -jar "$JAR" init --home "$WORK/d1" --name d1.alice --mesh "$MESH" --public-host 127.0.0.1 \
    --owner alice <<<"$PASSWORD" >>"$LOG" 2>&1
  for i in 2 3; do
    java -jar "$JAR" init --home "$WORK/d$i" --name "d$i.alice" --mesh "$MESH" \
      --public-host 127.0.0.1 --ca-home "$WORK/d1" >>"$LOG" 2>&1
  done
  for i in 1 2 3; do
    home="$WORK/d$i"
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
    java $JAVA_OPTS -jar "$JAR" --name "d$i.alice" --home "$home" --mesh "$MESH" \
      --http-port "${HTTP_PORTS[$((i - 1))]}" --cluster-port "${CLUSTER_PORTS[$((i - 1))]}" \
      --public-host 127.0.0.1 --join "$join" --smtp-port 0 \
      --imap-port "${IMAP_PORTS[$((i - 1))]}" --imaps-port 0 --mail-domain example.org \
      --power mains </dev/null >"$home/device.log" 2>&1 &
    DEVICE_PIDS+=("$!")
  done
  for i in 1 2 3; do
    wait_for 180 "d$i.alice's /ready" curl -fsS "http://127.0.0.1:${HTTP_PORTS[$((i - 1))]}/ready"
  done
  wait_for 120 "alice's mail service" mail_device
  say "kith: devices d1..d3.alice, PIDs ${DEVICE_PIDS[*]}, IMAP ${IMAP_PORTS[*]}; alice's mail runs on $(mail_device)"
}
mail_device() {
  curl -fsS -H "Authorization: Bearer $(cat "$WORK/d1/trust/operator.token")" \
    "http://127.0.0.1:${HTTP_PORTS[0]}/api/mesh/services" |
    jq -er '[.. | objects | select(.service? == "mail" and .owner? == "alice" and .state? == "running")][0].device'
}

# measure NAME PORT [PIDS...]: upload then download through PORT; prints a result line.
measure() {
  local name="$1" port="$2" up down got ticks cpu
  shift 2
  up=$(sync push "$port" "$WORK/source")
  ticks=$( [ $# -gt 0 ] && cpu_ticks "$@" || echo 0)
  down=$(sync pull "$port" "$WORK/pull-$name")
  cpu=$( [ $# -gt 0 ] && awk -v t="$(( $(cpu_ticks "$@") - ticks ))" -v hz="$TICKS_PER_SECOND" -v n="$COUNT" 'BEGIN { printf "%.2f", t * 1000 / hz / n }' || echo "-")
  got=$(count_files "$WORK/pull-$name")
  [ "$got" -eq "$COUNT" ] || { echo "imap-bench: $name: downloaded $got of $COUNT" >&2; return 1; }
  say "$(printf '%-8s upload %7.2f s (%5s msg/s)   download %7.2f s (%6s msg/s)   server CPU %s ms/msg' \
    "$name" "$up" "$(rate "$COUNT" "$up")" "$down" "$(rate "$COUNT" "$down")" "$cpu")"
  eval "DOWN_$name=$down"
}

say "imap-bench: $COUNT messages of $SIZE bytes; $(nproc) cores; work folder $WORK"
make_source
HTTP_PORTS=(); CLUSTER_PORTS=(); IMAP_PORTS=()
if has_system dovecot; then start_dovecot; measure dovecot "$DOVECOT_PORT"; fi
if has_system kith; then start_kith; measure kith "${IMAP_PORTS[$((IMAP_DEVICE - 1))]}" "${DEVICE_PIDS[@]}"; fi
if has_system dovecot && has_system kith; then
  say "kith/dovecot download rate: $(awk -v k="$DOWN_kith" -v d="$DOWN_dovecot" 'BEGIN { printf "%.2fx", d / k }')"
fi
