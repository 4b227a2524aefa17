#!/usr/bin/env bash
# Simulated use of the compose mesh, so that the dashboard has something to show: every few
# seconds it writes a record to alice's and bob's vaults, now and then an object, asks each
# owner's probe, sends each owner a mail over SMTP, asks IMAP's capabilities and DNS for
# failover1.alice, and reads alice's page (published now and then), each time through the next
# device in turn. docker-compose.yml runs it in a
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

# One HTTP/1.0 request to port 8080 with the current owner's token (if any); prints the status
# code, or 000 when there is no answer. Under `timeout`, because connecting to a device that was
# just killed can hang. With BODY-FILE, the response body goes to that file.
http() { # METHOD HOST PATH [BODY [CONTENT-TYPE [TOKEN [BODY-FILE]]]]
  local auth=""
  [[ -n "${6:-}" ]] && auth="Authorization: Bearer $6"$'\r\n'
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/8080" || exit 1
    printf "%s %s HTTP/1.0\r\nHost: %s\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" \
      "$2" "$3" "$1" "$6" "$5" "${#4}" "$4" >&3
    read -r _ status _ <&3 && echo "${status}"
    if [[ -n "$7" ]]; then
      # Skip the headers (they end with an empty line, which is a lone CR here), keep the body.
      while IFS= read -r line <&3 && ((${#line} > 1)); do :; done
      cat <&3 >"$7"
    fi
  ' http "$2" "$1" "$3" "${4:-}" "${5:-application/json}" "${auth}" "${7:-}" 2>/dev/null || echo 000
}

# The demo owners: created once through pi.alice with its operator token (an administrator's
# credential that only pi.alice accepts), then logged in; the password was made by the
# provision container. Tokens last 15 minutes, so they are renewed every 10.
password="$(cat /secrets/password 2>/dev/null || true)"
operator=""
declare -A token=()
logged_in_at=0

login_all() {
  local owner body status
  for owner in alice bob; do
    http POST pi.alice /api/auth/owners "{\"owner\":\"${owner}\",\"password\":\"${password}\"}" \
      application/json "${operator}" >/dev/null
    body="$(mktemp)"
    status="$(http POST pi.alice /api/auth/login \
      "{\"owner\":\"${owner}\",\"password\":\"${password}\"}" application/json "" "${body}")"
    if [[ "${status}" == 200 && "$(cat "${body}")" =~ \"token\":\"([^\"]+)\" ]]; then
      token[${owner}]="${BASH_REMATCH[1]}"
    else
      log "cannot log in as ${owner} (HTTP ${status})"
    fi
    rm -f "${body}"
  done
  logged_in_at=${SECONDS}
}

# One SMTP message to OWNER@localhost (the devices' default mail domain) through HOST's port 2525;
# prints the last reply code (250 when stored), or 000 when there is no answer.
smtp() { # HOST OWNER N
  timeout 10 bash -c '
    exec 3<>"/dev/tcp/$1/2525" || exit 1
    reply() { local line; while IFS= read -r line <&3; do [[ "${line:3:1}" == "-" ]] || { code="${line:0:3}"; return; }; done; code=000; }
    reply
    for cmd in "EHLO activity" "MAIL FROM:<activity@compose.invalid>" "RCPT TO:<$2@localhost>" "DATA"; do
      printf "%s\r\n" "${cmd}" >&3; reply
      [[ "${code}" == [23]* ]] || { echo "${code}"; exit 0; }
    done
    printf "From: activity@compose.invalid\r\nTo: $2@localhost\r\nSubject: activity %s\r\nMessage-ID: <activity-%s-%s@compose.invalid>\r\n\r\nsimulated mail %s\r\n.\r\n" \
      "$3" "$3" "$(date +%s%N)" "$3" >&3
    reply; echo "${code}"
    printf "QUIT\r\n" >&3
  ' smtp "$1" "$2" "$3" 2>/dev/null || echo 000
}

# An IMAP session on HOST's port 1143 that asks for the capabilities and logs out (no password:
# over plain TCP from another address, a device takes none); prints the tagged reply's status.
imap() { # HOST
  timeout 10 bash -c '
    exec 3<>"/dev/tcp/$1/1143" || exit 1
    IFS= read -r line <&3
    printf "a1 CAPABILITY\r\na2 LOGOUT\r\n" >&3
    while IFS= read -r line <&3; do [[ "${line}" == a1\ * ]] && { echo "${line:3:2}"; exit 0; }; done
    echo 000
  ' imap "$1" 2>/dev/null || echo 000
}

# alice's page (alice.compose), published through HOST the way kith publish does: the object
# first, then the version that names it by its SHA-256; prints the commit's status (201).
publish_page() { # HOST N
  local content="<!doctype html><title>alice</title><h1>alice's page, round $2</h1>"
  local id
  id="$(printf '%s' "${content}" | sha256sum | cut -c1-64)"
  http POST "$1" /api/vault/alice/objects "${content}" text/html "${token[alice]:-}" >/dev/null
  http POST "$1" /api/web/sites/alice/versions \
    "{\"files\":[{\"path\":\"index.html\",\"sha256\":\"${id}\"}],\"domains\":[\"alice.compose\"]}" \
    application/json "${token[alice]:-}"
}

# One DNS query (failover1.alice.localhost, CNAME) to HOST's port 53 over UDP; the answer is not
# read (bash cannot read binary data well), the device's DNS metrics count it.
dns() { # HOST
  timeout 5 bash -c '
    exec 3<>"/dev/udp/$1/53" || exit 1
    printf "\x4b\x49\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x09failover1\x05alice\x09localhost\x00\x00\x05\x00\x01" >&3
  ' dns "$1" 2>/dev/null || log "DNS query to ${1}: cannot send"
}

# GET / of alice's page through HOST's port 8080, by Host; prints the status.
page() { # HOST
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/8080" || exit 1
    printf "GET / HTTP/1.0\r\nHost: alice.compose\r\n\r\n" >&3
    read -r _ status _ <&3 && echo "${status}"
  ' page "$1" 2>/dev/null || echo 000
}

log() { echo "activity: $(date -u +%H:%M:%S) $*"; }

report() { # STATUS WHAT
  [[ "$1" == 2* ]] || log "$2: ${1/#000/no answer}"
}

log "waiting for ${devices[0]} to be ready"
until [[ "$(http GET "${devices[0]}" /ready)" == 200 ]]; do sleep 1; done
until [[ "$(http GET pi.alice /ready)" == 200 && -s /pi-home/trust/operator.token ]]; do sleep 1; done
operator="$(cat /pi-home/trust/operator.token)"
login_all
log "writing to alice's and bob's vaults through ${devices[*]}, every ${period} s"

n=0
page_published=0
while true; do
  if ((SECONDS - logged_in_at > 600)) || [[ -z "${token[alice]:-}" || -z "${token[bob]:-}" ]]; then
    login_all
  fi
  for owner in alice bob; do
    host="${devices[n % ${#devices[@]}]}"
    t="${token[${owner}]:-}"
    # Keys and objects repeat after 100 rounds, so the vaults stay small.
    slot=$((n % 100))
    report "$(http PUT "${host}" "/api/vault/${owner}/records/activity%2F${slot}" \
      "{\"n\":${n},\"at\":\"$(date -u +%FT%TZ)\",\"via\":\"${host}\"}" application/json "${t}")" \
      "PUT a record of ${owner} via ${host}"
    if ((n % 6 == 0)); then
      report "$(http POST "${host}" "/api/vault/${owner}/objects" "activity ${owner} ${slot}" text/plain "${t}")" \
        "POST an object of ${owner} via ${host}"
    fi
    report "$(http GET "${host}" "/api/probe/${owner}" "" application/json "${t}")" "GET ${owner}'s probe via ${host}"
    report "$(smtp "${host}" "${owner}" "${n}")" "SMTP to ${owner}@localhost via ${host}"
    [[ "$(imap "${host}")" == OK ]] || log "IMAP CAPABILITY via ${host}: no answer"
    dns "${host}"
    if [[ "${owner}" == alice ]]; then
      if ((page_published == 0 || n % 100 == 0)); then
        status="$(publish_page "${host}" "${n}")"
        report "${status}" "publish alice's page via ${host}"
        [[ "${status}" == 201 ]] && page_published=1
      fi
      report "$(page "${host}")" "GET alice's page via ${host}"
    fi
    n=$((n + 1))
  done
  sleep "${period}"
done
