#!/usr/bin/env bash
# SMTP ingest benchmark: Kith (3 devices on loopback, vault write quorum 2) against a private
# Postfix instance on the same machine, driven by Postfix's smtp-source in one run.
#
#   deploy/bench/smtp-bench.sh [--counts "2000 5000"] [--sessions 20] [--size 5120]
#                              [--warmup 500] [--reuse] [--keep] [--systems postfix,kith]
#
# Needs: root (Postfix's master runs as root), Debian's postfix package (smtp-source, postfix,
# postconf), java 17, curl, jq, and deploy/target/kith.jar built beforehand from the repository
# root with `mvn -q -DskipTests package`; this script builds nothing.
#
# What each 250 means:
#   - Kith: the message is filed in alice's mailbox: the message object and its index record are
#     in her vault on 2 of 3 replicas (--vault-write-quorum 2), each fsynced there.
#   - Postfix: Postfix's cleanup daemon has written the queue file and fsynced it (Postfix's default
#     behaviour, unchanged here). Delivery into a maildir (virtual(8), which fsyncs each file)
#     follows asynchronously; the script also times until every message is in the maildir.
#
# Everything lives in a new temporary folder (printed at the start; removed at the end unless
# --keep), on fresh free ports, so the script is safe to re-run. On exit it stops exactly what it
# started: the three device JVMs by their PIDs, and the Postfix instance with `postfix -c DIR stop`
# (then its master's PID, if it is still there). Nothing listens on port 25.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Settings (each has a flag; see usage).
COUNTS="2000 5000"        # messages per measured run, one run per count and system
SESSIONS=20               # smtp-source -s: parallel SMTP sessions
SIZE=5120                 # smtp-source -l: payload bytes per message (headers come on top)
WARMUP=500                # messages sent to each system first, untimed (the JIT warms up)
REUSE=""                  # --reuse: smtp-source -d, several messages per connection
KEEP=0                    # --keep: leave the temporary folder (logs, homes, queue) behind
SYSTEMS="postfix,kith"    # which systems to measure
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
SENDER="load@bench.test"
RECIPIENT="alice@example.org"

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --counts) COUNTS="$2"; shift 2 ;;
    --sessions) SESSIONS="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --reuse) REUSE="-d"; shift ;;
    --keep) KEEP=1; shift ;;
    --systems) SYSTEMS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "smtp-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

has_system() { [[ ",$SYSTEMS," == *",$1,"* ]]; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/deploy/target/kith.jar"

# ---------------------------------------------------------------------------------------------
# Preconditions: say what is missing instead of failing half-way.
missing=0
for tool in java curl jq smtp-source postfix postconf ss awk; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "smtp-bench: $tool not found (smtp-source, postfix and postconf come with Debian's postfix package)" >&2
    missing=1
  fi
done
if has_system kith && [ ! -f "$JAR" ]; then
  echo "smtp-bench: $JAR is missing; build it first from $ROOT with: mvn -q -DskipTests package" >&2
  missing=1
fi
if has_system postfix && [ "$(id -u)" -ne 0 ]; then
  echo "smtp-bench: Postfix's master must start as root; run as root or with --systems kith" >&2
  missing=1
fi
[ "$missing" -eq 0 ] || exit 1

WORK="$(mktemp -d /tmp/kith-smtp-bench.XXXXXX)"
chmod 755 "$WORK"   # Postfix's unprivileged daemons and the maildir's owner must traverse it
LOG="$WORK/bench.log"

# ---------------------------------------------------------------------------------------------
# Cleanup: only what this run started, by PID, on any exit.
DEVICE_PIDS=()
POSTFIX_CONF=""
POSTFIX_MASTER_PID=""

stop_pid() {  # stop_pid PID: SIGTERM, up to 20 s for a clean exit, then SIGKILL
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "smtp-bench: PID $pid did not stop in 20 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  if [ -n "$POSTFIX_CONF" ]; then
    postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1
    if [ -n "$POSTFIX_MASTER_PID" ]; then
      for _ in $(seq 1 100); do kill -0 "$POSTFIX_MASTER_PID" 2>/dev/null || break; sleep 0.1; done
      stop_pid "$POSTFIX_MASTER_PID"
    fi
  fi
  for pid in "${DEVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${DEVICE_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" -eq 1 ] || [ "$status" -ne 0 ]; then
    echo "smtp-bench: logs, homes and queues are in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Helpers.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s }'; }
say() { echo "$*" | tee -a "$LOG"; }

port_free() { [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

# free_port BASE: the first port from BASE up that nothing listens on and this run has not taken.
TAKEN_PORTS=" "
free_port() {
  local p="$1"
  while ! port_free "$p" || [[ "$TAKEN_PORTS" == *" $p "* ]]; do p=$((p + 1)); done
  TAKEN_PORTS="$TAKEN_PORTS$p "
  echo "$p"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local seconds="$1" what="$2" deadline
  shift 2
  deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "smtp-bench: gave up after ${seconds} s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# source_run PORT COUNT: runs smtp-source, prints the seconds it took; fails if smtp-source did
# (it aborts on any reply other than the expected 2xx/3xx, so a 4xx from the server shows here).
source_run() {
  local port="$1" count="$2" start end
  start=$(now)
  if ! smtp-source $REUSE -s "$SESSIONS" -m "$count" -l "$SIZE" -f "$SENDER" -t "$RECIPIENT" \
      "127.0.0.1:$port" >>"$WORK/smtp-source.log" 2>&1; then
    echo "smtp-bench: smtp-source to port $port failed:" >&2
    tail -5 "$WORK/smtp-source.log" >&2
    return 1
  fi
  end=$(now)
  elapsed "$start" "$end"
}

# ---------------------------------------------------------------------------------------------
# The machine and the versions.
say "== SMTP ingest benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "work folder: $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }'))"
say "java: $(java -version 2>&1 | head -1); JAVA_OPTS=$JAVA_OPTS"
say "postfix: $(postconf -d -h mail_version 2>/dev/null) (smtp-source from the same package)"
say "kith: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) ($(git -C "$ROOT" rev-parse --abbrev-ref HEAD 2>/dev/null || echo '?'))$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', with uncommitted changes')"
say "smtp-source: -s $SESSIONS -l $SIZE ${REUSE:+-d (connections reused) }-f $SENDER -t $RECIPIENT; counts: $COUNTS; warm-up: $WARMUP"

# ---------------------------------------------------------------------------------------------
# Postfix: a private instance with its own configuration, queue and maildir under $WORK.
POSTFIX_PORT=""
postfix_delivered() {  # messages in alice's maildir (virtual(8) creates it on the first one)
  local new="$WORK/postfix/vmail/alice/new"
  if [ -d "$new" ]; then find "$new" -type f | wc -l; else echo 0; fi
}
delivered_at_least() { [ "$(postfix_delivered)" -ge "$1" ]; }

start_postfix() {
  local pf="$WORK/postfix"
  POSTFIX_PORT=$(free_port 2526)
  mkdir -p "$pf/etc" "$pf/spool" "$pf/data" "$pf/vmail"
  # The package's master.cf, with no chroot (the queue folder is not set up as a jail) and
  # smtpd on 127.0.0.1:PORT instead of port 25.
  cp /etc/postfix/master.cf "$pf/etc/master.cf"
  : >"$pf/etc/main.cf"
  echo "$RECIPIENT alice/" >"$pf/etc/vmailbox"
  local c=(postconf -c "$pf/etc")
  "${c[@]}" -e \
    "compatibility_level=3.6" \
    "queue_directory=$pf/spool" "data_directory=$pf/data" \
    "mail_owner=postfix" "setgid_group=postdrop" \
    "myhostname=bench.localhost" "mydomain=localhost" "mydestination=" \
    "inet_interfaces=127.0.0.1" "inet_protocols=ipv4" "mynetworks=127.0.0.0/8" \
    "smtpd_peername_lookup=no" "disable_dns_lookups=yes" "smtp_dns_support_level=disabled" \
    "alias_maps=" "alias_database=" "biff=no" \
    "message_size_limit=26214400" \
    "virtual_mailbox_domains=example.org" "virtual_mailbox_base=$pf/vmail" \
    "virtual_mailbox_maps=texthash:$pf/etc/vmailbox" \
    "virtual_uid_maps=static:65534" "virtual_gid_maps=static:65534" \
    "maillog_file=$pf/maillog" "maillog_file_prefixes=$pf"
  "${c[@]}" -F '*/*/chroot = n'
  "${c[@]}" -X -M smtp/inet
  "${c[@]}" -Me "127.0.0.1:$POSTFIX_PORT/inet=127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd"
  chown postfix "$pf/data"
  chown 65534:65534 "$pf/vmail"
  POSTFIX_CONF="$pf/etc"
  postfix -c "$pf/etc" check
  postfix -c "$pf/etc" start >/dev/null
  wait_for 30 "Postfix's master PID" test -s "$pf/spool/pid/master.pid"
  POSTFIX_MASTER_PID=$(tr -d ' ' <"$pf/spool/pid/master.pid")
  wait_for 30 "Postfix on 127.0.0.1:$POSTFIX_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$POSTFIX_PORT"
  say "postfix: master PID $POSTFIX_MASTER_PID, smtpd on 127.0.0.1:$POSTFIX_PORT, queue $pf/spool, maildir $pf/vmail/alice"
}

# postfix_run COUNT: times smtp-source (all 250s) and, separately, until the maildir has them all.
postfix_run() {
  local count="$1" before start accepted target
  before=$(postfix_delivered)
  target=$((before + count))
  start=$(now)
  accepted=$(source_run "$POSTFIX_PORT" "$count")
  wait_for 300 "Postfix to deliver $count messages" delivered_at_least "$target"
  echo "$accepted $(elapsed "$start" "$(now)")"
}

# ---------------------------------------------------------------------------------------------
# Kith: three devices d1..d3.alice on loopback, one mesh, W=2, SMTP on every device.
MESH="smtpbench-$(date +%s)-$$"
PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
HTTP_PORTS=()
CLUSTER_PORTS=()
SMTP_PORTS=()
ACCESS_TOKEN=""

start_kith() {
  local i home join
  for i in 1 2 3; do
    HTTP_PORTS+=("$(free_port $((18080 + i)))")
    CLUSTER_PORTS+=("$(free_port $((15800 + i)))")
    SMTP_PORTS+=("$(free_port $((12524 + i)))")
  done
  join="127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}"
  # Trust files, offline: d1 creates the mesh (its CA) and alice, an administrator, whose password
  # init reads from stdin; d2 and d3 get certificates from d1's CA (kith init --ca-home).
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
      --public-host 127.0.0.1 --join "$join" \
      --smtp-port "${SMTP_PORTS[$((i - 1))]}" --mail-domain example.org \
      --power mains --vault-write-quorum 2 \
      </dev/null >"$home/device.log" 2>&1 &
    DEVICE_PIDS+=("$!")
  done
  say "kith: mesh $MESH; devices d1..d3.alice, PIDs ${DEVICE_PIDS[*]}, HTTP ${HTTP_PORTS[*]}, SMTP ${SMTP_PORTS[*]}"
  for i in 1 2 3; do
    if ! wait_for 180 "d$i.alice's /ready" curl -fsS "http://127.0.0.1:${HTTP_PORTS[$((i - 1))]}/ready"; then
      tail -20 "$WORK/d$i/device.log" >&2
      return 1
    fi
  done
  wait_for 120 "alice's mail service to run" mail_running
  say "kith: all three devices ready; alice's mail runs on $(mail_device)"
  wait_for 60 "alice's login" login
}

# The mesh's services, as d1's operator sees them.
services() {
  curl -fsS -H "Authorization: Bearer $(cat "$WORK/d1/trust/operator.token")" \
    "http://127.0.0.1:${HTTP_PORTS[0]}/api/mesh/services"
}
MAIL_SELECT='.. | objects | select(.service? == "mail" and .owner? == "alice" and .state? == "running")'
mail_running() { services | jq -e "[$MAIL_SELECT] | length > 0" >/dev/null; }
mail_device() { services | jq -r "[$MAIL_SELECT][0] | .device // .host // tostring"; }

login() {
  ACCESS_TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg p "$PASSWORD" '{owner: "alice", password: $p}')" \
    "http://127.0.0.1:${HTTP_PORTS[0]}/api/auth/login" | jq -er .token)
}

# alice's INBOX total, asked through d2 (any device answers for the mail service).
inbox_total() {
  login
  curl -fsS -H "Authorization: Bearer $ACCESS_TOKEN" \
    "http://127.0.0.1:${HTTP_PORTS[1]}/api/mail/mailboxes" |
    jq -er '.mailboxes[] | select(.name == "INBOX") | .total'
}

# kith_run COUNT: times smtp-source into d1's SMTP edge; prints the seconds and the INBOX growth.
kith_run() {
  local count="$1" before after seconds
  before=$(inbox_total)
  seconds=$(source_run "${SMTP_PORTS[0]}" "$count")
  after=$(inbox_total)
  echo "$seconds $((after - before))"
}

# ---------------------------------------------------------------------------------------------
# The run: start both, warm both up, then for each count Postfix and then Kith.
if has_system postfix; then start_postfix; fi
if has_system kith; then start_kith; fi

if [ "$WARMUP" -gt 0 ]; then
  say "warm-up: $WARMUP messages to each system, untimed"
  if has_system postfix; then postfix_run "$WARMUP" >/dev/null; fi
  if has_system kith; then kith_run "$WARMUP" >/dev/null; fi
fi

RESULTS=()
for count in $COUNTS; do
  pf_rate="-"; pf_s="-"; pf_del="-"; kith_rate="-"; kith_s="-"; inbox="-"; ratio="-"
  if has_system postfix; then
    out=$(postfix_run "$count")
    read -r pf_s pf_del <<<"$out"
    pf_rate=$(rate "$count" "$pf_s")
    say "postfix: $count messages accepted in $pf_s s ($pf_rate msg/s); all in the maildir after $pf_del s; load $(cut -d' ' -f1 /proc/loadavg)"
  fi
  if has_system kith; then
    out=$(kith_run "$count")
    read -r kith_s inbox <<<"$out"
    kith_rate=$(rate "$count" "$kith_s")
    say "kith:    $count messages accepted in $kith_s s ($kith_rate msg/s); INBOX grew by $inbox; load $(cut -d' ' -f1 /proc/loadavg)"
    if [ "$inbox" -ne "$count" ]; then
      say "kith:    MISMATCH: $count messages got 250 but INBOX grew by $inbox"
    fi
  fi
  if has_system postfix && has_system kith; then
    ratio=$(awk -v k="$kith_rate" -v p="$pf_rate" 'BEGIN { printf "%.2fx", k / p }')
  fi
  RESULTS+=("| $count | $SESSIONS | $pf_s | $pf_rate | $pf_del | $kith_s | $kith_rate | $inbox | $ratio |")
done

say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "| messages | sessions | Postfix s (250s) | Postfix msg/s | Postfix s (in maildir) | Kith s | Kith msg/s | Kith INBOX growth | Kith / Postfix |"
say "|---|---|---|---|---|---|---|---|---|"
for row in "${RESULTS[@]}"; do say "$row"; done
