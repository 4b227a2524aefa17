#!/usr/bin/env bash
# The Kith demo on the compose cluster (docker-compose.yml): brings the five devices up, drains
# phone.bob's battery, kills laptop.alice, brings it back, and prints what moved and how long
# each move took, from the mesh's own record of moves (GET /api/mesh/events).
#
# Usage: deploy/demo.sh [--local] [--down]
#   --local  local images only (deploy/compose.ci.yml): Prometheus from Debian's package on
#            kith-base:local, no Grafana; for machines that reach no image registry
#   --down   remove the stack and its volumes at the end (by default it keeps running, so that
#            Grafana can show what happened)
#
# Needs docker with `docker compose` (or docker-compose), curl and jq, and the device image
# (KITH_IMAGE, default kith:dev): mvn -q -DskipTests package && deploy/build-image.sh
# COMPOSE_PROJECT_NAME and the KITH_PORT_* variables of docker-compose.yml apply as usual.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

local_images=false
down=false
for arg in "$@"; do
  case "${arg}" in
    --local) local_images=true ;;
    --down) down=true ;;
    -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument ${arg} (try --help)" >&2; exit 2 ;;
  esac
done

for tool in docker curl jq; do
  command -v "${tool}" >/dev/null 2>&1 || { echo "demo.sh: ERROR: ${tool} not found." >&2; exit 1; }
done
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "demo.sh: ERROR: neither 'docker compose' nor docker-compose is installed." >&2
  exit 1
fi
compose+=(-f docker-compose.yml)
if [[ "${local_images}" == "true" ]]; then
  compose+=(-f deploy/compose.ci.yml)
fi

image="${KITH_IMAGE:-kith:dev}"
if ! docker image inspect "${image}" >/dev/null 2>&1; then
  echo "demo.sh: ERROR: the device image ${image} is missing; build it with:" >&2
  echo "  mvn -q -DskipTests package && deploy/build-image.sh" >&2
  exit 1
fi
if [[ "${local_images}" == "true" ]]; then
  bash deploy/prometheus-image.sh
fi

demo_start="${EPOCHREALTIME}"
say() { printf '[demo %6.1f s] %s\n' "$(awk -v a="${demo_start}" -v b="${EPOCHREALTIME}" 'BEGIN { print b - a }')" "$*"; }
now_ms() { local t="${EPOCHREALTIME/./}"; echo $((10#${t} / 1000)); }

devices=(laptop.alice pi.alice phone.alice desktop.bob phone.bob)
declare -A urls=()

# Finds where Docker published a service's port (which KITH_PORT_*=0 leaves to Docker).
find_url() { # SERVICE [PORT]
  local published
  published="$("${compose[@]}" port "$1" "${2:-8080}" 2>/dev/null | tail -n 1)"
  [[ "${published}" == *:[0-9]* ]] || return 1
  urls["$1"]="http://localhost:${published##*:}"
}

# Polls a check (a command or function) until it passes or the deadline (seconds) passes.
wait_until() { # SECONDS DESCRIPTION COMMAND...
  local limit="$1" what="$2" deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "ERROR: gave up waiting for ${what} after ${limit} s"
      exit 1
    fi
    sleep 0.5
  done
}

# The mesh API wants a login; on its own machine, each device accepts the operator token it
# wrote to its home when it started (an administrator's credential; docs/security.md).
declare -A tokens=()
token_of() { # DEVICE
  if [[ -z "${tokens[$1]:-}" ]]; then
    tokens[$1]="$("${compose[@]}" exec -T "$1" cat /home/kith/.kith/trust/operator.token 2>/dev/null | tail -n 1)"
  fi
  printf '%s' "${tokens[$1]}"
}
api() { # DEVICE PATH [CURL ARGS...]
  local device="$1" path="$2"
  shift 2
  curl -fsS -m 5 -H "Authorization: Bearer $(token_of "${device}")" "$@" "${urls[${device}]}${path}"
}

# Every device answers and lists all five alive.
all_alive() {
  local d
  for d in "${devices[@]}"; do
    [[ "$(api "${d}" /api/mesh/devices |
      jq '[.[] | select(.state == "alive")] | length')" == 5 ]] || return 1
  done
}

# Where each placed service runs, as pi.alice (never killed here) lists it: SERVICE/OWNER DEVICE STATE.
services() {
  api pi.alice /api/mesh/services |
    jq -r '.[] | select(.epoch > 0) | "\(.service)/\(.owner // "mesh") \(.device // "-") \(.state)"'
}

runs_on() { services | grep -qx "$1 $2 running"; } # SERVICE/OWNER DEVICE

# Every placed service runs, and none on DEVICE (if given).
settled() { # [DEVICE]
  local listing
  listing="$(services)" && [[ -n "${listing}" ]] || return 1
  ! grep -qv ' running$' <<<"${listing}" || return 1
  [[ -z "${1:-}" ]] || ! grep -q " $1 " <<<"${listing}"
}

placed_as_configured() { runs_on probe/alice laptop.alice && runs_on probe/bob phone.bob && settled; }

# The moves whose fault or condition was detected at or after MARK (epoch ms), one line each.
# Times in /api/mesh/events are ISO-8601 with milliseconds; jq's fromdateiso8601 takes whole
# seconds, so the fraction is added apart.
moves_since() { # MARK
  api pi.alice /api/mesh/events | jq -r --argjson mark "$1" '
    def ms: . as $t | (($t | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) * 1000)
      + ((($t | capture("\\.(?<f>[0-9]+)Z$") | (.f + "00")[0:3] | tonumber)) // 0);
    .[] | select(.reason != "new" and .detectedAt != null and (.detectedAt | ms) >= $mark) |
    "  \(.service)/\(.owner // "mesh"): \(.from // "-") -> \(.to) (\(.reason)): detected to ready \(.seconds) s, ready \((((.readyAt // .placedAt) | ms) - $mark) / 1000) s after the action"'
}

moved() { [[ "$(moves_since "$1" | wc -l)" -ge "$2" ]]; } # MARK COUNT

all_moves=()

# Waits until at least COUNT moves since MARK are listed and every service runs (none on
# DEVICE, if given), then prints them.
report_moves() { # MARK COUNT [DEVICE]
  wait_until 60 "$2 move(s)" moved "$1" "$2"
  wait_until 30 "every service to run" settled "${3:-}"
  local listed
  listed="$(moves_since "$1")"
  say "moved:"
  echo "${listed}"
  all_moves+=("${listed}")
}

# ---------------------------------------------------------------------------------------------
say "starting the cluster: ${compose[*]} up -d"
"${compose[@]}" up -d --no-build
for d in "${devices[@]}"; do
  wait_until 60 "the published port of ${d}" find_url "${d}"
done
say "containers started; waiting for the five devices to see each other"
wait_until 240 "five devices alive" all_alive
# A stack left by an earlier run may still have phone.bob's battery drained: charge it again, as
# docker-compose.yml starts it, so that bob's probe returns to it (takeover).
api pi.alice /api/mesh/devices/phone.bob/power -X PUT -H 'Content-Type: application/json' \
  -d '{"level":0.65,"charging":true}' >/dev/null
say "all five devices alive; waiting for the services to be placed"
wait_until 90 "alice's probe on laptop.alice and bob's on phone.bob" placed_as_configured
say "where the services run:"
services | sed 's/^/  /'

# ---------------------------------------------------------------------------------------------
say "draining phone.bob's battery: 10 %, discharging (PUT /api/mesh/devices/phone.bob/power)"
mark="$(now_ms)"
api pi.alice /api/mesh/devices/phone.bob/power -X PUT -H 'Content-Type: application/json' \
  -d '{"level":0.10,"charging":false}' >/dev/null
report_moves "${mark}" 1 phone.bob

# ---------------------------------------------------------------------------------------------
say "killing laptop.alice (docker kill: SIGKILL)"
mark="$(now_ms)"
"${compose[@]}" kill laptop.alice >/dev/null 2>&1
report_moves "${mark}" 1 laptop.alice

# ---------------------------------------------------------------------------------------------
say "bringing laptop.alice back"
mark="$(now_ms)"
"${compose[@]}" start laptop.alice >/dev/null 2>&1
wait_until 60 "the published port of laptop.alice" find_url laptop.alice
wait_until 180 "five devices alive" all_alive
say "laptop.alice is back; alice's probe moves back to it (takeover) once it has been up 10 s"
report_moves "${mark}" 1

# ---------------------------------------------------------------------------------------------
say "where the services run now:"
services | sed 's/^/  /'
say "every move of the demo:"
printf '%s\n' "${all_moves[@]}"
if [[ "${down}" == "true" ]]; then
  say "removing the stack: ${compose[*]} down -v"
  "${compose[@]}" down -v >/dev/null 2>&1
else
  if find_url grafana 3000; then
    say "Grafana: ${urls[grafana]} (the Kith mesh dashboard)"
  fi
  find_url prometheus 9090 || true
  say "Prometheus: ${urls[prometheus]:-?}; remove it all with: ${compose[*]} down -v"
fi
