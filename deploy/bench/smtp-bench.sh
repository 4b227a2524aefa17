#!/usr/bin/env bash
# SMTP ingest benchmark: Kith (3 devices on loopback, vault write quorum 2; or one) against a private
# Postfix instance on the same machine, driven by Postfix's smtp-source in one run.
#
#   deploy/bench/smtp-bench.sh [--counts "2000 5000"] [--sessions 20] [--size 5120]
#                              [--warmup 5000] [--reuse] [--keep] [--systems postfix,kith]
#                              [--quorum 2] [--smtp-device 1] [--kith-dir DIR] [--profile]
#                              [--devices 3]
#
#   --reuse        smtp-source -d: several messages per connection (default: one per connection)
#   --quorum N     Kith's --vault-write-quorum (the benchmark is 2; 1 is for comparison)
#   --smtp-device  which device's SMTP edge smtp-source connects to (1, 2 or 3)
#   --devices N    how many Kith devices (3, or 1: a mesh of one, whose quorum is 1)
#   --kith-dir     where the device homes go (default: the temporary folder); /dev/shm takes the
#                  disk out of Kith's path, an experiment to see what the fsyncs cost
#   --profile      records each device with Java Flight Recorder from the warm-up to the end,
#                  into dN.jfr in the temporary folder (kept)
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
# started: the device JVMs by their PIDs, and the Postfix instance with `postfix -c DIR stop`
# (then its master's PID, if it is still there). Nothing listens on port 25.
set -euo pipefail
shopt -s inherit_errexit   # command substitutions stop at a failure too

# ---------------------------------------------------------------------------------------------
# Settings (each has a flag; see usage).
COUNTS="2000 5000"        # messages per measured run, one run per count and system
SESSIONS=20               # smtp-source -s: parallel SMTP sessions
SIZE=5120                 # smtp-source -l: payload bytes per message (headers come on top)
WARMUP=5000               # messages sent to each system first, untimed (the JIT warms up)
REUSE=""                  # --reuse: smtp-source -d, several messages per connection
KEEP=0                    # --keep: leave the temporary folder (logs, homes, queue) behind
SYSTEMS="postfix,kith"    # which systems to measure
QUORUM=2                  # Kith's vault write quorum
SMTP_DEVICE=1             # the Kith device smtp-source connects to
DEVICES=3                 # --devices: how many Kith devices
KITH_DIR=""               # where the device homes go (default: $WORK)
PROFILE=0                 # --profile: JFR recordings of the measured Kith runs
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
SENDER="load@bench.test"
RECIPIENT="alice@example.org"

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
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
    --quorum) QUORUM="$2"; shift 2 ;;
    --smtp-device) SMTP_DEVICE="$2"; shift 2 ;;
    --devices) DEVICES="$2"; shift 2 ;;
    --kith-dir) KITH_DIR="$2"; shift 2 ;;
    --profile) PROFILE=1; KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "smtp-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

has_system() { [[ ",$SYSTEMS," == *",$1,"* ]]; }
case "$DEVICES" in
  1) QUORUM=1 ;;
  3) ;;
  *) echo "smtp-bench: --devices is 1 or 3" >&2; exit 2 ;;
esac

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
if [ -n "$KITH_DIR" ]; then
  mkdir -p "$KITH_DIR"
  KITH_HOMES="$(mktemp -d "$KITH_DIR/kith-smtp-bench.XXXXXX")"
else
  KITH_HOMES="$WORK"
fi
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
    echo "smtp-bench: logs, homes and queues are in $WORK${KITH_DIR:+ and $KITH_HOMES}"
  else
    rm -rf "$WORK"
    if [ "$KITH_HOMES" != "$WORK" ]; then rm -rf "$KITH_HOMES"; fi
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

# cpu_ticks PID...: CPU time (user + system, in clock ticks) of the processes and of their reaped
# children. Postfix's master reaps its daemons, so master plus its live children counts all of
# Postfix, however many daemons come and go during a run.
cpu_ticks() {
  local pid total=0 t
  for pid in "$@"; do
    # Fields after the ")" that ends the command name: utime is the 12th, cutime the 14th.
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
TICKS_PER_SECOND=$(getconf CLK_TCK)
cpu_ms_per_message() {  # cpu_ms_per_message TICKS COUNT
  awk -v t="$1" -v hz="$TICKS_PER_SECOND" -v n="$2" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'
}
# machine_ticks: busy and total CPU ticks of the whole machine (other processes included), from
# /proc/stat; busy_cores START END: how many cores were busy on average in between.
machine_ticks() { head -1 /proc/stat | awk '{ b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }'; }
busy_cores() {
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$1"
  read -r b1 t1 <<<"$2"
  awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN { printf "%.2f", t ? b * n / t : 0 }'
}
postfix_pids() { echo "$POSTFIX_MASTER_PID" $(pgrep -P "$POSTFIX_MASTER_PID" || true); }

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
m0=$(machine_ticks); sleep 3
say "machine busy before the run (other processes): $(busy_cores "$m0" "$(machine_ticks)") of $(nproc) cores over 3 s"
say "work folder: $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }'))"
if has_system kith; then
  say "kith device homes: $KITH_HOMES ($(df -T "$KITH_HOMES" | awk 'NR == 2 { print $2 " on " $1 }'))"
fi
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

# postfix_run COUNT: times smtp-source (all 250s) and, separately, until the maildir has them all;
# also prints Postfix's CPU milliseconds per message (queueing and delivery).
postfix_run() {
  local count="$1" before start accepted target ticks machine busy
  before=$(postfix_delivered)
  target=$((before + count))
  # shellcheck disable=SC2046 # one PID per word
  ticks=$(cpu_ticks $(postfix_pids))
  machine=$(machine_ticks)
  start=$(now)
  accepted=$(source_run "$POSTFIX_PORT" "$count") || return 1
  busy=$(busy_cores "$machine" "$(machine_ticks)")
  wait_for 300 "Postfix to deliver $count messages" delivered_at_least "$target"
  # shellcheck disable=SC2046
  ticks=$(( $(cpu_ticks $(postfix_pids)) - ticks ))
  echo "$accepted $(elapsed "$start" "$(now)") $(cpu_ms_per_message "$ticks" "$count") $busy"
}

# ---------------------------------------------------------------------------------------------
# Kith: three devices d1..d3.alice on loopback (or one), one mesh, W=2, SMTP on every device.
MESH="smtpbench-$(date +%s)-$$"
PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
HTTP_PORTS=()
CLUSTER_PORTS=()
SMTP_PORTS=()
ACCESS_TOKEN=""

start_kith() {
  local i home join
  for i in $(seq 1 "$DEVICES"); do
    HTTP_PORTS+=("$(free_port $((18080 + i)))")
    CLUSTER_PORTS+=("$(free_port $((15800 + i)))")
    SMTP_PORTS+=("$(free_port $((12524 + i)))")
  done
  join=$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")
  join="${join%,}"
  # Trust files, offline: d1 creates the mesh (its CA) and alice, an administrator, whose password
  # init reads from stdin; d2 and d3 get certificates from d1's CA (kith init --ca-home).
  java -jar "$JAR" init --home "$KITH_HOMES/d1" --name d1.alice --mesh "$MESH" --public-host 127.0.0.1 \
    --owner alice <<<"$PASSWORD" >>"$LOG" 2>&1
  for i in $(seq 2 "$DEVICES"); do
    java -jar "$JAR" init --home "$KITH_HOMES/d$i" --name "d$i.alice" --mesh "$MESH" \
      --public-host 127.0.0.1 --ca-home "$KITH_HOMES/d1" >>"$LOG" 2>&1
  done
  for i in $(seq 1 "$DEVICES"); do
    home="$KITH_HOMES/d$i"
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
    java $JAVA_OPTS -jar "$JAR" --name "d$i.alice" --home "$home" --mesh "$MESH" \
      --http-port "${HTTP_PORTS[$((i - 1))]}" --cluster-port "${CLUSTER_PORTS[$((i - 1))]}" \
      --public-host 127.0.0.1 --join "$join" \
      --smtp-port "${SMTP_PORTS[$((i - 1))]}" --imap-port 0 --imaps-port 0 --mail-domain example.org \
      --power mains --vault-write-quorum "$QUORUM" \
      </dev/null >"$home/device.log" 2>&1 &
    DEVICE_PIDS+=("$!")
  done
  say "kith: mesh $MESH; devices d1..d$DEVICES.alice, PIDs ${DEVICE_PIDS[*]}, HTTP ${HTTP_PORTS[*]}, SMTP ${SMTP_PORTS[*]}; vault write quorum $QUORUM"
  for i in $(seq 1 "$DEVICES"); do
    if ! wait_for 180 "d$i.alice's /ready" curl -fsS "http://127.0.0.1:${HTTP_PORTS[$((i - 1))]}/ready"; then
      tail -20 "$KITH_HOMES/d$i/device.log" >&2
      return 1
    fi
  done
  wait_for 120 "alice's mail service to run" mail_running
  say "kith: all $DEVICES devices ready; alice's mail runs on $(mail_device)"
  wait_for 60 "alice's login" login
}

# The mesh's services, as d1's operator sees them.
services() {
  curl -fsS -H "Authorization: Bearer $(cat "$KITH_HOMES/d1/trust/operator.token")" \
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

# alice's INBOX total, asked through the last device (any device answers for the mail service). A 503 (the
# mail service moving, a login waiting for a token key) is retried for up to 60 s.
inbox_once() {
  login
  curl -fsS -H "Authorization: Bearer $ACCESS_TOKEN" \
    "http://127.0.0.1:${HTTP_PORTS[$((DEVICES - 1))]}/api/mail/mailboxes" |
    jq -er '.mailboxes[] | select(.name == "INBOX") | .total'
}
inbox_total() {
  local i total
  for i in $(seq 1 60); do
    if total=$(inbox_once 2>/dev/null); then echo "$total"; return 0; fi
    echo "smtp-bench: reading alice's INBOX failed; retrying" >&2
    sleep 1
  done
  inbox_once
}

# settle: waits (up to 120 s) until the devices together use less than 40% of a core
# over 2 s, so that a run neither starts while the previous one's work still goes on (the third
# replica catching up, which a write with W=2 does not wait for) nor ends before that work is
# counted. Prints how many seconds it waited.
settle() {
  local start ticks i
  start=$(now)
  for i in $(seq 1 60); do
    ticks=$(cpu_ticks "${DEVICE_PIDS[@]}")
    sleep 2
    ticks=$(( $(cpu_ticks "${DEVICE_PIDS[@]}") - ticks ))
    if [ $((ticks * 1000 / TICKS_PER_SECOND / 2)) -lt 400 ]; then break; fi
  done
  elapsed "$start" "$(now)"
}

# kith_run COUNT: times smtp-source into one device's SMTP edge; prints the seconds, the INBOX
# growth, the devices' CPU milliseconds per message (counted until they are quiet again) and
# the seconds they took to get quiet after the run; "failed N - -" when smtp-source stopped on an
# unexpected reply (N: how many were filed all the same).
kith_run() {
  local count="$1" before after seconds ticks quiet machine busy
  settle >/dev/null
  before=$(inbox_total) || return 1
  ticks=$(cpu_ticks "${DEVICE_PIDS[@]}")
  machine=$(machine_ticks)
  if ! seconds=$(source_run "${SMTP_PORTS[$((SMTP_DEVICE - 1))]}" "$count"); then
    # smtp-source stops at the first reply it did not expect; say how many were filed by then.
    busy=$(busy_cores "$machine" "$(machine_ticks)")
    after=$(inbox_total) || after="$before"
    echo "failed $((after - before)) - - $busy"
    return 0
  fi
  busy=$(busy_cores "$machine" "$(machine_ticks)")
  after=$(inbox_total) || return 1
  # The CPU counts until the devices are quiet again: the third replica's copy is part of the cost.
  quiet=$(settle)
  ticks=$(( $(cpu_ticks "${DEVICE_PIDS[@]}") - ticks ))
  echo "$seconds $((after - before)) $(cpu_ms_per_message "$ticks" "$count") $quiet $busy"
}

# vault_counter NAME: the sum of a counter (every series of it) over the devices' /metrics.
vault_counter() {
  local port
  for port in "${HTTP_PORTS[@]}"; do
    curl -fsS "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { print $NF }'
  done | awk '{ s += $1 } END { printf "%d", s }'
}
# What the stores committed per message: transactions (each one sync of a log) and writes in them.
commits_report() {
  awk -v c="$commits" -v w="$writes" -v n="$count" \
    'BEGIN { printf "%.2f vault commits per message (%.2f writes each)", c / n, c ? w / c : 0 }'
  printf '; %d suspicion(s) and %d service move(s) during the run' "$suspicions" "$failovers"
}

# Each device's CPU time per thread group (JIT compiler, GC, event loops, vault workers, SMTP
# sessions) over the measured runs, which JFR's samples of Java code do not show.
thread_ticks() {  # thread_ticks PID: "group user-ticks system-ticks", digits dropped from names
  local task
  for task in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr -d '0-9 ' 2>/dev/null <"$task/comm")" \
      "$(sed 's/^.*) //' "$task/stat" 2>/dev/null | awk '{ print $12, $13 }')"
  done | awk 'NF == 3 { u[$1] += $2; s[$1] += $3 } END { for (g in u) print g, u[g], s[g] }'
}
threads_snapshot() {  # threads_snapshot before|after
  local i
  for i in $(seq 1 "$DEVICES"); do thread_ticks "${DEVICE_PIDS[$((i - 1))]}" >"$WORK/d$i.threads-$1"; done
}
threads_report() {
  local i
  for i in $(seq 1 "$DEVICES"); do
    say "kith: d$i.alice CPU seconds (of which system) by thread group over the measured runs:" \
      "$(awk -v hz="$TICKS_PER_SECOND" 'NR == FNR { bu[$1] = $2; bs[$1] = $3; next }
            { u[$1] = $2 - bu[$1]; s[$1] = $3 - bs[$1]; total += u[$1] + s[$1] }
            END { for (g in u) if ((u[g] + s[g]) * 100 >= total * 2)
                    printf "%s %.1f (%.1f); ", g, (u[g] + s[g]) / hz, s[g] / hz
                  printf "total %.1f", total / hz }' \
        "$WORK/d$i.threads-before" "$WORK/d$i.threads-after")"
  done
}

# --profile: Java Flight Recorder on every device, from before the warm-up (starting a recording
# makes the JIT recompile for a while) to the end.
jfr() {  # jfr start|stop
  local i pid
  for i in $(seq 1 "$DEVICES"); do
    pid="${DEVICE_PIDS[$((i - 1))]}"
    if [ "$1" = start ]; then
      jcmd "$pid" JFR.start name=smtpbench settings=profile >>"$LOG" 2>&1
    else
      jcmd "$pid" JFR.stop name=smtpbench filename="$WORK/d$i.jfr" >>"$LOG" 2>&1
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# The run: start both, warm both up, then for each count Postfix and then Kith.
if has_system postfix; then start_postfix; fi
if has_system kith; then start_kith; fi

if [ "$PROFILE" -eq 1 ] && has_system kith; then
  jfr start
  say "profile: JFR recording on every device"
fi

if [ "$WARMUP" -gt 0 ]; then
  say "warm-up: $WARMUP messages to each system, untimed"
  if has_system postfix; then postfix_run "$WARMUP" >/dev/null; fi
  if has_system kith; then
    out=$(kith_run "$WARMUP")
    if [[ "$out" == failed* ]]; then say "kith: the warm-up failed: $(tail -1 "$WORK/smtp-source.log")"; fi
  fi
fi

# What the devices burn doing nothing (gossip, heartbeats, anti-entropy), for reading the CPU per
# message: over a 10 s window with no mail, once they are quiet after the warm-up.
if has_system kith; then
  say "kith: quiet $(settle) s after the warm-up"
  idle_ticks=$(cpu_ticks "${DEVICE_PIDS[@]}")
  sleep 10
  idle_ticks=$(( $(cpu_ticks "${DEVICE_PIDS[@]}") - idle_ticks ))
  say "kith: idle, the $DEVICES devices use $(awk -v t="$idle_ticks" -v hz="$TICKS_PER_SECOND" 'BEGIN { printf "%.0f", t * 1000 / hz / 10 }') ms of CPU per second"
fi

if has_system kith; then threads_snapshot before; fi
RESULTS=()
FAILURES=0
for count in $COUNTS; do
  pf_rate="-"; pf_s="-"; pf_del="-"; pf_cpu="-"; pf_busy="-"
  kith_rate="-"; kith_s="-"; inbox="-"; kith_cpu="-"; kith_busy="-"
  ratio="-"
  if has_system postfix; then
    out=$(postfix_run "$count")
    read -r pf_s pf_del pf_cpu pf_busy <<<"$out"
    pf_rate=$(rate "$count" "$pf_s")
    say "postfix: $count messages accepted in $pf_s s ($pf_rate msg/s); all in the maildir after $pf_del s; $pf_cpu ms CPU per message; machine busy $pf_busy of $(nproc) cores"
  fi
  if has_system kith; then
    commits_before=$(vault_counter kith_vault_commits_total)
    writes_before=$(vault_counter kith_vault_committed_writes_total)
    suspicions_before=$(vault_counter kith_suspicions_total)
    failovers_before=$(vault_counter kith_failovers_total)
    out=$(kith_run "$count")
    commits=$(( $(vault_counter kith_vault_commits_total) - commits_before ))
    writes=$(( $(vault_counter kith_vault_committed_writes_total) - writes_before ))
    suspicions=$(( $(vault_counter kith_suspicions_total) - suspicions_before ))
    failovers=$(( $(vault_counter kith_failovers_total) - failovers_before ))
    read -r kith_s inbox kith_cpu kith_quiet kith_busy <<<"$out"
    if [ "$kith_s" = failed ]; then
      FAILURES=$((FAILURES + 1))
      kith_rate="-"
      say "kith:    $count messages into d$SMTP_DEVICE FAILED: $(tail -1 "$WORK/smtp-source.log"); INBOX grew by $inbox; machine busy $kith_busy of $(nproc) cores"
    else
      kith_rate=$(rate "$count" "$kith_s")
      say "kith:    $count messages into d$SMTP_DEVICE accepted in $kith_s s ($kith_rate msg/s); INBOX grew by $inbox; $kith_cpu ms CPU per message ($DEVICES devices, until quiet $kith_quiet s after); $(commits_report); machine busy $kith_busy of $(nproc) cores"
      if [ "$inbox" -ne "$count" ]; then
        FAILURES=$((FAILURES + 1))
        say "kith:    MISMATCH: $count messages got 250 but INBOX grew by $inbox"
      fi
    fi
  fi
  if has_system postfix && has_system kith && [ "$kith_rate" != "-" ]; then
    ratio=$(awk -v k="$kith_rate" -v p="$pf_rate" 'BEGIN { printf "%.2fx", k / p }')
  fi
  RESULTS+=("| $count | $SESSIONS | $pf_s | $pf_rate | $pf_del | $pf_cpu | $pf_busy | $kith_s | $kith_rate | $inbox | $kith_cpu | $kith_busy | $ratio |")
done

if has_system kith; then
  threads_snapshot after
  threads_report
fi
if [ "$PROFILE" -eq 1 ] && has_system kith; then
  jfr stop
  say "profile: recordings in $WORK/d1.jfr, d2.jfr, d3.jfr"
fi

say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "| messages | sessions | Postfix s (250s) | Postfix msg/s | Postfix s (in maildir) | Postfix CPU ms/msg | busy cores | Kith s | Kith msg/s | Kith INBOX growth | Kith CPU ms/msg | busy cores | Kith / Postfix |"
say "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for row in "${RESULTS[@]}"; do say "$row"; done
if [ "$FAILURES" -gt 0 ]; then
  say "smtp-bench: $FAILURES Kith run(s) failed or did not file every accepted message"
  exit 1
fi
