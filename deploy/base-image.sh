#!/usr/bin/env bash
# Builds kith-base:local: Debian bookworm (minbase) with a headless Java 17 runtime,
# for machines that reach Debian's packages but no image registry. deploy/Dockerfile
# takes it as BASE_IMAGE. No mirror is named: mmdebstrap uses its own default, plus
# bookworm-updates and bookworm-security.
#
# Usage: deploy/base-image.sh [--force]   (without --force an existing image is kept)
set -euo pipefail

# A fixed name: KITH_BASE_IMAGE may name another base (eclipse-temurin), never this build.
image="kith-base:local"

if [[ "${1:-}" != "--force" ]] && docker image inspect "${image}" >/dev/null 2>&1; then
  echo "base-image.sh: ${image} exists; keeping it (--force rebuilds)."
  exit 0
fi

for tool in mmdebstrap docker; do
  command -v "${tool}" >/dev/null 2>&1 || { echo "base-image.sh: ERROR: ${tool} not found." >&2; exit 1; }
done

log="$(mktemp /tmp/kith-base-image.XXXXXX.log)"
echo "base-image.sh: building ${image} with mmdebstrap (log: ${log})"
# The rootfs goes to stdout as a tarball straight into `docker import`; nothing is
# written to disk but docker's own layer. stdin is /dev/null so that mmdebstrap never
# takes it for a sources.list.
if ! mmdebstrap --variant=minbase \
  --include=openjdk-17-jre-headless,ca-certificates \
  bookworm - </dev/null 2>"${log}" |
  docker import --message "kith base: bookworm minbase + openjdk-17-jre-headless" - "${image}" >/dev/null; then
  echo "base-image.sh: ERROR: building ${image} failed; last lines of ${log}:" >&2
  tail -n 30 "${log}" >&2
  exit 1
fi

docker run --rm "${image}" java -version
echo "base-image.sh: built ${image}"
