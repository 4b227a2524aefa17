#!/usr/bin/env bash
# Sends one message with swaks through a device's SMTP edge and checks that the owner can list
# and read it over HTTP through another device (or the same one).
#
#   deploy/mail-check.sh SMTP_HOST:PORT HTTP_URL OWNER@DOMAIN
#
# The owner's access token comes from KITH_ACCESS_TOKEN (POST /api/auth/login gives one).
# Needs swaks and curl. Exit status: 0 when the message was accepted (250) and is listed and
# readable within 2 s of the 250; 1 otherwise, with the reason on stderr.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 SMTP_HOST:PORT HTTP_URL OWNER@DOMAIN (token in KITH_ACCESS_TOKEN)" >&2
  exit 2
fi
smtp="$1"
url="${2%/}"
rcpt="$3"
: "${KITH_ACCESS_TOKEN:?set KITH_ACCESS_TOKEN to an access token of the owner}"
command -v swaks >/dev/null || { echo "swaks is not installed (apt-get install swaks)" >&2; exit 1; }

id="check-$(date +%s%N)-$$@mail-check.invalid"
subject="mail-check ${id%%@*}"
log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

# swaks exits non-zero unless every reply, the one after the message's end included, was 2xx/3xx.
if ! swaks --server "${smtp}" --to "${rcpt}" --from "check@mail-check.invalid" \
  --header "Message-Id: <${id}>" --header "Subject: ${subject}" \
  --body "sent by deploy/mail-check.sh" --timeout 30 >"${log}" 2>&1; then
  echo "swaks failed; its dialogue:" >&2
  cat "${log}" >&2
  exit 1
fi
accepted="$(date +%s%N)"

auth=(-H "Authorization: Bearer ${KITH_ACCESS_TOKEN}")
deadline=$((accepted + 2000000000))
while :; do
  page="$(curl -sf "${auth[@]}" "${url}/api/mail/mailboxes/INBOX/messages?limit=50" || true)"
  if [[ "${page}" == *"\"messageId\":\"${id}\""* ]]; then
    break
  fi
  if (($(date +%s%N) > deadline)); then
    echo "not listed at ${url} within 2 s of the 250; last answer: ${page}" >&2
    exit 1
  fi
  sleep 0.05
done
listed_ms=$((($(date +%s%N) - accepted) / 1000000))

# The message's own id: in the listing entry that holds its Message-ID (entries hold no braces
# of their own, only arrays).
msg="$(printf '%s' "${page}" | tr '{}' '\n\n' | grep -F "\"messageId\":\"${id}\"" |
  grep -o '"id":"[0-9a-f]\{32\}"' | head -n 1 | cut -d'"' -f4)"
[[ -n "${msg}" ]] || { echo "cannot find the message id in: ${page}" >&2; exit 1; }
read="$(curl -sf "${auth[@]}" "${url}/api/mail/messages/${msg}")" ||
  { echo "GET /api/mail/messages/${msg} failed" >&2; exit 1; }
[[ "${read}" == *"\"subject\":\"${subject}\""* ]] ||
  { echo "the message read back has another subject: ${read}" >&2; exit 1; }
echo "ok: ${rcpt} got ${id} through ${smtp}; listed at ${url} ${listed_ms} ms after the 250"
