#!/usr/bin/env bash
# Simulated use of the compose mesh, so that the dashboard has something to show: every few
# seconds it writes a record to alice's and bob's vaults, now and then an object, and asks each
# owner's probe, each time through the next device in turn. docker-compose.yml runs it in a
# container from the device image (bash and coreutils are all it needs; no curl there).
#
# Usage: activity.sh [DEVICE...]   (default: the five compose devices)
# Environment: ACTIVITY_PERIOD_SECONDS (default 5)
set -uo pipefail

devices=("$@")
if ((${#devices[@]} == 0)); then
  devices=(laptop.alice pi.alice phone.alice desktop.bob phone.bob)
fi
period="${ACTIVITY_PERIOD_SECONDS:-5}"

# One HTTP/1.0 request to port 8080; prints the status code, or 000 when there is no answer.
# Under `timeout`, because connecting to a device that was just killed can hang.
http() { # METHOD HOST PATH [BODY [CONTENT-TYPE]]
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/8080" || exit 1
    printf "%s %s HTTP/1.0\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" \
      "$2" "$3" "$1" "$5" "${#4}" "$4" >&3
    read -r _ status _ <&3 && echo "${status}"
  ' http "$2" "$1" "$3" "${4:-}" "${5:-application/json}" 2>/dev/null || echo 000
}

log() { echo "activity: $(date -u +%H:%M:%S) $*"; }

report() { # STATUS WHAT
  [[ "$1" == 2* ]] || log "$2: ${1/#000/no answer}"
}

log "waiting for ${devices[0]} to be ready"
until [[ "$(http GET "${devices[0]}" /ready)" == 200 ]]; do sleep 1; done
log "writing to alice's and bob's vaults through ${devices[*]}, every ${period} s"

n=0
while true; do
  for owner in alice bob; do
    host="${devices[n % ${#devices[@]}]}"
    # Keys and objects repeat after 100 rounds, so the vaults stay small.
    slot=$((n % 100))
    report "$(http PUT "${host}" "/api/vault/${owner}/records/activity%2F${slot}" \
      "{\"n\":${n},\"at\":\"$(date -u +%FT%TZ)\",\"via\":\"${host}\"}")" \
      "PUT a record of ${owner} via ${host}"
    if ((n % 6 == 0)); then
      report "$(http POST "${host}" "/api/vault/${owner}/objects" "activity ${owner} ${slot}" text/plain)" \
        "POST an object of ${owner} via ${host}"
    fi
    report "$(http GET "${host}" "/api/probe/${owner}")" "GET ${owner}'s probe via ${host}"
    n=$((n + 1))
  done
  sleep "${period}"
done
