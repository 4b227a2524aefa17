#!/usr/bin/env bash
# Chat benchmark: N XMPP clients, each sending a chat message every few seconds to another client,
# against Kith (three devices on loopback, one owner each) and against a private Prosody on the
# same machine, one after the other in one run; delivery latency and server CPU per message.
#
#   deploy/bench/chat-bench.sh [--clients 1000] [--interval 5] [--warmup 20] [--window 60]
#                              [--drain 10] [--systems prosody,kith] [--jar PATH]
#                              [--java-opts "OPTS"] [--login-concurrency 20] [--no-presence]
#                              [--sasl SCRAM-SHA-1|PLAIN] [--keep]
#
#   --clients      XMPP clients (resources), spread evenly over the three accounts and, for Kith,
#                  over the three devices' STARTTLS ports
#   --interval     seconds between two messages of one client (N / interval messages a second)
#   --warmup       seconds of sending before the measured window; --window: the measured seconds
#   --drain        seconds to wait after the window for its messages to arrive
#   --java-opts    the devices' JVM options (default: $JAVA_OPTS, else the project's defaults:
#                  docs/benchmarks.md, "The defaults"; MALLOC_ARENA_MAX=2 as well)
#   --no-presence  clients send no initial presence (no presence storm among the resources)
#   --sasl         SCRAM-SHA-1 (default), or PLAIN: Kith then checks the Argon2id hash at every
#                  login (slow logins; the window is not affected)
#   --keep         keep the work folder (device logs, Prosody's log, the generator's JSON)
#
# Accounts: alice, bob and carol, each with N/3 resources; in Kith they own the three devices
# d1.alice, d2.bob and d3.carol (chat runs only on its owner's own devices), and Prosody gets the
# same three accounts and resources. Every client sends to a fixed partner of another account, at
# its full JID. The load generator is deploy/bench/xmpp-load.py (see its header); server CPU is
# user + system time over the window from /proc/PID/stat: the three device JVMs, or the Prosody
# process (one, as Prosody runs).
#
# Needs: Debian's prosody (0.12), java 17, curl, jq, openssl, /usr/bin/python3, and for Kith
# deploy/target/kith.jar built beforehand from the repository root with
# `KITH_BASE_IMAGE=kith-base:local mvn -q -DskipTests package -pl deploy -am` (a jar with
# chat-verticle in it); this script builds nothing. Everything lives in a new temporary folder, on
# free loopback ports; on exit it stops exactly what it started, by PID.
set -euo pipefail
shopt -s inherit_errexit

CLIENTS=1000
INTERVAL=5
WARMUP=20
WINDOW=60
DRAIN=10
SYSTEMS="prosody,kith"
KEEP=0
LOGIN_CONCURRENCY=20
SASL=SCRAM-SHA-1
PRESENCE=()
JAVA_OPTS="${JAVA_OPTS:--XX:+UseSerialGC -Xms32m -XX:MaxRAMPercentage=25 -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -Xss512k -XX:+ExitOnOutOfMemoryError}"
PASSWORD="bench-chat-password"
DOMAIN="example.org"
OWNERS=(alice bob carol)
PYTHON=/usr/bin/python3

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/deploy/target/kith.jar"

usage() { sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS="$2"; shift 2 ;;
    --interval) INTERVAL="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --drain) DRAIN="$2"; shift 2 ;;
    --systems) SYSTEMS="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --login-concurrency) LOGIN_CONCURRENCY="$2"; shift 2 ;;
    --sasl) SASL="$2"; shift 2 ;;
    --no-presence) PRESENCE=(--no-presence); shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "chat-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$CLIENTS" "$WARMUP" "$WINDOW" "$DRAIN" "$LOGIN_CONCURRENCY"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "chat-bench: '$n' is not a whole number" >&2; exit 2; }
done
[[ "$INTERVAL" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "chat-bench: --interval '$INTERVAL' is not a number" >&2; exit 2; }
[ "$CLIENTS" -ge "${#OWNERS[@]}" ] || { echo "chat-bench: --clients must be at least ${#OWNERS[@]}" >&2; exit 2; }
has_system() { [[ ",$SYSTEMS," == *",$1,"* ]]; }
has_system kith || has_system prosody || { echo "chat-bench: --systems names neither kith nor prosody" >&2; exit 2; }

BENCH=chat-bench
# shellcheck source=deploy/bench/lib.sh
source "$ROOT/deploy/bench/lib.sh"
for tool in curl jq openssl; do
  command -v "$tool" >/dev/null || { echo "chat-bench: $tool not found" >&2; exit 1; }
done
[ -x "$PYTHON" ] || { echo "chat-bench: $PYTHON not found" >&2; exit 1; }
if has_system prosody; then
  for tool in prosody prosodyctl; do
    command -v "$tool" >/dev/null || { echo "chat-bench: $tool not found (Debian's prosody)" >&2; exit 1; }
  done
fi
if has_system kith; then
  command -v java >/dev/null || { echo "chat-bench: java not found" >&2; exit 1; }
  [ -f "$JAR" ] || { echo "chat-bench: $JAR is missing; build it first with: KITH_BASE_IMAGE=kith-base:local mvn -q -DskipTests package -pl deploy -am" >&2; exit 1; }
  "$PYTHON" -c 'import sys, zipfile; sys.exit("dev/kith/chat/ChatService.class" not in zipfile.ZipFile(sys.argv[1]).namelist())' "$JAR" \
    || { echo "chat-bench: $JAR has no chat (built before chat-verticle); build it again" >&2; exit 1; }
fi
# Every client is a socket in the generator and one in a server.
[ "$(ulimit -n)" -ge $((CLIENTS + 200)) ] || ulimit -n $((CLIENTS * 2 + 1000)) 2>/dev/null \
  || { echo "chat-bench: $CLIENTS clients need more open files than ulimit -n $(ulimit -n)" >&2; exit 1; }

# The devices' homes and logs are the owner's only (a device warns about, and fixes, wider modes).
umask 077
WORK="$(mktemp -d /tmp/kith-chat-bench.XXXXXX)"
LOG="$WORK/bench.log"
MESH="chatbench$$"
DEVICE_PIDS=()
PROSODY_PID=""
ATTENTION=0

cleanup() {
  local status=$?
  set +e
  [ -z "$PROSODY_PID" ] || stop_pid "$PROSODY_PID"
  for pid in "${DEVICE_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" -eq 1 ] || [ "$status" -ne 0 ] || [ "$ATTENTION" -ne 0 ]; then
    echo "chat-bench: logs and data are in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

accounts() { local o s=""; for o in "${OWNERS[@]}"; do s+="${s:+,}$o:$PASSWORD"; done; echo "$s"; }

# load NAME TARGETS PIDS: one run of the generator; its JSON goes to $WORK/NAME.json.
load() {
  local name="$1" targets="$2" pids="$3"
  if ! "$PYTHON" "$ROOT/deploy/bench/xmpp-load.py" --label "$name" --targets "$targets" \
    --domain "$DOMAIN" --accounts "$(accounts)" --clients "$CLIENTS" --interval "$INTERVAL" \
    --warmup "$WARMUP" --window "$WINDOW" --drain "$DRAIN" --pids "$pids" \
    --login-concurrency "$LOGIN_CONCURRENCY" --sasl "$SASL" "${PRESENCE[@]}" --out "$WORK/$name.json" \
    >/dev/null 2> >(tee -a "$LOG" >&2); then
    echo "chat-bench: the load against $name failed" >&2
    return 1
  fi
}

start_prosody() {
  local d="$WORK/prosody" o
  PROSODY_PORT=$(free_port 25322)
  PROSODY_TLS_PORT=$(free_port 25323)
  mkdir -p "$d/data"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$DOMAIN" -addext "subjectAltName=DNS:$DOMAIN" \
    -keyout "$d/$DOMAIN.key" -out "$d/$DOMAIN.crt" >>"$LOG" 2>&1
  # The modules a client of this benchmark touches, and what Kith offers beside them (carbons,
  # MAM archiving every chat message, stream management, ping), with the storage Debian's package
  # can use without more packages (internal: files). The archive's quota per account (10,000
  # messages by default, after which every message makes it rewrite its file) is raised: three
  # accounts carry all the load here, which no one account would get in a family's mesh.
  cat >"$d/prosody.cfg.lua" <<CFG
$( [ "$(id -u)" = 0 ] && echo 'run_as_root = true' )
data_path = "$d/data"
pidfile = "$d/prosody.pid"
log = { warn = "$d/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { $PROSODY_PORT }
c2s_direct_tls_ports = { $PROSODY_TLS_PORT }
s2s_ports = { }
http_ports = { }
https_ports = { }
certificates = "$d"
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
default_archive_policy = true
storage_archive_item_limit = 10000000
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "carbons"; "mam"; "smacks"; "ping" }
modules_disabled = { "s2s" }
VirtualHost "$DOMAIN"
  ssl = { certificate = "$d/$DOMAIN.crt"; key = "$d/$DOMAIN.key" }
CFG
  for o in "${OWNERS[@]}"; do
    prosodyctl --config "$d/prosody.cfg.lua" register "$o" "$DOMAIN" "$PASSWORD" >>"$LOG" 2>&1 \
      || { echo "chat-bench: prosodyctl register $o failed:" >&2; tail -5 "$LOG" >&2; return 1; }
  done
  prosody --config "$d/prosody.cfg.lua" -F >>"$d/stdout.log" 2>&1 &
  PROSODY_PID=$!
  if ! wait_for 30 "Prosody's port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROSODY_PORT"; then
    cat "$d/stdout.log" "$d/prosody.log" >&2 2>/dev/null || true
    return 1
  fi
  say "prosody: $(prosodyctl --config "$d/prosody.cfg.lua" about 2>/dev/null | awk '/^Prosody/ { print $2; exit }'), PID $PROSODY_PID, c2s 127.0.0.1:$PROSODY_PORT (STARTTLS), one process"
}

start_kith() {
  local i home join token o
  for i in 1 2 3; do
    HTTP_PORTS+=("$(free_port $((18280 + i)))")
    CLUSTER_PORTS+=("$(free_port $((16000 + i)))")
    XMPP_PORTS+=("$(free_port $((15222 + 10 * i)))")
    XMPPS_PORTS+=("$(free_port $((15223 + 10 * i)))")
  done
  join="127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}"
  DEVICES=("d1.${OWNERS[0]}" "d2.${OWNERS[1]}" "d3.${OWNERS[2]}")
  java -jar "$JAR" init --home "$WORK/d1" --name "${DEVICES[0]}" --mesh "$MESH" \
    --public-host 127.0.0.1 --owner "${OWNERS[0]}" <<<"$PASSWORD" >>"$LOG" 2>&1
  for i in 2 3; do
    java -jar "$JAR" init --home "$WORK/d$i" --name "${DEVICES[$((i - 1))]}" --mesh "$MESH" \
      --public-host 127.0.0.1 --ca-home "$WORK/d1" >>"$LOG" 2>&1
  done
  for i in 1 2 3; do
    home="$WORK/d$i"
    # Mail, IMAP and DNS ports off (their services still run, idle). The two connection limits
    # are raised for this layout, where 1,000 clients are the resources of three owners; Prosody
    # has neither limit.
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
    MALLOC_ARENA_MAX=2 java $JAVA_OPTS -jar "$JAR" --name "${DEVICES[$((i - 1))]}" --home "$home" \
      --mesh "$MESH" --http-port "${HTTP_PORTS[$((i - 1))]}" --http-bind-host 127.0.0.1 \
      --cluster-port "${CLUSTER_PORTS[$((i - 1))]}" --public-host 127.0.0.1 --join "$join" \
      --smtp-port 0 --imap-port 0 --imaps-port 0 --dns-port 0 \
      --xmpp-port "${XMPP_PORTS[$((i - 1))]}" --xmpps-port "${XMPPS_PORTS[$((i - 1))]}" \
      --xmpp-bind-host 127.0.0.1 --xmpp-domain "$DOMAIN" \
      --xmpp-max-connections-per-owner "$CLIENTS" --xmpp-max-connections $((CLIENTS > 2000 ? CLIENTS : 2000)) \
      --power mains </dev/null >"$home/device.log" 2>&1 &
    DEVICE_PIDS+=("$!")
  done
  for i in 1 2 3; do
    if ! wait_for 180 "${DEVICES[$((i - 1))]}'s /ready" curl -fsS "http://127.0.0.1:${HTTP_PORTS[$((i - 1))]}/ready"; then
      tail -20 "$WORK/d$i/device.log" >&2
      return 1
    fi
  done
  token=$(cat "$WORK/d1/trust/operator.token")
  for o in "${OWNERS[@]:1}"; do
    curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"owner\":\"$o\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:${HTTP_PORTS[0]}/api/auth/owners" \
      || { echo "chat-bench: could not create the owner $o" >&2; return 1; }
  done
  for i in 1 2 3; do
    wait_for 120 "${OWNERS[$((i - 1))]}'s chat on ${DEVICES[$((i - 1))]}" chat_on "${OWNERS[$((i - 1))]}" "${DEVICES[$((i - 1))]}"
  done
  say "kith: devices ${DEVICES[*]}, PIDs ${DEVICE_PIDS[*]}, XMPP (STARTTLS) ${XMPP_PORTS[*]}; each owner's chat on its device; JVM options: $JAVA_OPTS"
}
# chat_on OWNER DEVICE: whether OWNER's chat instance runs on DEVICE.
chat_on() {
  curl -fsS -H "Authorization: Bearer $(cat "$WORK/d1/trust/operator.token")" \
    "http://127.0.0.1:${HTTP_PORTS[0]}/api/mesh/services" |
    jq -e --arg o "$1" --arg d "$2" \
      '[.. | objects | select(.service? == "chat" and .owner? == $o and .state? == "running" and .device? == $d)] | length == 1'
}

# What the devices logged at WARN and ERROR from the start of the load (start-up's own warnings,
# about file modes and peers not up yet, are counted apart): counts, then the distinct lines.
mark_device_logs() {
  local i
  LOG_MARKS=()
  for i in 1 2 3; do LOG_MARKS+=("$(wc -l <"$WORK/d$i/device.log")"); done
}
device_log_report() {
  local i f mark before n_warn n_error
  for i in 1 2 3; do
    f="$WORK/d$i/device.log"
    mark=${LOG_MARKS[$((i - 1))]}
    before=$(head -n "$mark" "$f" | grep -cE ' (WARN|ERROR) ' || true)
    n_warn=$(tail -n +"$((mark + 1))" "$f" | grep -c ' WARN ' || true)
    n_error=$(tail -n +"$((mark + 1))" "$f" | grep -c ' ERROR ' || true)
    say "kith: ${DEVICES[$((i - 1))]}'s log during the load: $n_error ERROR, $n_warn WARN lines ($before WARN or ERROR before it)"
    if [ "$n_error" -gt 0 ] || [ "$n_warn" -gt 0 ]; then
      ATTENTION=1
      tail -n +"$((mark + 1))" "$f" | grep -E ' (WARN|ERROR) ' | cut -c1-300 | head -12 | sed 's/^/    /' | tee -a "$LOG"
    fi
  done
}

ROW_FORMAT='%-16s %7s %8s %8s %6s %6s %8s %8s %8s %9s %8s %11s %11s %10s\n'
header() {
  say ""
  say "$(printf "$ROW_FORMAT" system clients sent received lost errors 'p50 ms' 'p99 ms' 'max ms' 'CPU cores' 'ms/msg' 'idle cores' 'ms/msg-idle' 'generator')"
}
row() {
  local f="$WORK/$1.json" label
  label=$([ "$1" = kith ] && echo "kith (3 devices)" || echo "prosody")
  # shellcheck disable=SC2046 # the numbers are one word each
  say "$(printf "$ROW_FORMAT" "$label" $(jq -r '[.clients, .sent, .received, .lost,
      ((.error_messages | add // 0) + .disconnects), .latency_ms.p50, .latency_ms.p99, .latency_ms.max,
      .cpu.server_cores, .cpu_ms_per_message, (.idle_cpu.server_cores // "-"),
      (.cpu_ms_per_message_above_idle // "-"), .cpu.generator_cores]
      | map(tostring) | join(" ")' "$f"))"
  if [ "$(jq '.lost + .duplicates + .misrouted + .disconnects + (.error_messages | add // 0)' "$f")" != 0 ]; then
    ATTENTION=1
    say "  $1: lost $(jq -c '.lost_by_route' "$f"), duplicates $(jq .duplicates "$f"), misrouted $(jq .misrouted "$f"), error messages $(jq -c .error_messages "$f"), disconnects $(jq -c '.disconnect_examples' "$f")"
  fi
  say "  $1: login ($(jq -r .sasl "$f")) $(jq .login_seconds "$f") s in all, each $(jq -c .login_ms_each "$f") ms; presences settled in $(jq .settle_seconds "$f") s ($(jq .presences_received "$f") stanzas), machine busy $(jq .cpu.machine_busy_cores "$f") cores in the window, server RSS MB $(jq -c .server_rss_mb "$f")"
}

say "chat-bench: $CLIENTS clients of ${OWNERS[*]}, one message each per $INTERVAL s ($(awk -v n="$CLIENTS" -v i="$INTERVAL" 'BEGIN { printf "%.0f", n / i }') messages/s), warm-up $WARMUP s, window $WINDOW s; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; work folder $WORK"
HTTP_PORTS=(); CLUSTER_PORTS=(); XMPP_PORTS=(); XMPPS_PORTS=(); DEVICES=()
RESULTS=()
if has_system prosody; then
  start_prosody
  load prosody "127.0.0.1:$PROSODY_PORT" "$PROSODY_PID"
  RESULTS+=(prosody)
  stop_pid "$PROSODY_PID"
  PROSODY_PID=""
  # Its own stop (SIGTERM) is logged as a warning; anything else is worth a look.
  if grep -v 'Received SIGTERM' "$WORK/prosody/prosody.log" 2>/dev/null | grep -q .; then
    ATTENTION=1
    say "prosody: its log has warnings or errors; the first:"
    grep -v 'Received SIGTERM' "$WORK/prosody/prosody.log" | head -5 | cut -c1-300 | tee -a "$LOG"
  fi
fi
if has_system kith; then
  start_kith
  mark_device_logs
  load kith "127.0.0.1:${XMPP_PORTS[0]},127.0.0.1:${XMPP_PORTS[1]},127.0.0.1:${XMPP_PORTS[2]}" \
    "$(IFS=,; echo "${DEVICE_PIDS[*]}")"
  RESULTS+=(kith)
  device_log_report
fi
header
for name in "${RESULTS[@]}"; do row "$name"; done
if has_system kith && has_system prosody; then
  say "$(jq -rs 'def ratio(a; b): if (a | type) == "number" and (b | type) == "number" and b > 0 then ((a / b) * 100 | round / 100 | tostring) + "x" else "-" end;
    "kith / prosody: p99 latency " + ratio(.[1].latency_ms.p99; .[0].latency_ms.p99)
    + ", CPU per message " + ratio(.[1].cpu_ms_per_message; .[0].cpu_ms_per_message)' "$WORK/prosody.json" "$WORK/kith.json")"
fi
say "(latency: receive time - send time in the body, over the messages sent in the window; CPU: user + system time of the server processes over the window, per message sent in it; idle cores: the servers with every client connected and no message; ms/msg-idle: CPU per message above that; generator: xmpp-load.py's own CPU, in cores)"
