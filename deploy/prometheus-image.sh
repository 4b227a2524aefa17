#!/usr/bin/env bash
# Builds the Prometheus image that deploy/compose.ci.yml uses where prom/prometheus cannot be
# pulled: Debian's prometheus package on kith-base:local (deploy/base-image.sh builds that).
# ComposeStackIT runs it before it starts the stack.
#
# Usage: deploy/prometheus-image.sh [--force]   (without --force an existing image is kept)
#
# Environment:
#   KITH_PROMETHEUS_IMAGE  tag to build (default kith-prometheus:local)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/prometheus"

image="${KITH_PROMETHEUS_IMAGE:-kith-prometheus:local}"
base="kith-base:local"

if [[ "${1:-}" != "--force" ]] && docker image inspect "${image}" >/dev/null 2>&1; then
  echo "prometheus-image.sh: ${image} exists; keeping it (--force rebuilds)."
  exit 0
fi

if ! docker image inspect "${base}" >/dev/null 2>&1; then
  echo "prometheus-image.sh: ERROR: ${base} is missing; build it with deploy/base-image.sh." >&2
  exit 1
fi

# As in build-image.sh: the classic builder never pulls a base that is present locally.
if ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

echo "prometheus-image.sh: building ${image} from ${base}"
start=${SECONDS}
docker build --pull=false --build-arg "BASE_IMAGE=${base}" --tag "${image}" .
docker run --rm "${image}" --version | head -n 1
echo "prometheus-image.sh: built ${image} in $((SECONDS - start)) s"
