#!/usr/bin/env bash
# Web benchmark: wrk against one Kith device (a mesh of one, its web port) and against a private
# nginx serving the same site from the same machine, in one run: a 2 KB page and a 200 KB image,
# keep-alive, 64 connections.
#
#   deploy/bench/web-bench.sh [--seconds 20] [--warmup 5] [--connections 64] [--threads 2]
#                             [--keep] [--systems nginx,kith]
#
# For each system and file: a warm-up run (not counted), then the measured run; the report has
# requests/s and the p99 latency of both, and Kith's ratio to nginx. wrk, the server and (for Kith)
# the JVM share the machine's cores; nothing else should run.
#
# Needs: Debian's wrk and nginx, java 17, curl, python3, and deploy/target/kith.jar built beforehand
# from the repository root with `mvn -q -DskipTests package`; this script builds nothing.
# Everything lives in a new temporary folder, on free loopback ports; on exit it stops exactly
# what it started, by PID.
set -euo pipefail
shopt -s inherit_errexit

SECONDS_RUN=20
WARMUP=5
CONNECTIONS=64
THREADS=2
KEEP=0
SYSTEMS="nginx,kith"
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
PASSWORD="bench-web-password"
HOST="bench.example"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --systems) SYSTEMS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "web-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
has_system() { [[ ",$SYSTEMS," == *",$1,"* ]]; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH=web-bench
# shellcheck source=deploy/bench/lib.sh
source "$ROOT/deploy/bench/lib.sh"
JAR="$ROOT/deploy/target/kith.jar"
for tool in java curl wrk python3; do
  command -v "$tool" >/dev/null || { echo "web-bench: $tool not found" >&2; exit 1; }
done
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "web-bench: $NGINX not found (Debian's nginx)" >&2; exit 1; }
[ -f "$JAR" ] || { echo "web-bench: $JAR is missing; build it first with: mvn -q -DskipTests package" >&2; exit 1; }

WORK="$(mktemp -d /tmp/kith-web-bench.XXXXXX)"
chmod 755 "$WORK"
LOG="$WORK/bench.log"
PIDS=()

cleanup() {
  local status=$?
  set +e
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" -eq 1 ] || [ "$status" -ne 0 ]; then echo "web-bench: logs and data are in $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# The site, once: a 2 KB page and a 200 KB image (random bytes: nothing to compress).
make_site() {
  python3 - "$WORK/site" <<'PY'
import os, random, sys
root = sys.argv[1]
os.makedirs(root, exist_ok=True)
para = "<p>" + ("Pages served by the owner's own devices. " * 3) + "</p>\n"
page = "<!doctype html><html><head><meta charset=utf-8><title>bench</title></head><body>\n"
while len(page) < 2048 - 20:
    page += para
page = (page[:2048 - 15] + "</body></html>\n")[:2048]
open(os.path.join(root, "page.html"), "w").write(page)
random.seed(200)
open(os.path.join(root, "image.png"), "wb").write(bytes(random.getrandbits(8) for _ in range(200 * 1024)))
PY
}

start_nginx() {
  local d="$WORK/nginx"
  NGINX_PORT=$(free_port 18280)
  mkdir -p "$d/logs" "$d/tmp"
  cat >"$d/nginx.conf" <<CONF
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $d/tmp;
  proxy_temp_path $d/tmp;
  fastcgi_temp_path $d/tmp;
  uwsgi_temp_path $d/tmp;
  scgi_temp_path $d/tmp;
  types { text/html html; image/png png; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    server_name $HOST;
    root $WORK/site;
    etag on;
  }
}
CONF
  "$NGINX" -c "$d/nginx.conf" -p "$d" >>"$LOG" 2>&1 &
  PIDS+=("$!")
  wait_for 20 "nginx's port" curl -fsS -H "Host: $HOST" "http://127.0.0.1:$NGINX_PORT/page.html"
  say "nginx: $("$NGINX" -v 2>&1 | cut -d' ' -f3), master PID ${PIDS[-1]}, port $NGINX_PORT"
}

start_kith() {
  local home="$WORK/kith"
  KITH_HTTP=$(free_port 18180)
  KITH_CLUSTER=$(free_port 15900)
  KITH_WEB=$(free_port 18080)
  java -jar "$JAR" init --home "$home" --name laptop.alice --mesh "webbench$$" \
    --public-host 127.0.0.1 --owner alice <<<"$PASSWORD" >>"$LOG" 2>&1
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
  java $JAVA_OPTS -jar "$JAR" --name laptop.alice --home "$home" --mesh "webbench$$" \
    --http-port "$KITH_HTTP" --cluster-port "$KITH_CLUSTER" --public-host 127.0.0.1 \
    --web-port "$KITH_WEB" --web-bind-host 127.0.0.1 --smtp-port 0 --imap-port 0 --imaps-port 0 \
    --power mains </dev/null >"$home/device.log" 2>&1 &
  PIDS+=("$!")
  KITH_PID="$!"
  wait_for 180 "Kith's /ready" curl -fsS "http://127.0.0.1:$KITH_HTTP/ready"
  java -jar "$JAR" login alice --home "$home" --url "http://127.0.0.1:$KITH_HTTP" <<<"$PASSWORD" >>"$LOG" 2>&1
  java -jar "$JAR" publish "$WORK/site" --home "$home" --url "http://127.0.0.1:$KITH_HTTP" \
    --domain "$HOST" | tee -a "$LOG"
  wait_for 30 "the site on Kith's web port" curl -fsS -H "Host: $HOST" "http://127.0.0.1:$KITH_WEB/page.html"
  say "kith: laptop.alice, PID $KITH_PID, web port $KITH_WEB"
}

# run NAME PORT FILE: warm-up, then the measured run; prints a result line.
run() {
  local name="$1" port="$2" file="$3" out rps p99
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H "Host: $HOST" "http://127.0.0.1:$port/$file" >/dev/null
  out="$WORK/wrk-$name-$file.txt"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -H "Host: $HOST" \
    "http://127.0.0.1:$port/$file" >"$out"
  if grep -q "Non-2xx\|Socket errors" "$out"; then
    echo "web-bench: $name $file had failed requests:" >&2
    cat "$out" >&2
    return 1
  fi
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  say "$(printf '%-6s %-10s %10s req/s   p99 %8s' "$name" "$file" "$rps" "$p99")"
  eval "RPS_${name}_${file//./_}=$rps"
}

say "web-bench: $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_RUN}s (warm-up ${WARMUP}s); work folder $WORK"
make_site
if has_system nginx; then start_nginx; fi
if has_system kith; then start_kith; fi
for file in page.html image.png; do
  if has_system nginx; then run nginx "$NGINX_PORT" "$file"; fi
  if has_system kith; then run kith "$KITH_WEB" "$file"; fi
done
if has_system nginx && has_system kith; then
  for file in page.html image.png; do
    key=${file//./_}
    say "kith/nginx $file: $(awk -v k="$(eval echo "\$RPS_kith_$key")" -v n="$(eval echo "\$RPS_nginx_$key")" 'BEGIN { printf "%.2fx", k / n }')"
  done
fi
