#!/usr/bin/env bash
# What idle devices cost: RSS, CPU and thread wakeups of N devices that do nothing, on loopback.
#
#   deploy/bench/idle-bench.sh [--devices N] [--power SPEC] [--java-opts "OPTS"] [--warmup S] [--window S] [--jar JAR]
#
# Starts N devices from deploy/target/kith.jar in one mesh (the first alone, the others joining it),
# waits until every one is ready and lists all N alive, lets them settle for --warmup seconds, then measures each over
# --window seconds from /proc: CPU time (user + system, as % of one core), resident memory, threads,
# and wakeups (voluntary context switches of all its threads, per second). Prints a table and the
# means. --power is passed to every device (mains, or battery:LEVEL:charging|discharging:PCT_PER_MIN);
# --java-opts replaces the JVM options (default: none, what `java -jar kith.jar` runs with); --jar
# runs another build (default deploy/target/kith.jar), so that two builds can be compared side by side.
# Run it with the cores to itself; it says how busy the machine was before it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

devices=3
power=mains
java_opts=""
warmup=60
window=60
jar=deploy/target/kith.jar
while (($#)); do
  case "$1" in
    --devices) devices=$2; shift 2 ;;
    --power) power=$2; shift 2 ;;
    --java-opts) java_opts=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "idle-bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -f "$jar" ]] || { echo "idle-bench.sh: build first: mvn -q -DskipTests package" >&2; exit 1; }

work=$(mktemp -d /tmp/kith-idle.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; devices $devices, power $power, java opts '${java_opts:-none}'"
base=$((20000 + RANDOM % 20000))
first_cluster=$((base + 11)) # d1's cluster port, as the loop below gives it
for i in $(seq 1 "$devices"); do
  http=$((base + 10 * i)); cluster=$((base + 10 * i + 1))
  args=(--name "d$i.alice" --home "$work/d$i" --http-port "$http" --cluster-port "$cluster"
        --public-host 127.0.0.1 --smtp-port $((base + 10 * i + 2)) --imap-port $((base + 10 * i + 3)) --imaps-port 0 --mesh "idle$base" --power "$power"
        --mail-relay "127.0.0.1:9" --mail-relay-tls none)
  if ((i > 1)); then
    # The first device's CA signs every other device's certificate, as kith init --ca-home does.
    java -jar "$jar" init --home "$work/d$i" --name "d$i.alice" --ca-home "$work/d1" >/dev/null
    args+=(--join "127.0.0.1:$first_cluster")
  fi
  # shellcheck disable=SC2086
  java $java_opts -jar "$jar" "${args[@]}" >"$work/d$i.log" 2>&1 &
  pids+=($!)
  until curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/ready" | grep -q 200; do
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "d$i.alice exited; its log:"; tail -20 "$work/d$i.log"; exit 1; }
    sleep 0.5
  done
done
# One mesh, not N devices alone: each lists all N alive before the warm-up counts.
for i in $(seq 1 "$devices"); do
  http=$((base + 10 * i)); tries=0
  until [[ $(curl -s "http://127.0.0.1:$http/metrics" | grep -c '^kith_device_up{.*} 1\.0') -ge $devices ]]; do
    tries=$((tries + 1)); ((tries < 120)) || { echo "d$i.alice does not list $devices devices alive; its log:"; tail -20 "$work/d$i.log"; exit 1; }
    sleep 0.5
  done
done
echo "one mesh: every device lists $devices alive"
sleep "$warmup"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wakeups() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }
declare -A t0 w0
for p in "${pids[@]}"; do t0[$p]=$(ticks "$p"); w0[$p]=$(wakeups "$p"); done
sleep "$window"
hz=$(getconf CLK_TCK)
printf '%-10s %8s %8s %8s %12s\n' device cpu% rss_MB threads wakeups/s
i=0
for p in "${pids[@]}"; do
  i=$((i + 1))
  cpu=$(awk -v a="${t0[$p]}" -v b="$(ticks "$p")" -v hz="$hz" -v w="$window" 'BEGIN {printf "%.2f", (b - a) * 100 / hz / w}')
  rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$p/status")
  threads=$(ls "/proc/$p/task" | wc -l)
  wake=$(awk -v a="${w0[$p]}" -v b="$(wakeups "$p")" -v w="$window" 'BEGIN {printf "%.0f", (b - a) / w}')
  printf '%-10s %8s %8s %8s %12s\n' "d$i.alice" "$cpu" "$rss" "$threads" "$wake"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
