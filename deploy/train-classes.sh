#!/usr/bin/env bash
# Writes a class archive (JDK class data sharing, CDS) of what a device loads, for the image.
#
# Run by the Dockerfile at build time, as root: starts one throwaway device with the image's own
# JVM flags plus -XX:ArchiveClassesAtExit, waits until it is ready, asks it a few routes, stops it
# with SIGTERM (a clean leave, when the JVM writes the archive), and removes its home. A device
# that maps the archive (-XX:SharedArchiveFile) starts with about half the CPU and in about half
# the time (docs/benchmarks.md, "Starting a device"). If anything here fails the build does not:
# the image then has no archive, and the JVM starts without one (-Xshare:auto).
#
# Usage: train-classes.sh ARCHIVE JVM_FLAG...
set -uo pipefail

archive="$1"
shift
home="$(mktemp -d)"
port=18080
log="${home}.log"

java "$@" -XX:ArchiveClassesAtExit="${archive}" -jar /opt/kith/kith.jar run \
  --home "${home}" --name train.local --mesh kith-train --public-host 127.0.0.1 \
  --http-port "${port}" --smtp-port 0 --cluster-port 15701 >"${log}" 2>&1 &
pid=$!

get() { # $1: path; prints the status line
  exec 3<>"/dev/tcp/127.0.0.1/${port}" || return 1
  printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
  head -n 1 <&3
  exec 3>&-
}

ready=false
for _ in $(seq 1 120); do
  if get /ready 2>/dev/null | grep -q ' 200 '; then
    ready=true
    break
  fi
  kill -0 "${pid}" 2>/dev/null || break
  sleep 0.5
done
if [[ "${ready}" == "true" ]]; then
  for path in /health /metrics / /api/mesh/routes /api/auth/me; do
    get "${path}" >/dev/null 2>&1 || true
  done
  kill -TERM "${pid}"
  wait "${pid}"
else
  echo "train-classes.sh: the training device was not ready in 60 s; no class archive" >&2
  tail -n 20 "${log}" >&2
  kill -KILL "${pid}" 2>/dev/null
  wait "${pid}" 2>/dev/null
  rm -f "${archive}"
fi
rm -rf "${home}" "${log}"
if [[ -f "${archive}" ]]; then
  chmod 0444 "${archive}"
  echo "train-classes.sh: wrote ${archive} ($(($(stat -c %s "${archive}") / 1048576)) MB)"
fi
exit 0
