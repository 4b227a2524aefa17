#!/usr/bin/env bash
# DNS benchmark: dnsperf against one Kith device's DNS server (a mesh of one, zone bench.test) and
# against a private NSD serving the same records from the same machine, in one run, over UDP.
#
#   deploy/bench/dns-bench.sh [--seconds 20] [--warmup 5] [--rounds 1] [--clients 8]
#                             [--outstanding 200] [--threads 1] [--qps N] [--jar PATH]
#                             [--java-opts "-Xmx512m"] [--systems kith,nsd] [--no-p99] [--keep]
#
#   --seconds      measured window of each dnsperf run
#   --warmup       dnsperf run before each measured run, not counted (the JVM compiles its hot code)
#   --rounds       Kith then NSD, this many times; the summary has the medians
#   --clients      dnsperf -c (UDP sockets), --outstanding dnsperf -q, --threads dnsperf -T
#   --qps          dnsperf -Q: a fixed offered load, for latency below saturation (default: none,
#                  as fast as the server answers; the latency is then mostly queueing)
#   --java-opts    the device's JVM options (default: $JAVA_OPTS, else -Xmx512m)
#   --systems      which servers to run (kith, nsd or both)
#   --no-p99       dnsperf without -v: no per-query latencies (p50, p99), a little less CPU for it
#   --keep         keep the work folder (logs, zone, dnsperf output)
#
# The mix (the same query file for both): 40% d1.alice A, 20% failover1.alice CNAME, 15% alice MX,
# 10% _imaps._tcp.alice SRV, 10% nobody A (NXDOMAIN), 5% the zone's SOA. NSD's zone is what the
# device answers, read with dig, and the script checks that both answer every name alike before
# it measures. NSD runs one server process (server-count 1); dnsperf, the server and (for Kith) the
# JVM share the machine's cores, so nothing else should run: each run reports the CPU that the
# server, dnsperf and everything else used.
#
# Needs: Debian's nsd, dnsperf and dnsutils (dig), java 17, curl, and deploy/target/kith.jar built
# beforehand from the repository root with `mvn -q -DskipTests package`; this script builds
# nothing. Everything lives in a new temporary folder, on free loopback ports; on exit it stops
# exactly what it started, by PID.
set -euo pipefail
shopt -s inherit_errexit

SECONDS_RUN=20
WARMUP=5
ROUNDS=1
CLIENTS=8
OUTSTANDING=200
# One dnsperf thread: on two cores a second one only takes CPU from the server (a 2 s check
# against NSD gave the same queries/s with -T 2, dnsperf using 1.1 cores instead of 0.9).
THREADS=1
QPS=""
KEEP=0
P99=1
SYSTEMS="kith,nsd"
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
PASSWORD="bench-dns-password"
ZONE="bench.test"
DEVICE="d1.alice"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/deploy/target/kith.jar"

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --outstanding) OUTSTANDING="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --qps) QPS="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --systems) SYSTEMS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-p99) P99=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "dns-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$SECONDS_RUN" "$WARMUP" "$ROUNDS" "$CLIENTS" "$OUTSTANDING" "$THREADS" ${QPS:+"$QPS"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "dns-bench: '$n' is not a whole number" >&2; exit 2; }
done
[ "$SECONDS_RUN" -gt 0 ] && [ "$ROUNDS" -gt 0 ] || { echo "dns-bench: --seconds and --rounds must be above 0" >&2; exit 2; }
has_system() { [[ ",$SYSTEMS," == *",$1,"* ]]; }
has_system kith || has_system nsd || { echo "dns-bench: --systems names neither kith nor nsd" >&2; exit 2; }

BENCH=dns-bench
# shellcheck source=deploy/bench/lib.sh
source "$ROOT/deploy/bench/lib.sh"
for tool in java curl dig dnsperf; do
  command -v "$tool" >/dev/null || { echo "dns-bench: $tool not found" >&2; exit 1; }
done
NSD=/usr/sbin/nsd
[ -x "$NSD" ] || { echo "dns-bench: $NSD not found (Debian's nsd)" >&2; exit 1; }
[ -f "$JAR" ] || { echo "dns-bench: $JAR is missing; build it first with: mvn -q -DskipTests package" >&2; exit 1; }

WORK="$(mktemp -d /tmp/kith-dns-bench.XXXXXX)"
LOG="$WORK/bench.log"
PIDS=()
PERF_PID=""

cleanup() {
  local status=$?
  set +e
  [ -z "$PERF_PID" ] || stop_pid "$PERF_PID"
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" -eq 1 ] || [ "$status" -ne 0 ]; then echo "dns-bench: logs and data are in $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_dns_port FROM: like free_port, and free for UDP too (free_port looks at TCP only).
free_dns_port() {
  local p
  p=$(free_port "$1")
  while [ -n "$(ss -Huln "sport = :$p" 2>/dev/null)" ]; do p=$(free_port $((p + 1))); done
  echo "$p"
}

# ask PORT NAME TYPE [DIG OPTIONS...]: one query, no retries, and like dnsperf's: no EDNS.
ask() {
  local port="$1" name="$2" type="$3"
  shift 3
  dig @127.0.0.1 -p "$port" +norecurse +noedns +time=2 +tries=1 "$name" "$type" "$@"
}

# The records the mix touches, and the ones around them that the zone holds (NODATA and SRV names).
RECORDS=(
  "$ZONE SOA" "$ZONE NS"
  "$DEVICE.$ZONE A" "$DEVICE.$ZONE AAAA"
  "failover1.alice.$ZONE CNAME" "failover1.alice.$ZONE A"
  "alice.$ZONE MX"
  "_submission._tcp.alice.$ZONE SRV" "_imap._tcp.alice.$ZONE SRV" "_imaps._tcp.alice.$ZONE SRV"
  "nobody.$ZONE A" "_tcp.alice.$ZONE SRV"
)

start_kith() {
  local home="$WORK/kith" http cluster smtp imap imaps
  http=$(free_port 18190)
  cluster=$(free_port 15910)
  smtp=$(free_port 12535)
  imap=$(free_port 11153)
  imaps=$(free_port 11993)
  KITH_DNS=$(free_dns_port 11053)
  java -jar "$JAR" init --home "$home" --name "$DEVICE" --mesh "dnsbench$$" \
    --public-host 127.0.0.1 --owner alice <<<"$PASSWORD" >>"$LOG" 2>&1
  # Mail and IMAP stay on (on free ports): the zone's MX and SRV records are theirs. The rate limit
  # is off because dnsperf is one client network sending everything.
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
  java $JAVA_OPTS -jar "$JAR" --name "$DEVICE" --home "$home" --mesh "dnsbench$$" \
    --http-port "$http" --cluster-port "$cluster" --public-host 127.0.0.1 \
    --smtp-port "$smtp" --smtp-bind-host 127.0.0.1 --imap-port "$imap" --imaps-port "$imaps" \
    --imap-bind-host 127.0.0.1 --dns-port "$KITH_DNS" --dns-bind-host 127.0.0.1 \
    --http-bind-host 127.0.0.1 --dns-zone "$ZONE" --dns-rate-limit 0 --power mains </dev/null >"$home/device.log" 2>&1 &
  PIDS+=("$!")
  KITH_PID="$!"
  if ! wait_for 180 "Kith's /ready" curl -fsS "http://127.0.0.1:$http/ready" \
    || ! wait_for 60 "Kith's DNS to answer $DEVICE.$ZONE" kith_answers; then
    tail -20 "$home/device.log" >&2
    return 1
  fi
  # The SRV records come once mail and IMAP have told the DNS their ports.
  wait_for 60 "Kith's DNS to answer _imaps._tcp.alice.$ZONE SRV" kith_has_srv
  say "kith: $DEVICE, PID $KITH_PID, DNS on 127.0.0.1:$KITH_DNS (UDP and TCP), JVM options: $JAVA_OPTS"
}
kith_answers() { [ "$(ask "$KITH_DNS" "$DEVICE.$ZONE" A +short)" = "127.0.0.1" ]; }
kith_has_srv() { [ -n "$(ask "$KITH_DNS" "_imaps._tcp.alice.$ZONE" SRV +short)" ]; }

# The zone file for NSD: every record Kith answers for RECORDS, as dig prints them (zone-file
# syntax, absolute names, the device's TTLs), SOA first.
write_zone() {
  local file="$1" rec answers=""
  for rec in "${RECORDS[@]}"; do
    # shellcheck disable=SC2086 # rec is NAME TYPE
    answers+="$(ask "$KITH_DNS" $rec +noall +answer)"$'\n'
  done
  {
    echo "; $ZONE as $DEVICE's DNS answered it on $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    grep -P '\tSOA\t' <<<"$answers" | sort -u
    grep -vP '\tSOA\t' <<<"$answers" | grep -v '^$' | sort -u
  } >"$file"
  grep -qP '\tSOA\t' "$file" || { echo "dns-bench: Kith gave no SOA for $ZONE" >&2; return 1; }
}

start_nsd() {
  local d="$WORK/nsd"
  NSD_PORT=$(free_dns_port 11253)
  mkdir -p "$d"
  if has_system kith; then
    write_zone "$d/$ZONE.zone"
  else
    # Without a device to copy, the records it gives a mesh of one (docs/dns.md).
    cat >"$d/$ZONE.zone" <<ZONEFILE
$ZONE. 30 IN SOA $DEVICE.$ZONE. hostmaster.$ZONE. 1 3600 600 604800 30
$ZONE. 300 IN NS $DEVICE.$ZONE.
$DEVICE.$ZONE. 300 IN A 127.0.0.1
failover1.alice.$ZONE. 30 IN CNAME $DEVICE.$ZONE.
alice.$ZONE. 30 IN MX 10 $DEVICE.$ZONE.
_imaps._tcp.alice.$ZONE. 30 IN SRV 0 0 1993 $DEVICE.$ZONE.
ZONEFILE
  fi
  # One server process, foreground (-d) so that its PID is the one to stop; no privilege drop, no
  # database, no remote control. Response rate limiting off (rrl-ratelimit 0), like Kith's, and
  # minimal responses: without them NSD adds the zone's NS to every answer, which Kith does not
  # (Kith does add the target's address to MX and SRV answers; compare_answers reports that).
  cat >"$d/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$d"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d"
  pidfile: "$d/nsd.pid"
  logfile: "$d/nsd.log"
  server-count: 1
  verbosity: 0
  minimal-responses: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "$ZONE"
  zonefile: "$ZONE.zone"
CONF
  nsd-checkconf "$d/nsd.conf" >>"$LOG" 2>&1 || { echo "dns-bench: nsd.conf does not check:" >&2; nsd-checkconf "$d/nsd.conf" >&2; return 1; }
  "$NSD" -d -c "$d/nsd.conf" >>"$LOG" 2>&1 &
  PIDS+=("$!")
  NSD_PID="$!"
  if ! wait_for 30 "NSD to answer $DEVICE.$ZONE" nsd_answers; then
    cat "$d/nsd.log" >&2 2>/dev/null || true
    return 1
  fi
  say "nsd: $("$NSD" -v 2>&1 | head -1 | awk '{ print $3 }'), PID $NSD_PID, 127.0.0.1:$NSD_PORT (UDP and TCP), server-count 1"
}
nsd_answers() { [ "$(ask "$NSD_PORT" "$DEVICE.$ZONE" A +short)" = "127.0.0.1" ]; }

# section PORT NAME TYPE WHICH: one section of the answer (answer, authority or additional), its
# lines sorted and TTLs included, or the header's status and AA flag (WHICH = header).
section() {
  local port="$1" name="$2" type="$3" which="$4" out
  if [ "$which" = header ]; then
    out=$(ask "$port" "$name" "$type" +noall +comments)
    echo "$(grep -o 'status: [A-Z]*' <<<"$out" || echo 'status: none'),$(grep -o 'flags:[a-z ]*;' <<<"$out" | grep -o ' aa' || echo ' no aa')"
    return
  fi
  ask "$port" "$name" "$type" +noall "+$which" | grep -v '^;' | grep -v '^$' | sed 's/[[:space:]]\+/ /g' \
    | sed -E 's/( SOA [^ ]+ [^ ]+) [0-9]+ /\1 SERIAL /' | sort || true
}
size() { ask "$@" | awk '/MSG SIZE/ { print $NF }'; }

# Both servers must give the same answers (status, AA, answer and authority sections), or the
# numbers compare different work. The SOA serial is the device's start time: the one field
# allowed to differ. The additional section may differ (Kith adds the target's address to MX and
# SRV answers, NSD with minimal-responses does not; without it NSD adds the zone's NS to every
# answer, which Kith does not): it is reported, with the sizes, not refused.
compare_answers() {
  local rec diffs=0 which k n
  for rec in "${RECORDS[@]}"; do
    for which in header answer authority additional; do
      # shellcheck disable=SC2086 # rec is NAME TYPE
      k=$(section "$KITH_DNS" $rec "$which")
      # shellcheck disable=SC2086
      n=$(section "$NSD_PORT" $rec "$which")
      [ "$k" != "$n" ] || continue
      if [ "$which" = additional ]; then
        # shellcheck disable=SC2086
        say "note: $rec: additional sections differ (kith $(size "$KITH_DNS" $rec) bytes, nsd $(size "$NSD_PORT" $rec) bytes)"
      else
        diffs=$((diffs + 1))
        say "answers differ for $rec ($which):"
      fi
      diff <(echo "$k") <(echo "$n") | sed 's/^</  kith:/; s/^>/  nsd: /' | grep '^  ' \
        | grep -v ': *$' | tee -a "$LOG" || true
    done
  done
  if [ "$diffs" -gt 0 ]; then
    echo "dns-bench: Kith and NSD answer differently ($diffs differences above); not measuring" >&2
    return 1
  fi
  say "answers: Kith and NSD agree on all ${#RECORDS[@]} questions (status, AA, answer and authority sections)"
}

# The query file: 20 lines, interleaved so that any stretch of the run has the mix.
write_queries() {
  local a="$DEVICE.$ZONE A" c="failover1.alice.$ZONE CNAME" m="alice.$ZONE MX"
  local s="_imaps._tcp.alice.$ZONE SRV" x="nobody.$ZONE A" o="$ZONE SOA"
  printf '%s\n' "$a" "$c" "$m" "$a" "$s" "$x" "$a" "$c" "$a" "$m" \
    "$a" "$o" "$c" "$a" "$s" "$x" "$a" "$m" "$c" "$a" >"$WORK/queries.txt"
}

# CPU accounting, to tell whether the server or dnsperf was the bottleneck and how much else ran:
# server_ticks PID: user + system ticks of PID and its live descendants (NSD's first process
# becomes xfrd, its child the main process, and that one's child answers; the JVM is one process);
# machine_ticks: busy and total ticks of the machine, from /proc/stat.
descendants() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1" || true); do descendants "$child"; done
}
server_ticks() {
  local pid total=0 t
  for pid in $(descendants "$1"); do
    # Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
machine_ticks() { head -1 /proc/stat | awk '{ b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }'; }
# udp_drops: datagrams the kernel dropped, machine-wide, because a socket's receive buffer was full
# (a lost query is usually one of these).
udp_drops() { awk '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp; }
HZ=$(getconf CLK_TCK)

# dnsperf 2.10 has no latency histogram (-O latency-histogram came later), so p50 and p99 come from
# -v: one line per response, "> RCODE NAME TYPE LATENCY", written to a file. Writing them costs
# dnsperf CPU, the same per query for both servers; it matters only where dnsperf, not the server,
# is the bottleneck (see the CPU columns), and --no-p99 measures without it.
# perf PORT SECONDS OUT [SERVER_PID]: one dnsperf run. With SERVER_PID it also sets CPU to the cores
# that the server, dnsperf and everything else used over the SECONDS of load (sampled from /proc
# around them: dnsperf runs longer when it waits for lost queries, and that tail is idle).
perf() {
  local port="$1" seconds="$2" out="$3" server="${4:-}" verbose=() pid s0 d0 m0 s1 d1 m1
  [ "$P99" -eq 0 ] || verbose=(-v)
  dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/queries.txt" -l "$seconds" -c "$CLIENTS" \
    -T "$THREADS" -q "$OUTSTANDING" ${QPS:+-Q "$QPS"} "${verbose[@]}" >"$out" 2>&1 &
  pid=$!
  PERF_PID=$pid
  if [ -n "$server" ]; then
    # The window: from 0.2 s after dnsperf starts to a second before it stops sending (half the
    # run if that is short), so that dnsperf is still there to be read at its end.
    sleep 0.2
    d0=$(server_ticks "$pid"); s0=$(server_ticks "$server"); m0=$(machine_ticks)
    sleep "$(awk -v s="$seconds" 'BEGIN { print (s >= 3 ? s - 1.2 : s / 2) }')"
    d1=$(server_ticks "$pid"); s1=$(server_ticks "$server"); m1=$(machine_ticks)
    kill -0 "$pid" 2>/dev/null || d1=""
    CPU=$(awk -v s="$((s1 - s0))" -v d="${d1:+$((d1 - d0))}" -v hz="$HZ" -v n="$(nproc)" -v m0="$m0" -v m1="$m1" 'BEGIN {
      split(m0, a, " "); split(m1, b, " ")
      sec = (b[2] - a[2]) / hz / n; if (sec <= 0) sec = 1
      busy = (b[1] - a[1]) / hz / sec; srv = s / hz / sec
      if (d == "") { printf "%.2f - -", srv; exit }
      perf = d / hz / sec; other = busy - srv - perf
      printf "%.2f %.2f %.2f", srv, perf, (other > 0 ? other : 0) }')
  fi
  wait "$pid" && PERF_PID=""
}

# run NAME PORT PID ROUND: warm-up, then the measured run; prints a result line and keeps the numbers.
RESULTS="$WORK/results.txt"
run() {
  local name="$1" port="$2" pid="$3" round="$4" out qps avg max lost sent pcts resp u0 drops
  if [ "$WARMUP" -gt 0 ]; then
    perf "$port" "$WARMUP" "$WORK/warmup-$name-$round.txt" || true
    rm -f "$WORK/warmup-$name-$round.txt"
  fi
  out="$WORK/dnsperf-$name-$round.txt"
  u0=$(udp_drops)
  if ! perf "$port" "$SECONDS_RUN" "$out" "$pid"; then
    echo "dns-bench: dnsperf against $name failed:" >&2
    grep -v '^>' "$out" | tail -20 >&2
    return 1
  fi
  drops=$(($(udp_drops) - u0))
  kill -0 "$pid" 2>/dev/null || { echo "dns-bench: $name (PID $pid) died during the run" >&2; return 1; }
  qps=$(awk '/Queries per second:/ { printf "%.0f", $4 }' "$out")
  [ -n "$qps" ] || { echo "dns-bench: no statistics from dnsperf against $name:" >&2; grep -v '^>' "$out" | tail -20 >&2; return 1; }
  avg=$(awk '/Average Latency \(s\):/ { printf "%.3f", $4 * 1000 }' "$out")
  max=$(awk '/Average Latency \(s\):/ { gsub(/\)/, "", $8); printf "%.3f", $8 * 1000 }' "$out")
  sent=$(awk '/Queries sent:/ { print $3 }' "$out")
  lost=$(awk '/Queries lost:/ { print $3 }' "$out")
  resp=$(awk '/Average packet size:/ { print $NF }' "$out")
  # p50 and p99 over the answered queries, in 1 µs buckets (no sort of a million lines).
  pcts=$(awk '$1 == ">" && $2 != "T" && $2 != "I" { b = int($NF * 1e6); h[b]++; n++ }
    END {
      if (n == 0) { print "- -"; exit }
      for (b in h) if (b + 0 > top) top = b + 0
      for (b = 0; b <= top; b++) { c += h[b]; if (!p50 && c >= 0.50 * n) p50 = b + 1; if (c >= 0.99 * n) { p99 = b + 1; break } }
      printf "%.3f %.3f", p50 / 1000, p99 / 1000
    }' "$out")
  grep -E '^  (Response codes|Average packet size):' "$out" | sed "s/^  /$name round $round: /" >>"$LOG"
  grep -v '^>' "$out" >"$out.stats" && mv "$out.stats" "$out"
  read -r cpu_server cpu_perf cpu_other <<<"$CPU"
  echo "$name $round $qps $avg ${pcts% *} ${pcts#* } $max $lost $sent $resp $cpu_server $cpu_perf $cpu_other $drops" >>"$RESULTS"
  say "$(printf '%-5s round %-2s %8s queries/s  avg %s ms  p50 %s ms  p99 %s ms  max %s ms  lost %s of %s (kernel UDP buffer drops %s)  response %s B  CPU (cores): server %s, dnsperf %s, other %s' \
    "$name" "$round" "$qps" "$avg" "${pcts% *}" "${pcts#* }" "$max" "$lost" "$sent" "$drops" "$resp" "$cpu_server" "$cpu_perf" "$cpu_other")"
}

# median NAME FIELD: the median of a column of RESULTS over the rounds of NAME.
median() {
  awk -v s="$1" -v f="$2" '$1 == s { print $f }' "$RESULTS" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

summary() {
  local name i f
  say ""
  say "$(printf '%-6s %10s %8s %8s %8s %8s %16s %10s %10s %9s' server 'queries/s' 'avg ms' 'p50 ms' 'p99 ms' 'max ms' 'lost/sent' 'server CPU' 'dnsperf' 'other')"
  for name in kith nsd; do
    has_system "$name" || continue
    f=()
    for i in 3 4 5 6 7; do f+=("$(median "$name" "$i")"); done
    f+=("$(awk -v s="$name" '$1 == s { l += $8; n += $9 } END { print l "/" n }' "$RESULTS")")
    for i in 11 12 13; do f+=("$(median "$name" "$i")"); done
    say "$(printf '%-6s %10s %8s %8s %8s %8s %16s %10s %10s %9s' "$name" "${f[@]}")"
  done
  if has_system kith && has_system nsd; then
    say "kith/nsd queries/s: $(awk -v k="$(median kith 3)" -v n="$(median nsd 3)" 'BEGIN { printf "%.2fx", k / n }') (the bar: 0.30x)"
  fi
  for name in kith nsd; do
    has_system "$name" || continue
    if awk -v s="$name" -v t="$THREADS" '$1 == s && $12 >= 0.9 * t { hit = 1 } END { exit !hit }' "$RESULTS"; then
      say "warning: dnsperf kept its $THREADS thread(s) busy against $name: dnsperf, not $name, may have set the pace (compare with more --threads)"
    fi
  done
  say "(CPU in cores of $(nproc) over the measured window; NSD ran server-count 1, Kith's JVM may use every core;" \
    "dnsperf shares the cores. Medians over $ROUNDS round(s); lost and sent are totals.$([ "$P99" -eq 1 ] || echo ' p50 and p99 not measured (--no-p99).'))"
}

say "dns-bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; work folder $WORK"
say "dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'): UDP, -c $CLIENTS -q $OUTSTANDING -T $THREADS ${QPS:+-Q $QPS }-l $SECONDS_RUN$([ "$P99" -eq 0 ] || echo ' -v') (warm-up $WARMUP s), on the same cores as the servers"
write_queries
if has_system kith; then start_kith; fi
if has_system nsd; then start_nsd; fi
if has_system kith && has_system nsd; then compare_answers; fi
for round in $(seq 1 "$ROUNDS"); do
  if has_system kith; then run kith "$KITH_DNS" "$KITH_PID" "$round"; fi
  if has_system nsd; then run nsd "$NSD_PORT" "$NSD_PID" "$round"; fi
done
summary
